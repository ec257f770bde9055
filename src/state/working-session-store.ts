import type { Serde } from '../serde/serde.js';
import { bytesToKey, lengthPrefixed, splitLengthPrefixed, timeFromKey, timeKey } from './byte-keys.js';
import type { SessionEntry, SessionStore } from './store-api.js';
import { ExpiryQueue } from './expiry-queue.js';
import { WorkingTable, type PersistableState, type StoreChange } from './working-table.js';

/**
 * A task's session store, served from memory. Entries are keyed by
 * `u32 key length | key bytes | 8-byte end | 8-byte start` (Kafka Streams orders
 * sessions of a key by end time, then start).
 */
export class WorkingSessionStore<K, V> implements SessionStore<K, V>, PersistableState {
  private readonly table = new WorkingTable<SessionEntry<K, V>>();
  private readonly expiry = new ExpiryQueue();

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    readonly retentionMs: number,
  ) {}

  private prefix(key: K): string {
    return lengthPrefixed(bytesToKey(this.keySerde.serialize(key)));
  }

  /** Stores the session's value; `null` or `undefined` removes it, as in the other stores. */
  put(key: K, start: number, end: number, value: V): void {
    // Held as is, an absent value would be served until the commit, whose
    // serialization then fails (the built-in serdes have no form for undefined).
    if (value === undefined || value === null) this.remove(key, start, end);
    else {
      const k = this.prefix(key) + timeKey(end) + timeKey(start);
      if (this.table.get(k) === undefined) this.expiry.add(end, k);
      this.table.set(k, { key, start, end, value });
    }
  }

  remove(key: K, start: number, end: number): void {
    this.table.delete(this.prefix(key) + timeKey(end) + timeKey(start));
  }

  fetchSession(key: K, start: number, end: number): V | undefined {
    return this.table.get(this.prefix(key) + timeKey(end) + timeKey(start))?.value;
  }

  findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): SessionEntry<K, V>[] {
    const p = this.prefix(key);
    return this.table
      .keysInRange(p + timeKey(earliestSessionEnd), p + timeKey(Number.MAX_SAFE_INTEGER - 2 ** 52))
      .map((k) => this.table.get(k) as SessionEntry<K, V>)
      .filter((e) => e.start <= latestSessionStart);
  }

  all(): SessionEntry<K, V>[] {
    return this.table.keysInRange().map((k) => this.table.get(k) as SessionEntry<K, V>);
  }

  /** Drops sessions that ended before stream time minus retention. */
  expire(streamTime: number): void {
    const cutoff = streamTime - this.retentionMs;
    this.expiry.popBefore(cutoff, (k) => {
      if (this.table.get(k) !== undefined) this.table.delete(k);
    });
  }

  size(): number {
    return this.table.size;
  }

  drainChanges(): StoreChange[] {
    return this.table.drainChanges((e) => this.valueSerde.serialize(e.value));
  }

  restore(key: Uint8Array, value: Uint8Array | null): void {
    this.table.restore(key, value, (k, v) => {
      const { key: keyBytes, rest } = splitLengthPrefixed(k);
      const end = timeFromKey(k, rest);
      this.expiry.add(end, k);
      return { key: this.keySerde.deserialize(keyBytes), end, start: timeFromKey(k, rest + 8), value: this.valueSerde.deserialize(v) };
    });
  }
}
