/**
 * The contract shared by the WASM windowed-statistics kernel and its pure-TS
 * reference. Semantics are specified in `wasm-core/README.md`; both
 * implementations must agree on every observable result.
 */

/** Window family, numbered as on the WASM boundary. */
export type WindowKind = 'tumbling' | 'hopping' | 'sliding';

/** What a kernel emits on `drain()`: changed windows, or each window once when it closes. */
export type EmitMode = 'update' | 'final';

/** A kernel's configuration. All durations are whole milliseconds. */
export interface WindowSpec {
  readonly kind: WindowKind;
  /** Window size; for sliding windows the maximum time difference `D`. */
  readonly sizeMs: number;
  /** Hopping advance; ignored by tumbling (= size) and sliding windows. */
  readonly advanceMs?: number;
  /** How long after a window's end records are still accepted. Default 0. */
  readonly graceMs?: number;
  /** How long state is kept for `fetch`; default `size + grace`. */
  readonly retentionMs?: number;
  /** Default `'update'`. */
  readonly emit?: EmitMode;
  /** Compute a per-record z-score against the record's newest window. Default false. */
  readonly zscore?: boolean;
}

/** Per-record outcome of `ingest`, as the status column holds it. */
export const RecordStatus = {
  APPLIED: 0,
  LATE: 1,
  INVALID_TIMESTAMP: 2,
  INVALID_VALUE: 3,
  /** Key id above {@link MAX_KEY_ID}. */
  INVALID_KEY: 4,
} as const;

/** Largest key id a kernel accepts (2^22 - 1): per-key state is indexed by id, so ids must stay dense and bounded. */
export const MAX_KEY_ID = 2 ** 22 - 1;
export type RecordStatus = (typeof RecordStatus)[keyof typeof RecordStatus];

/** Mergeable moments of one (key, window). */
export interface WindowStats {
  readonly key: number;
  /** Window start, ms (inclusive). */
  readonly start: number;
  /** Window end, ms: exclusive for tumbling/hopping, inclusive for sliding (as Kafka Streams). */
  readonly end: number;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Sum of squared deviations from the mean (Welford's M2). */
  readonly m2: number;
}

/** Input columns to fill for one batch; views valid until the next kernel call. */
export interface InputColumns {
  readonly keys: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** Per-record results of the last `ingest`; views valid until the next kernel call. */
export interface BatchOutcome {
  /** One {@link RecordStatus} per record. */
  readonly statuses: Uint8Array;
  /** One z-score per record when the spec asked for them (NaN for records not applied). */
  readonly zScores: Float64Array | undefined;
}

/** Rows produced by `drain()`, read in place; valid until the next `drain()`. */
export interface WindowResults {
  readonly length: number;
  key(i: number): number;
  start(i: number): number;
  end(i: number): number;
  count(i: number): number;
  sum(i: number): number;
  min(i: number): number;
  max(i: number): number;
  mean(i: number): number;
  m2(i: number): number;
  /** Copies row `i` into a plain object. */
  row(i: number): WindowStats;
  /** Copies every row. */
  toArray(): WindowStats[];
}

/** A windowed statistics kernel: one per (task, operator). */
export interface WindowStatsKernel {
  readonly spec: Readonly<Required<WindowSpec>>;
  /** Input columns with room for at least `capacity` records. */
  batch(capacity: number): InputColumns;
  /** Processes the first `n` records written into the last `batch()` columns. */
  ingest(n: number): BatchOutcome;
  /** Raises stream time as a record at `timestampMs` would, closing windows. */
  advanceStreamTime(timestampMs: number): void;
  /** Emitted windows since the previous drain (see {@link EmitMode}). */
  drain(): WindowResults;
  /** The current value of one window, if the kernel still holds it. */
  fetch(key: number, startMs: number): WindowStats | undefined;
  /** Largest valid timestamp seen; `-Infinity` before any. */
  readonly streamTime: number;
  readonly lateRecords: number;
  readonly invalidRecords: number;
  /** Serialized state for persistence; only the same implementation and spec can import it. */
  exportState(): Uint8Array;
  importState(state: Uint8Array): void;
  /** Releases the kernel; further calls throw. */
  close(): void;
}

/** Population and sample variance/stddev derived from moments. */
export function deriveSpread(s: Pick<WindowStats, 'count' | 'm2'>): {
  variancePop: number;
  varianceSample: number;
  stddevPop: number;
  stddevSample: number;
} {
  const variancePop = s.count > 0 ? s.m2 / s.count : Number.NaN;
  const varianceSample = s.count > 1 ? s.m2 / (s.count - 1) : Number.NaN;
  return {
    variancePop,
    varianceSample,
    stddevPop: Math.sqrt(variancePop),
    stddevSample: Math.sqrt(varianceSample),
  };
}
