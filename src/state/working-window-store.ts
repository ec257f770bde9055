import type { Serde } from '../serde/serde.js';
import { bytesToKey, lengthPrefixed, splitLengthPrefixed, timeFromKey, timeKey } from './byte-keys.js';
import type { WindowEntry, WindowStore } from './store-api.js';
import { ExpiryQueue } from './expiry-queue.js';
import { WorkingTable, type PersistableState, type StoreChange } from './working-table.js';

/** A window entry with the largest timestamp of the records aggregated into it (Kafka Streams' `ValueAndTimestamp`). */
export interface TimestampedWindowEntry<K, V> extends WindowEntry<K, V> {
  readonly timestamp: number;
}

/** Bytes of the record timestamp that timestamped stores put before each value. */
const TIMESTAMP_BYTES = 8;

/**
 * A task's window store, served from memory. Entries are keyed by
 * `u32 key length | key bytes | 8-byte window start`, so one key's windows are
 * contiguous and ordered by start (the persisted layout is the same).
 */
export class WorkingWindowStore<K, V> implements WindowStore<K, V>, PersistableState {
  private readonly table = new WorkingTable<TimestampedWindowEntry<K, V>>();
  private readonly expiry = new ExpiryQueue();
  private observedStreamTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** Windows whose start is older than stream time minus this are dropped. */
    readonly retentionMs: number,
    /**
     * Keep each window's largest record timestamp, persisted ahead of the value
     * (sliding windows need it to know which records a window holds).
     */
    private readonly timestamped = false,
  ) {}

  private prefix(key: K): string {
    return lengthPrefixed(bytesToKey(this.keySerde.serialize(key)));
  }

  put(key: K, value: V | undefined, windowStart: number): void {
    this.putWithTimestamp(key, value, windowStart, windowStart);
  }

  /** Stores `value` with the largest timestamp of the records it aggregates; `undefined` removes it. */
  putWithTimestamp(key: K, value: V | undefined, windowStart: number, timestamp: number): void {
    const k = this.prefix(key) + timeKey(windowStart);
    if (value === undefined || value === null) this.table.delete(k);
    else {
      if (this.table.get(k) === undefined) this.expiry.add(windowStart, k);
      this.table.set(k, { key, windowStart, value, timestamp });
    }
  }

  /** Like {@link fetchRange}, with each window's record timestamp (meaningful in timestamped stores). */
  fetchRangeWithTimestamps(key: K, timeFrom: number, timeTo: number): TimestampedWindowEntry<K, V>[] {
    const p = this.prefix(key);
    return this.table.keysInRange(p + timeKey(timeFrom), p + timeKey(timeTo)).map((k) => this.table.get(k) as TimestampedWindowEntry<K, V>);
  }

  fetch(key: K, windowStart: number): V | undefined {
    return this.table.get(this.prefix(key) + timeKey(windowStart))?.value;
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): WindowEntry<K, V>[] {
    return this.fetchRangeWithTimestamps(key, timeFrom, timeTo).map(entry);
  }

  fetchAll(timeFrom: number, timeTo: number): WindowEntry<K, V>[] {
    return this.all().filter((e) => e.windowStart >= timeFrom && e.windowStart <= timeTo);
  }

  all(): WindowEntry<K, V>[] {
    return this.table.keysInRange().map((k) => entry(this.table.get(k) as TimestampedWindowEntry<K, V>));
  }

  /** Drops windows past retention; the processor calls it as stream time advances. */
  expire(streamTime: number): void {
    if (streamTime <= this.observedStreamTime) return;
    this.observedStreamTime = streamTime;
    const cutoff = streamTime - this.retentionMs;
    this.expiry.popBefore(cutoff, (k) => {
      if (this.table.get(k) !== undefined) this.table.delete(k);
    });
  }

  size(): number {
    return this.table.size;
  }

  drainChanges(): StoreChange[] {
    return this.table.drainChanges((e) => {
      const value = this.valueSerde.serialize(e.value);
      if (!this.timestamped) return value;
      const out = new Uint8Array(TIMESTAMP_BYTES + value.length);
      new DataView(out.buffer).setFloat64(0, e.timestamp);
      out.set(value, TIMESTAMP_BYTES);
      return out;
    });
  }

  restore(key: Uint8Array, value: Uint8Array | null): void {
    this.table.restore(key, value, (k, v) => {
      const { key: keyBytes, rest } = splitLengthPrefixed(k);
      const windowStart = timeFromKey(k, rest);
      const timestamp = this.timestamped ? new DataView(v.buffer, v.byteOffset, v.byteLength).getFloat64(0) : windowStart;
      const valueBytes = this.timestamped ? v.subarray(TIMESTAMP_BYTES) : v;
      this.expiry.add(windowStart, k);
      return { key: this.keySerde.deserialize(keyBytes), windowStart, value: this.valueSerde.deserialize(valueBytes), timestamp };
    });
  }
}

/** What readers see: the entry without the internal timestamp. */
function entry<K, V>(e: TimestampedWindowEntry<K, V>): WindowEntry<K, V> {
  return { key: e.key, windowStart: e.windowStart, value: e.value };
}
