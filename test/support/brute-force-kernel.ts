/**
 * A deliberately naive second implementation of the windowed statistics kernel,
 * independent of `ReferenceKernel`: it keeps every accepted record with the close
 * time in force when it arrived, and recomputes every window from that list
 * straight from the README definitions whenever it needs one (z-scores, drains,
 * fetches). Quadratic and slow; only for tests.
 *
 * Definitions used (wasm-core/README.md):
 * - W is open while `closeTime < closesAt(W)`, where `closesAt` is the exclusive
 *   end: `end` for tumbling/hopping, `end + 1` for sliding (inclusive end; Kafka
 *   Streams keeps a sliding window while `end >= closeTime`);
 * - record r is included in window W iff r's key matches, r.ts lies in W and W
 *   was open when r arrived: `closesAt(W) > closeTime(r)`;
 * - tumbling/hopping W exists iff it includes a record;
 * - sliding W exists iff it was open at the first moment it qualified as a left
 *   window `[t - D, t]` or a right window `[y + 1, y + 1 + D]` (y < t <= y + 1 + D);
 * - final mode emits W when `prevDrainCloseTime < closesAt(W) <= closeTime`;
 * - update mode emits W when it was created or included a record since the last drain.
 */
import { MAX_TIME_MS, toKernelSpec } from '../../src/wasm/window-spec.js';
import {
  RecordStatus,
  type BatchOutcome,
  type InputColumns,
  type WindowResults,
  type WindowSpec,
  type WindowStats,
  type WindowStatsKernel,
  MAX_KEY_ID,
} from '../../src/wasm/window-stats-kernel.js';

interface Accepted {
  key: number;
  ts: number;
  value: number;
  /** Event sequence number at arrival. */
  seq: number;
  /** closeTime after this record raised stream time (before it was applied). */
  closeAtArrival: number;
}

interface Computed {
  stats: WindowStats;
  /** Sequence number of the moment the window came into existence. */
  createdSeq: number;
  /** Largest sequence number among included records. */
  lastSeq: number;
}

function stats(key: number, start: number, end: number, values: readonly number[]): WindowStats {
  // Welford in arrival order, as the README prescribes for updates.
  let count = 0;
  let sum = 0;
  let mean = 0;
  let m2 = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of values) {
    count++;
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    const d = x - mean;
    mean += d / count;
    m2 += d * (x - mean);
  }
  return { key, start, end, count, sum, min, max, mean, m2 };
}

class Rows implements WindowResults {
  constructor(private readonly rows: WindowStats[]) {}
  get length(): number { return this.rows.length; }
  private r(i: number): WindowStats {
    const row = this.rows[i];
    if (row === undefined) throw new RangeError(`row ${i}`);
    return row;
  }
  key(i: number): number { return this.r(i).key; }
  start(i: number): number { return this.r(i).start; }
  end(i: number): number { return this.r(i).end; }
  count(i: number): number { return this.r(i).count; }
  sum(i: number): number { return this.r(i).sum; }
  min(i: number): number { return this.r(i).min; }
  max(i: number): number { return this.r(i).max; }
  mean(i: number): number { return this.r(i).mean; }
  m2(i: number): number { return this.r(i).m2; }
  row(i: number): WindowStats { return { ...this.r(i) }; }
  toArray(): WindowStats[] { return this.rows.map((r) => ({ ...r })); }
}

export class BruteForceKernel implements WindowStatsKernel {
  readonly spec: Readonly<Required<WindowSpec>>;
  private closed = false;
  private st = Number.NEGATIVE_INFINITY;
  private late = 0;
  private invalid = 0;
  private seq = 0;
  private accepted: Accepted[] = [];
  private lastDrainSeq = 0;
  private lastDrainClose = Number.NEGATIVE_INFINITY;
  private cols = { keys: new Uint32Array(0), timestamps: new Float64Array(0), values: new Float64Array(0) };

  constructor(spec: WindowSpec) {
    this.spec = toKernelSpec(spec);
  }

  private check(): void {
    if (this.closed) throw new Error('BruteForceKernel: closed');
  }

  /** Exclusive end: the smallest closeTime at which a window ending at `end` is closed. */
  private closesAt(end: number): number {
    return this.spec.kind === 'sliding' ? end + 1 : end;
  }

  private get closeTime(): number {
    return this.st - this.spec.graceMs;
  }

  batch(capacity: number): InputColumns {
    this.check();
    if (capacity > this.cols.keys.length) {
      this.cols = {
        keys: new Uint32Array(capacity),
        timestamps: new Float64Array(capacity),
        values: new Float64Array(capacity),
      };
    }
    return this.cols;
  }

  ingest(n: number): BatchOutcome {
    this.check();
    if (n > this.cols.keys.length) throw new Error('BruteForceKernel: batch too large');
    const statuses = new Uint8Array(n);
    const zScores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const key = this.cols.keys[i] as number;
      const rawTs = this.cols.timestamps[i] as number;
      const value = this.cols.values[i] as number;
      zScores[i] = Number.NaN;
      if (key > MAX_KEY_ID) {
        statuses[i] = RecordStatus.INVALID_KEY;
        this.invalid++;
        continue;
      }
      if (!(Number.isFinite(rawTs) && rawTs >= 0 && rawTs <= MAX_TIME_MS)) {
        statuses[i] = RecordStatus.INVALID_TIMESTAMP;
        this.invalid++;
        continue;
      }
      if (!Number.isFinite(value)) {
        statuses[i] = RecordStatus.INVALID_VALUE;
        this.invalid++;
        continue;
      }
      const ts = Math.floor(rawTs);
      this.seq++;
      this.st = Math.max(this.st, ts);
      const close = this.closeTime;
      const { kind, sizeMs, advanceMs } = this.spec;
      const late =
        kind === 'sliding' ? ts + sizeMs + 1 <= close : Math.floor(ts / advanceMs) * advanceMs + sizeMs <= close;
      if (late) {
        statuses[i] = RecordStatus.LATE;
        this.late++;
        continue;
      }
      statuses[i] = RecordStatus.APPLIED;
      this.accepted.push({ key, ts, value, seq: this.seq, closeAtArrival: close });
      if (this.spec.zscore) {
        // Newest window: tumbling/hopping the one with the largest start; sliding the left window.
        const start = kind === 'sliding' ? ts - sizeMs : Math.floor(ts / advanceMs) * advanceMs;
        const end = start + sizeMs;
        if (this.closesAt(end) <= close) continue; // sliding left window already closed: NaN
        const w = this.compute(key, start);
        if (w === undefined) throw new Error(`BruteForceKernel: newest window ${key}:${start} missing`);
        const { count, m2, mean } = w.stats;
        const sd = count < 2 ? 0 : Math.sqrt(m2 / (count - 1));
        zScores[i] = sd === 0 ? 0 : (value - mean) / sd;
      }
    }
    return { statuses, zScores: this.spec.zscore ? zScores : undefined };
  }

  advanceStreamTime(timestampMs: number): void {
    this.check();
    if (!(Number.isFinite(timestampMs) && timestampMs >= 0 && timestampMs <= MAX_TIME_MS)) {
      throw new Error(`BruteForceKernel: invalid timestamp ${timestampMs}`);
    }
    this.seq++;
    this.st = Math.max(this.st, Math.floor(timestampMs));
  }

  /** The window of `key` starting at `start`, from scratch; undefined when it does not exist. */
  private compute(key: number, start: number): Computed | undefined {
    const { kind, sizeMs } = this.spec;
    const end = start + sizeMs;
    const mine = this.accepted.filter((r) => r.key === key);
    const inWindow = (ts: number): boolean => (kind === 'sliding' ? start <= ts && ts <= end : start <= ts && ts < end);
    const included = mine.filter((r) => inWindow(r.ts) && this.closesAt(end) > r.closeAtArrival);
    let createdSeq: number;
    if (kind === 'sliding') {
      // First moment the window qualifies, as a left and/or right window.
      let qualifies = Number.POSITIVE_INFINITY;
      let creator: Accepted | undefined;
      const left = mine.find((r) => r.ts === end);
      if (left !== undefined) {
        qualifies = left.seq;
        creator = left;
      }
      const y = mine.find((r) => r.ts === start - 1);
      const t = mine.find((r) => r.ts > start - 1 && r.ts <= end);
      if (y !== undefined && t !== undefined) {
        const later = y.seq > t.seq ? y : t;
        if (later.seq < qualifies) {
          qualifies = later.seq;
          creator = later;
        }
      }
      if (creator === undefined) return undefined;
      if (this.closesAt(end) <= creator.closeAtArrival) return undefined; // closed when it would have been created
      createdSeq = creator.seq;
    } else {
      if (included.length === 0) return undefined;
      createdSeq = (included[0] as Accepted).seq;
    }
    const lastSeq = included.reduce((m, r) => Math.max(m, r.seq), createdSeq);
    return {
      stats: stats(key, start, end, included.map((r) => r.value)),
      createdSeq,
      lastSeq,
    };
  }

  /** Every window that exists now. */
  private allWindows(): Computed[] {
    const { kind, sizeMs, advanceMs } = this.spec;
    const ids = new Map<string, [number, number]>();
    for (const r of this.accepted) {
      if (kind === 'sliding') {
        ids.set(`${r.key}:${r.ts - sizeMs}`, [r.key, r.ts - sizeMs]);
        ids.set(`${r.key}:${r.ts + 1}`, [r.key, r.ts + 1]);
      } else {
        for (let s = Math.floor(r.ts / advanceMs) * advanceMs; s >= 0 && s > r.ts - sizeMs; s -= advanceMs) {
          ids.set(`${r.key}:${s}`, [r.key, s]);
        }
      }
    }
    const out: Computed[] = [];
    for (const [key, start] of ids.values()) {
      const w = this.compute(key, start);
      if (w !== undefined) out.push(w);
    }
    return out;
  }

  drain(): WindowResults {
    this.check();
    const close = this.closeTime;
    const emitted = this.allWindows().filter((w) =>
      this.spec.emit === 'final'
        ? this.lastDrainClose < this.closesAt(w.stats.end) && this.closesAt(w.stats.end) <= close
        : w.createdSeq > this.lastDrainSeq || w.lastSeq > this.lastDrainSeq,
    );
    const sealed = emitted
      .filter((w) => this.closesAt(w.stats.end) <= close)
      .map((w) => w.stats)
      .sort((a, b) => a.end - b.end || a.key - b.key || a.start - b.start);
    const open = emitted
      .filter((w) => this.closesAt(w.stats.end) > close)
      .map((w) => w.stats)
      .sort((a, b) => a.key - b.key || a.start - b.start);
    this.lastDrainSeq = this.seq;
    this.lastDrainClose = close;
    return new Rows([...sealed, ...open]);
  }

  fetch(key: number, startMs: number): WindowStats | undefined {
    this.check();
    return this.compute(key, startMs)?.stats;
  }

  get streamTime(): number { this.check(); return this.st; }
  get lateRecords(): number { this.check(); return this.late; }
  get invalidRecords(): number { this.check(); return this.invalid; }

  exportState(): Uint8Array {
    this.check();
    const fin = (x: number): number | null => (Number.isFinite(x) ? x : null);
    return new TextEncoder().encode(
      JSON.stringify({
        spec: this.spec,
        st: fin(this.st),
        late: this.late,
        invalid: this.invalid,
        seq: this.seq,
        lastDrainSeq: this.lastDrainSeq,
        lastDrainClose: fin(this.lastDrainClose),
        accepted: this.accepted,
      }),
    );
  }

  importState(state: Uint8Array): void {
    this.check();
    const s = JSON.parse(new TextDecoder().decode(state)) as {
      spec: Required<WindowSpec>;
      st: number | null;
      late: number;
      invalid: number;
      seq: number;
      lastDrainSeq: number;
      lastDrainClose: number | null;
      accepted: Accepted[];
    };
    if (JSON.stringify(s.spec) !== JSON.stringify(this.spec)) throw new Error('BruteForceKernel: STATE_MISMATCH');
    this.st = s.st ?? Number.NEGATIVE_INFINITY;
    this.late = s.late;
    this.invalid = s.invalid;
    this.seq = s.seq;
    this.lastDrainSeq = s.lastDrainSeq;
    this.lastDrainClose = s.lastDrainClose ?? Number.NEGATIVE_INFINITY;
    this.accepted = s.accepted;
  }

  close(): void {
    this.closed = true;
  }
}
