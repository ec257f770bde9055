import type { ConsumerRecord, IsolationLevel, RecordHeaders } from '../transport.js';
import { Notifier } from './notifier.js';

/** How far a transaction got; shared by all its entries so a commit or abort flips them at once. */
export type TransactionStatus = 'ongoing' | 'committed' | 'aborted';

/** The part of a transaction a log needs to decide visibility. */
export interface LogTransaction {
  readonly status: TransactionStatus;
}

/**
 * One offset of the log: a data record, or a transaction marker (`record`
 * null), which takes an offset exactly as Kafka's control records do so offset
 * arithmetic bugs in the runtime show up here too.
 */
class LogEntry {
  constructor(
    readonly offset: number,
    readonly record: ConsumerRecord | null,
    readonly txn: LogTransaction | null,
    /** Broker time of the append, for `retention.ms`. */
    readonly appendedAt: number,
    /** When compaction first kept this tombstone; -1 until then. */
    public tombstoneSeenAt = -1,
  ) {}
}

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

/** What a read returned and where the reader stands afterwards. */
export interface ReadResult {
  /** Next position: past the last returned record, or past skipped markers and aborted records. */
  readonly position: number;
  readonly count: number;
}

/**
 * One partition's append-only log. Offsets are assigned here; the high
 * watermark is the log end (there is no replication to wait for). The last
 * stable offset is the first offset of the oldest transaction still open in
 * this partition.
 */
export class PartitionLog {
  #entries: LogEntry[] = [];
  #logStart = 0;
  #next = 0;
  /** Open transactions → their first offset here; the minimum is the last stable offset. */
  readonly #open = new Map<LogTransaction, number>();
  /** Entries left by the last compaction, so the next one runs when the dirty part has grown as large. */
  #cleanSize = 0;
  /** Fires on appends and on transaction ends (the last stable offset may move). */
  readonly changed = new Notifier();

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get logStartOffset(): number {
    return this.#logStart;
  }

  get highWatermark(): number {
    return this.#next;
  }

  get lastStableOffset(): number {
    let lso = this.#next;
    for (const first of this.#open.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Stored entries (records and markers); what compaction shrinks. */
  get size(): number {
    return this.#entries.length;
  }

  endOffset(isolation: IsolationLevel): number {
    return isolation === 'read_committed' ? this.lastStableOffset : this.#next;
  }

  /** Whether a reader may stand at `position`. */
  inRange(position: number): boolean {
    return position >= this.#logStart && position <= this.#next;
  }

  /** Appends a record; the caller notifies `changed` once per batch. */
  append(
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp: number,
    headers: RecordHeaders | undefined,
    txn: LogTransaction | null,
    now: number,
  ): ConsumerRecord {
    const offset = this.#next++;
    const record: ConsumerRecord = {
      topic: this.topic,
      partition: this.partition,
      offset,
      key,
      value,
      timestamp,
      headers: headers ?? EMPTY_HEADERS,
    };
    if (txn !== null && !this.#open.has(txn)) this.#open.set(txn, offset);
    this.#entries.push(new LogEntry(offset, record, txn, now));
    return record;
  }

  /** Writes the commit or abort marker of `txn` (whose status is already final) and releases the stable offset. */
  endTransaction(txn: LogTransaction): void {
    if (!this.#open.delete(txn)) return;
    this.#entries.push(new LogEntry(this.#next++, null, txn, Date.now()));
    this.changed.notify();
  }

  /**
   * Appends to `out` up to `max` visible records from `position`. A
   * `read_committed` read stops at the last stable offset and skips aborted
   * records; every read skips markers.
   */
  read(position: number, max: number, isolation: IsolationLevel, out: ConsumerRecord[]): ReadResult {
    const committedOnly = isolation === 'read_committed';
    const limit = committedOnly ? this.lastStableOffset : this.#next;
    if (position >= limit || max <= 0) return { position, count: 0 };
    const entries = this.#entries;
    let i = this.#indexOf(position);
    let count = 0;
    for (; i < entries.length && count < max; i++) {
      const e = entries[i]!;
      if (e.offset >= limit) break;
      position = e.offset + 1;
      if (e.record === null) continue;
      if (committedOnly && e.txn !== null && e.txn.status === 'aborted') continue;
      out.push(e.record);
      count++;
    }
    // Nothing visible left below the limit: stand at the limit, past trailing markers and gaps.
    if (i >= entries.length || entries[i]!.offset >= limit) position = limit;
    return { position, count };
  }

  /** Drops everything before `offset` (≤ high watermark); the log start moves there. */
  deleteBefore(offset: number): void {
    if (offset <= this.#logStart) return;
    const i = this.#indexOf(offset);
    this.#entries = this.#entries.slice(i);
    this.#logStart = offset;
    this.#cleanSize = Math.min(this.#cleanSize, this.#entries.length);
  }

  /**
   * Time-based retention: drops the oldest entries appended before `cutoff`,
   * never past the last stable offset. Uses append time, not record
   * timestamps, so replaying old event-time data does not delete it at once.
   */
  expireBefore(cutoff: number): void {
    const first = this.#entries[0];
    if (first === undefined || first.appendedAt >= cutoff) return;
    const end = this.lastStableOffset;
    let i = 0;
    while (i < this.#entries.length && this.#entries[i]!.appendedAt < cutoff && this.#entries[i]!.offset < end) i++;
    if (i === 0) return;
    this.#entries = this.#entries.slice(i);
    this.#logStart = this.#entries[0]?.offset ?? end;
    this.#cleanSize = Math.min(this.#cleanSize, this.#entries.length);
  }

  /** Whether the dirty part has grown past `threshold` and past the part the last compaction kept. */
  needsCompaction(threshold: number): boolean {
    return this.#entries.length - this.#cleanSize >= Math.max(threshold, this.#cleanSize);
  }

  /**
   * Kafka-style log compaction of the stable part (below the last stable
   * offset; open transactions are left alone): keeps the latest record per key,
   * drops aborted records and markers, and drops a latest-per-key tombstone once
   * `deleteRetentionMs` has passed since a compaction first saw it — that grace
   * lets a reader positioned before the tombstone still see the delete.
   * Offsets never change; the log start offset does not move.
   */
  compact(now: number, deleteRetentionMs: number): void {
    const end = this.lastStableOffset;
    const entries = this.#entries;
    // Key strings computed once per pass; undefined marks entries that cannot survive.
    const keys: (string | undefined)[] = new Array(entries.length);
    const latest = new Map<string, number>();
    let stable = 0;
    for (; stable < entries.length; stable++) {
      const e = entries[stable]!;
      if (e.offset >= end) break;
      if (e.record === null || e.record.key === null || e.txn?.status === 'aborted') continue;
      const k = keyString(e.record.key);
      keys[stable] = k;
      latest.set(k, e.offset);
    }
    const kept: LogEntry[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (i >= stable) {
        kept.push(e);
        continue;
      }
      const k = keys[i];
      if (k === undefined || latest.get(k) !== e.offset) continue;
      const r = e.record!;
      if (r.value === null) {
        if (e.tombstoneSeenAt < 0) e.tombstoneSeenAt = now;
        if (now - e.tombstoneSeenAt >= deleteRetentionMs) continue;
      }
      kept.push(e);
    }
    this.#entries = kept;
    this.#cleanSize = kept.length;
  }

  /** Index of the first entry with offset ≥ `offset` (binary search: compaction leaves gaps). */
  #indexOf(offset: number): number {
    const entries = this.#entries;
    let lo = 0;
    let hi = entries.length;
    // Fast path for the common dense case.
    const first = entries[0];
    if (first !== undefined) {
      const guess = offset - first.offset;
      if (guess >= 0 && guess < hi && entries[guess]!.offset === offset) return guess;
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Latin-1 maps every byte to one code unit, so equal strings mean equal key bytes. */
function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}
