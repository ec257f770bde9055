import type { Serde } from '../serde/serde.js';
import { bytesToKey, keyToBytes, lengthPrefixed, splitLengthPrefixed, timeFromKey, timeKey } from './byte-keys.js';
import type { WindowEntry, WindowStore } from './store-api.js';
import { WorkingTable, type PersistableState, type StoreChange } from './working-table.js';

/**
 * A task's window store, served from memory. Entries are keyed by
 * `u32 key length | key bytes | 8-byte window start`, so one key's windows are
 * contiguous and ordered by start (the persisted layout is the same).
 */
export class WorkingWindowStore<K, V> implements WindowStore<K, V>, PersistableState {
  private readonly table = new WorkingTable<WindowEntry<K, V>>();
  private observedStreamTime = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    /** Windows whose start is older than stream time minus this are dropped. */
    readonly retentionMs: number,
  ) {}

  private prefix(key: K): string {
    return lengthPrefixed(bytesToKey(this.keySerde.serialize(key)));
  }

  put(key: K, value: V | undefined, windowStart: number): void {
    const k = this.prefix(key) + timeKey(windowStart);
    if (value === undefined || value === null) this.table.delete(k);
    else this.table.set(k, { key, windowStart, value });
  }

  fetch(key: K, windowStart: number): V | undefined {
    return this.table.get(this.prefix(key) + timeKey(windowStart))?.value;
  }

  fetchRange(key: K, timeFrom: number, timeTo: number): WindowEntry<K, V>[] {
    const p = this.prefix(key);
    return this.table.keysInRange(p + timeKey(timeFrom), p + timeKey(timeTo)).map((k) => this.table.get(k) as WindowEntry<K, V>);
  }

  fetchAll(timeFrom: number, timeTo: number): WindowEntry<K, V>[] {
    return this.all().filter((e) => e.windowStart >= timeFrom && e.windowStart <= timeTo);
  }

  all(): WindowEntry<K, V>[] {
    return this.table.keysInRange().map((k) => this.table.get(k) as WindowEntry<K, V>);
  }

  /** Drops windows past retention; the processor calls it as stream time advances. */
  expire(streamTime: number): void {
    if (streamTime <= this.observedStreamTime) return;
    this.observedStreamTime = streamTime;
    const cutoff = streamTime - this.retentionMs;
    for (const k of this.table.keysInRange()) {
      const e = this.table.get(k) as WindowEntry<K, V>;
      if (e.windowStart < cutoff) this.table.delete(k);
    }
  }

  size(): number {
    return this.table.size;
  }

  drainChanges(): StoreChange[] {
    return this.table.drainChanges((e) => this.valueSerde.serialize(e.value));
  }

  restore(key: Uint8Array, value: Uint8Array | null): void {
    const k = bytesToKey(key);
    if (value === null) {
      this.table.delete(k, false);
      return;
    }
    const { key: keyBytes, rest } = splitLengthPrefixed(k);
    this.table.set(k, { key: this.keySerde.deserialize(keyBytes), windowStart: timeFromKey(k, rest), value: this.valueSerde.deserialize(value) }, false);
  }
}
