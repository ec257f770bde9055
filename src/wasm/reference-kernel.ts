/**
 * A plain TypeScript implementation of the windowed statistics kernel, written
 * for clarity: exactly the semantics of `wasm-core/README.md`, with no slices
 * and no clever data structures. It is the oracle of the differential tests and
 * the baseline of the benchmarks.
 *
 * - Every (key, window) is a plain object in a `Map` keyed `${key}:${start}`,
 *   updated with Welford's method for every record it contains.
 * - Windows are sealed (never change again) when they close: tumbling/hopping
 *   when `end <= closeTime` (exclusive end), sliding when `end < closeTime`
 *   (inclusive end; Kafka Streams' `KStreamSlidingWindowAggregate` rule, see
 *   `closesAt`).
 * - Sliding windows keep, per key, the sorted list of accepted timestamps and
 *   the accepted records sorted by timestamp, to create windows when they come
 *   into existence.
 */
import { MAX_TIME_MS, sameKernelSpec, toKernelSpec } from './window-spec.js';
import {
  RecordStatus,
  type BatchOutcome,
  type InputColumns,
  type WindowResults,
  type WindowSpec,
  type WindowStats,
  type WindowStatsKernel,
  MAX_KEY_ID,
} from './window-stats-kernel.js';

/** One (key, window) and its running statistics. */
interface WindowEntry {
  key: number;
  start: number;
  /** Exclusive for tumbling/hopping, inclusive for sliding. */
  end: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
  /** First value applied: Welford runs on `x - shift` so that `m2` keeps its precision for large values. */
  shift: number;
  /** Mean of `x - shift` (`mean = shift + shiftedMean`). */
  shiftedMean: number;
  sealed: boolean;
}

/** An accepted record of a sliding-window key. */
interface SlidingRecord {
  ts: number;
  value: number;
}

/** Per-key state of sliding windows. */
interface SlidingKeyState {
  /** Distinct accepted timestamps, ascending. */
  timestamps: number[];
  /** Accepted records, ascending by timestamp (arrival order among equal timestamps). */
  records: SlidingRecord[];
}

/** Serialized form of the reference kernel's state (JSON). */
interface ReferenceState {
  readonly format: 'rivulet-reference-kernel';
  readonly version: 1;
  readonly spec: Required<WindowSpec>;
  readonly streamTime: number | null;
  readonly lateRecords: number;
  readonly invalidRecords: number;
  /** key, start, end, count, sum, min, max, mean, m2, sealed (0/1), shift, shiftedMean. */
  readonly windows: number[][];
  /** Map keys of sealed windows still held, in sealing order. */
  readonly sealedOrder: string[];
  /** Map keys of open windows changed since the last drain (update mode). */
  readonly dirty: string[];
  /** Rows sealed since the last drain and due in it. */
  readonly pending: number[][];
  /** key, timestamps, flattened [ts, value] pairs. */
  readonly sliding: [number, number[], number[]][];
}

function windowId(key: number, start: number): string {
  return `${key}:${start}`;
}

function toRow(w: WindowEntry): WindowStats {
  return {
    key: w.key,
    start: w.start,
    end: w.end,
    count: w.count,
    sum: w.sum,
    min: w.min,
    max: w.max,
    mean: w.mean,
    m2: w.m2,
  };
}

function rowToArray(r: WindowStats): number[] {
  return [r.key, r.start, r.end, r.count, r.sum, r.min, r.max, r.mean, r.m2];
}

function arrayToRow(a: readonly number[]): WindowStats {
  const n = (i: number): number => {
    const v = a[i];
    if (typeof v !== 'number') throw new Error('ReferenceKernel.importState: corrupt window row');
    return v;
  };
  return { key: n(0), start: n(1), end: n(2), count: n(3), sum: n(4), min: n(5), max: n(6), mean: n(7), m2: n(8) };
}

/**
 * Welford's update of one window with one value. It runs on values shifted by the
 * window's first value: plain Welford keeps the running mean at the magnitude of
 * the data, and for values near 1e9 with a variance of 1e-2 its rounding (half an
 * ulp of 1e9 = 6e-8) costs `m2` about 1.6e-6 of relative precision; shifted, the
 * deviations are exact and the README's "6 significant digits" hold easily.
 */
function addValue(w: WindowEntry, x: number): void {
  if (w.count === 0) w.shift = x;
  w.count += 1;
  w.sum += x;
  if (x < w.min) w.min = x;
  if (x > w.max) w.max = x;
  const y = x - w.shift;
  const delta = y - w.shiftedMean;
  w.shiftedMean += delta / w.count;
  w.m2 += delta * (y - w.shiftedMean);
  w.mean = w.shift + w.shiftedMean;
}

/** z-score of `x` against a window whose statistics include it. */
function zScore(w: WindowEntry, x: number): number {
  if (w.count < 2) return 0;
  const sd = Math.sqrt(w.m2 / (w.count - 1));
  return sd === 0 ? 0 : (x - w.shift - w.shiftedMean) / sd;
}

/** Order of sealed windows in a drain: closing order, ties by key then start. */
function byClosingOrder(a: WindowEntry, b: WindowEntry): number {
  return a.end - b.end || a.key - b.key || a.start - b.start;
}

/** First index in ascending `xs` whose element is >= `x`. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `records` (ascending by ts) whose ts is > `x`. */
function upperBoundRecords(records: readonly SlidingRecord[], x: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as SlidingRecord).ts <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in `records` (ascending by ts) whose ts is >= `x`. */
function lowerBoundRecords(records: readonly SlidingRecord[], x: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as SlidingRecord).ts < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drained rows held in a plain array. */
class ArrayWindowResults implements WindowResults {
  constructor(private readonly rows: readonly WindowStats[]) {}
  get length(): number {
    return this.rows.length;
  }
  private at(i: number): WindowStats {
    const r = this.rows[i];
    if (r === undefined) throw new RangeError(`WindowResults: row ${i} out of range (length ${this.rows.length})`);
    return r;
  }
  key(i: number): number { return this.at(i).key; }
  start(i: number): number { return this.at(i).start; }
  end(i: number): number { return this.at(i).end; }
  count(i: number): number { return this.at(i).count; }
  sum(i: number): number { return this.at(i).sum; }
  min(i: number): number { return this.at(i).min; }
  max(i: number): number { return this.at(i).max; }
  mean(i: number): number { return this.at(i).mean; }
  m2(i: number): number { return this.at(i).m2; }
  row(i: number): WindowStats { return { ...this.at(i) }; }
  toArray(): WindowStats[] { return this.rows.map((r) => ({ ...r })); }
}

/** The pure-TS windowed statistics kernel. */
export class ReferenceKernel implements WindowStatsKernel {
  readonly spec: Readonly<Required<WindowSpec>>;

  private closed = false;
  private st = Number.NEGATIVE_INFINITY;
  private late = 0;
  private invalid = 0;

  /** Every window held, open or sealed. */
  private windows = new Map<string, WindowEntry>();
  /** Open windows by `closesAt`, to find the windows a stream-time advance closes. */
  private openByEnd = new Map<number, WindowEntry[]>();
  /** The keys of `openByEnd`, ascending (new windows mostly append at the end). */
  private openEnds: number[] = [];
  /** Sealed windows still held, in sealing order (= ascending end), for eviction. */
  private sealedOrder: WindowEntry[] = [];
  private sealedHead = 0;
  /** Open windows changed since the last drain (update mode). */
  private dirty = new Set<WindowEntry>();
  /** Sealed rows due in the next drain, in closing order. */
  private pending: WindowStats[] = [];
  /** Sliding windows: accepted timestamps and records per key. */
  private slidingKeys = new Map<number, SlidingKeyState>();

  private keys = new Uint32Array(0);
  private timestamps = new Float64Array(0);
  private values = new Float64Array(0);
  private statuses = new Uint8Array(0);
  private zScores = new Float64Array(0);

  constructor(spec: WindowSpec) {
    this.spec = Object.freeze(toKernelSpec(spec));
  }

  // ---------------------------------------------------------------- protocol

  batch(capacity: number): InputColumns {
    this.live('batch');
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new Error(`ReferenceKernel.batch: capacity must be a whole number >= 0 (got ${capacity})`);
    }
    if (capacity > this.keys.length) {
      const cap = Math.max(capacity, this.keys.length * 2);
      this.keys = new Uint32Array(cap);
      this.timestamps = new Float64Array(cap);
      this.values = new Float64Array(cap);
      this.statuses = new Uint8Array(cap);
      this.zScores = new Float64Array(cap);
    }
    return { keys: this.keys, timestamps: this.timestamps, values: this.values };
  }

  ingest(n: number): BatchOutcome {
    this.live('ingest');
    if (!Number.isInteger(n) || n < 0 || n > this.keys.length) {
      throw new Error(
        `ReferenceKernel.ingest: batch of ${n} records exceeds the reserved capacity ${this.keys.length}; call batch(capacity) first`,
      );
    }
    for (let i = 0; i < n; i++) {
      const z = this.processRecord(this.keys[i] as number, this.timestamps[i] as number, this.values[i] as number);
      this.statuses[i] = z.status;
      this.zScores[i] = z.z;
    }
    return {
      statuses: this.statuses.subarray(0, n),
      zScores: this.spec.zscore ? this.zScores.subarray(0, n) : undefined,
    };
  }

  advanceStreamTime(timestampMs: number): void {
    this.live('advanceStreamTime');
    if (!ReferenceKernel.validTimestamp(timestampMs)) {
      throw new Error(`ReferenceKernel.advanceStreamTime: timestamp must be finite, >= 0 and <= 2^53 ms (got ${timestampMs})`);
    }
    this.raiseStreamTime(Math.floor(timestampMs));
  }

  drain(): WindowResults {
    this.live('drain');
    const rows = this.pending;
    this.pending = [];
    if (this.spec.emit === 'update' && this.dirty.size > 0) {
      const open = [...this.dirty].sort((a, b) => a.key - b.key || a.start - b.start);
      for (const w of open) rows.push(toRow(w));
      this.dirty.clear();
    }
    return new ArrayWindowResults(rows);
  }

  fetch(key: number, startMs: number): WindowStats | undefined {
    this.live('fetch');
    const w = this.windows.get(windowId(key, startMs));
    return w === undefined ? undefined : toRow(w);
  }

  get streamTime(): number {
    this.live('streamTime');
    return this.st;
  }

  get lateRecords(): number {
    this.live('lateRecords');
    return this.late;
  }

  get invalidRecords(): number {
    this.live('invalidRecords');
    return this.invalid;
  }

  /** Windows currently held (open and sealed-but-retained); for tests and benchmarks. */
  get windowCount(): number {
    this.live('windowCount');
    return this.windows.size;
  }

  close(): void {
    this.closed = true;
    this.windows.clear();
    this.openByEnd.clear();
    this.openEnds = [];
    this.dirty.clear();
    this.pending = [];
    this.sealedOrder = [];
    this.slidingKeys.clear();
  }

  // ------------------------------------------------------------- persistence

  exportState(): Uint8Array {
    this.live('exportState');
    const windows: number[][] = [];
    for (const w of this.windows.values()) windows.push([...rowToArray(w), w.sealed ? 1 : 0, w.shift, w.shiftedMean]);
    const state: ReferenceState = {
      format: 'rivulet-reference-kernel',
      version: 1,
      spec: { ...this.spec },
      streamTime: Number.isFinite(this.st) ? this.st : null,
      lateRecords: this.late,
      invalidRecords: this.invalid,
      windows,
      sealedOrder: this.sealedOrder.slice(this.sealedHead).map((w) => windowId(w.key, w.start)),
      dirty: [...this.dirty].map((w) => windowId(w.key, w.start)),
      pending: this.pending.map(rowToArray),
      sliding: [...this.slidingKeys].map(([key, s]) => [key, [...s.timestamps], s.records.flatMap((r) => [r.ts, r.value])]),
    };
    return new TextEncoder().encode(JSON.stringify(state));
  }

  importState(state: Uint8Array): void {
    this.live('importState');
    let parsed: ReferenceState;
    try {
      parsed = JSON.parse(new TextDecoder().decode(state)) as ReferenceState;
    } catch (e) {
      throw new Error('ReferenceKernel.importState: STATE_CORRUPT: not a reference kernel state', { cause: e });
    }
    if (parsed?.format !== 'rivulet-reference-kernel' || parsed.version !== 1) {
      throw new Error('ReferenceKernel.importState: STATE_CORRUPT: not a reference kernel state');
    }
    if (!sameKernelSpec(parsed.spec, this.spec)) {
      throw new Error(
        `ReferenceKernel.importState: STATE_MISMATCH: state was written with spec ${JSON.stringify(parsed.spec)}, this kernel has ${JSON.stringify(this.spec)}`,
      );
    }
    this.st = parsed.streamTime ?? Number.NEGATIVE_INFINITY;
    this.late = parsed.lateRecords;
    this.invalid = parsed.invalidRecords;
    this.windows = new Map();
    this.openByEnd = new Map();
    this.openEnds = [];
    for (const a of parsed.windows) {
      const w: WindowEntry = { ...arrayToRow(a), sealed: a[9] === 1, shift: a[10] ?? 0, shiftedMean: a[11] ?? 0 };
      this.windows.set(windowId(w.key, w.start), w);
      if (!w.sealed) this.trackOpen(w);
    }
    const held = (id: string): WindowEntry => {
      const w = this.windows.get(id);
      if (w === undefined) throw new Error(`ReferenceKernel.importState: STATE_CORRUPT: unknown window ${id}`);
      return w;
    };
    this.sealedOrder = parsed.sealedOrder.map(held);
    this.sealedHead = 0;
    this.dirty = new Set(parsed.dirty.map(held));
    this.pending = parsed.pending.map(arrayToRow);
    this.slidingKeys = new Map();
    for (const [key, timestamps, flat] of parsed.sliding) {
      const records: SlidingRecord[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) records.push({ ts: flat[i] as number, value: flat[i + 1] as number });
      this.slidingKeys.set(key, { timestamps, records });
    }
  }

  // --------------------------------------------------------------- internals

  private live(api: string): void {
    if (this.closed) throw new Error(`ReferenceKernel.${api}: the kernel was closed; create a new one`);
  }

  private static validTimestamp(ts: number): boolean {
    return Number.isFinite(ts) && ts >= 0 && ts <= MAX_TIME_MS;
  }

  private get closeTime(): number {
    return this.st - this.spec.graceMs;
  }

  private processRecord(key: number, rawTs: number, value: number): { status: RecordStatus; z: number } {
    if (key > MAX_KEY_ID) {
      this.invalid += 1;
      return { status: RecordStatus.INVALID_KEY, z: Number.NaN };
    }
    if (!ReferenceKernel.validTimestamp(rawTs)) {
      this.invalid += 1;
      return { status: RecordStatus.INVALID_TIMESTAMP, z: Number.NaN };
    }
    if (!Number.isFinite(value)) {
      this.invalid += 1;
      return { status: RecordStatus.INVALID_VALUE, z: Number.NaN };
    }
    const ts = Math.floor(rawTs);
    // (1) raise stream time, (2) seal what that closes, (3) apply to open windows.
    this.raiseStreamTime(ts);
    const z = this.spec.kind === 'sliding' ? this.applySliding(key, ts, value) : this.applyTimeWindows(key, ts, value);
    if (z === undefined) {
      this.late += 1;
      return { status: RecordStatus.LATE, z: Number.NaN };
    }
    return { status: RecordStatus.APPLIED, z: this.spec.zscore ? z : Number.NaN };
  }

  private raiseStreamTime(ts: number): void {
    if (ts <= this.st) return;
    this.st = ts;
    this.sealClosedWindows();
    this.evict();
  }

  /**
   * The smallest closeTime at which a window with this `end` is closed: `end` for
   * tumbling/hopping (exclusive end), `end + 1` for sliding (inclusive end: Kafka
   * Streams keeps a sliding window open while `end >= closeTime`).
   */
  private closesAt(end: number): number {
    return this.spec.kind === 'sliding' ? end + 1 : end;
  }

  /** Seals every open window with `closesAt(end) <= closeTime`, in closing order. */
  private sealClosedWindows(): void {
    const closeTime = this.closeTime;
    const ends = this.openEnds;
    if (ends.length === 0 || (ends[0] as number) > closeTime) return;
    const closing: WindowEntry[] = [];
    let n = 0;
    while (n < ends.length && (ends[n] as number) <= closeTime) {
      const at = ends[n] as number;
      for (const w of this.openByEnd.get(at) ?? []) closing.push(w);
      this.openByEnd.delete(at);
      n++;
    }
    ends.splice(0, n);
    closing.sort(byClosingOrder);
    for (const w of closing) {
      w.sealed = true;
      this.sealedOrder.push(w);
      if (this.spec.emit === 'final') {
        this.pending.push(toRow(w));
      } else if (this.dirty.delete(w)) {
        this.pending.push(toRow(w));
      }
    }
  }

  /** Drops sealed windows that started before `closeTime - retention`. */
  private evict(): void {
    const horizon = this.closeTime - this.spec.retentionMs;
    while (this.sealedHead < this.sealedOrder.length) {
      const w = this.sealedOrder[this.sealedHead] as WindowEntry;
      if (w.start >= horizon) break;
      this.windows.delete(windowId(w.key, w.start));
      this.sealedHead += 1;
    }
    if (this.sealedHead > 1024 && this.sealedHead * 2 > this.sealedOrder.length) {
      this.sealedOrder = this.sealedOrder.slice(this.sealedHead);
      this.sealedHead = 0;
    }
  }

  private trackOpen(w: WindowEntry): void {
    const at = this.closesAt(w.end);
    const list = this.openByEnd.get(at);
    if (list !== undefined) {
      list.push(w);
      return;
    }
    this.openByEnd.set(at, [w]);
    const ends = this.openEnds;
    if (ends.length === 0 || (ends[ends.length - 1] as number) < at) ends.push(at);
    else ends.splice(lowerBound(ends, at), 0, at);
  }

  private newWindow(key: number, start: number, end: number): WindowEntry {
    const w: WindowEntry = {
      key,
      start,
      end,
      count: 0,
      sum: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      mean: 0,
      m2: 0,
      shift: 0,
      shiftedMean: 0,
      sealed: false,
    };
    this.windows.set(windowId(key, start), w);
    this.trackOpen(w);
    return w;
  }

  private touched(w: WindowEntry): void {
    if (this.spec.emit === 'update') this.dirty.add(w);
  }

  /**
   * Tumbling/hopping: applies the record to every open window `[start, start + size)`
   * containing `ts`. Returns the z-score against the newest one, or undefined when late.
   */
  private applyTimeWindows(key: number, ts: number, value: number): number | undefined {
    const { sizeMs: size, advanceMs: advance } = this.spec;
    const closeTime = this.closeTime;
    const newestStart = Math.floor(ts / advance) * advance;
    if (newestStart + size <= closeTime) return undefined;
    let newest: WindowEntry | undefined;
    for (let start = newestStart; start >= 0 && start > ts - size; start -= advance) {
      const end = start + size;
      if (end <= closeTime) break; // this and every older window are closed
      const w = this.windows.get(windowId(key, start)) ?? this.newWindow(key, start, end);
      addValue(w, value);
      this.touched(w);
      newest ??= w;
    }
    return newest === undefined ? 0 : zScore(newest, value);
  }

  /**
   * Sliding: accepts the record into the key's timestamps, creates the windows it
   * brings into existence (while open), and applies it to the open windows
   * `[start, start + D]` containing it. Returns the z-score against its left window
   * `[ts - D, ts]` (NaN when that window is closed), or undefined when late.
   */
  private applySliding(key: number, ts: number, value: number): number | undefined {
    const d = this.spec.sizeMs;
    const closeTime = this.closeTime;
    if (ts + d < closeTime) return undefined; // newest window containing ts, [ts, ts + D], is closed

    let ks = this.slidingKeys.get(key);
    if (ks === undefined) {
      ks = { timestamps: [], records: [] };
      this.slidingKeys.set(key, ks);
    }
    this.evictSlidingRecords(ks);

    // Accept the record (before creating windows, so new windows include it).
    const tsIdx = lowerBound(ks.timestamps, ts);
    if (ks.timestamps[tsIdx] !== ts) ks.timestamps.splice(tsIdx, 0, ts);
    ks.records.splice(upperBoundRecords(ks.records, ts), 0, { ts, value });

    // Candidate window starts: every window containing ts has start in [ts - D, ts]
    // and is the left window of some t in [ts, ts + D] or the right window of some
    // y in [ts - D - 1, ts - 1]; plus the right window of ts itself, [ts + 1, ts + 1 + D].
    const starts = new Set<number>();
    for (let i = lowerBound(ks.timestamps, ts - d - 1); i < ks.timestamps.length; i++) {
      const t = ks.timestamps[i] as number;
      if (t > ts + d) break;
      if (t >= ts) starts.add(t - d); // left window of t
      if (t <= ts) starts.add(t + 1); // right window of t (t + 1 <= ts for t < ts; the right window of ts itself)
    }

    let z = Number.NaN;
    for (const start of starts) {
      const end = start + d;
      if (end < closeTime) continue; // closed: not created, not updated
      const id = windowId(key, start);
      let w = this.windows.get(id);
      if (w !== undefined) {
        if (start <= ts && ts <= end) {
          addValue(w, value);
          this.touched(w);
        }
      } else if (this.slidingWindowExists(ks, start)) {
        w = this.newWindow(key, start, end);
        // A new window holds every accepted record in it (all arrived while it was open).
        for (let i = lowerBoundRecords(ks.records, start); i < ks.records.length; i++) {
          const r = ks.records[i] as SlidingRecord;
          if (r.ts > end) break;
          addValue(w, r.value);
        }
        this.touched(w);
      }
      if (w !== undefined && start === ts - d) z = zScore(w, value);
    }
    return z;
  }

  /** Whether `[start, start + D]` is a window of the key by the README definition. */
  private slidingWindowExists(ks: SlidingKeyState, start: number): boolean {
    const d = this.spec.sizeMs;
    const end = start + d;
    const ts = ks.timestamps;
    const endIdx = lowerBound(ts, end);
    if (ts[endIdx] === end) return true; // left window of `end`
    const yIdx = lowerBound(ts, start - 1);
    if (ts[yIdx] !== start - 1) return false;
    // Right window of y = start - 1: needs some t with y < t <= y + 1 + D.
    const next = ts[yIdx + 1];
    return next !== undefined && next <= end;
  }

  /** Drops accepted records no window that may still be created or updated can contain. */
  private evictSlidingRecords(ks: SlidingKeyState): void {
    // An open window has end >= closeTime, so start >= closeTime - D; a right window
    // needing y = start - 1 needs y >= closeTime - D - 1. Keep a safety margin of 1 ms.
    const horizon = this.closeTime - this.spec.sizeMs - 2;
    if (!Number.isFinite(horizon)) return;
    const r = lowerBoundRecords(ks.records, horizon);
    if (r > 0) ks.records.splice(0, r);
    const t = lowerBound(ks.timestamps, horizon);
    if (t > 0) ks.timestamps.splice(0, t);
  }
}
