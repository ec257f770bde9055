/**
 * The stores processors and interactive queries see. They are synchronous:
 * a task serves its state from memory and persists changes at each commit
 * (LevelDB locally, the changelog topic remotely), so `process()` never waits
 * on I/O. Kafka Streams' stores are synchronous too; the difference is that
 * rivulet's working set must fit in memory (see the README).
 */

/** An entry of a key-value store. */
export interface KeyValueEntry<K, V> {
  readonly key: K;
  readonly value: V;
}

/** Read access, as interactive queries get it. Ranges follow the serialized key's byte order. */
export interface ReadOnlyKeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  /** Entries with `from <= key <= to` (either bound optional), ascending. */
  range(from?: K, to?: K): KeyValueEntry<K, V>[];
  reverseRange(from?: K, to?: K): KeyValueEntry<K, V>[];
  all(): KeyValueEntry<K, V>[];
  prefixScan(prefix: K): KeyValueEntry<K, V>[];
  approximateNumEntries(): number;
}

/** Read and write access for processors (Kafka Streams' `KeyValueStore`). */
export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V> {
  /** Stores `value` under `key`; `null` or `undefined` deletes the key, as in Kafka Streams. */
  put(key: K, value: V): void;
  putIfAbsent(key: K, value: V): V | undefined;
  /** Removes the key; returns the old value. */
  delete(key: K): V | undefined;
}

/** A window's value in a window store. */
export interface WindowEntry<K, V> {
  readonly key: K;
  readonly windowStart: number;
  readonly value: V;
}

/** Read access to a window store, as interactive queries get it. */
export interface ReadOnlyWindowStore<K, V> {
  readonly name: string;
  fetch(key: K, windowStart: number): V | undefined;
  /** Windows of `key` whose start is in `[timeFrom, timeTo]`, ascending by start. */
  fetchRange(key: K, timeFrom: number, timeTo: number): WindowEntry<K, V>[];
  /**
   * Windows of all keys whose start is in `[timeFrom, timeTo]`, in the order of
   * {@link all}.
   */
  fetchAll(timeFrom: number, timeTo: number): WindowEntry<K, V>[];
  /**
   * Every window, grouped by key and ascending by start within a key. Keys
   * follow their serialized form: shorter first, then by bytes.
   */
  all(): WindowEntry<K, V>[];
}

/** Read and write access to a window store for processors. */
export interface WindowStore<K, V> extends ReadOnlyWindowStore<K, V> {
  /** Stores `value` for the window; `undefined` removes it. */
  put(key: K, value: V | undefined, windowStart: number): void;
}

/** A session in a session store. `end` is inclusive (last record's time). */
export interface SessionEntry<K, V> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: V;
}

/** Read access to a session store. */
export interface ReadOnlySessionStore<K, V> {
  readonly name: string;
  /**
   * Sessions of `key` overlapping `[earliestSessionEnd, latestSessionStart]`:
   * `end >= earliestSessionEnd` and `start <= latestSessionStart`, ascending by
   * end, then start (Kafka Streams' `findSessions`).
   */
  findSessions(key: K, earliestSessionEnd: number, latestSessionStart: number): SessionEntry<K, V>[];
  /** The session with exactly this key, start and end. */
  fetchSession(key: K, start: number, end: number): V | undefined;
  /** Every session, grouped by key as in {@link ReadOnlyWindowStore.all}, then ascending by end, then start. */
  all(): SessionEntry<K, V>[];
}

/** Read and write access to a session store for processors. */
export interface SessionStore<K, V> extends ReadOnlySessionStore<K, V> {
  /** Stores the session's value; `null` or `undefined` removes the session. */
  put(key: K, start: number, end: number, value: V): void;
  remove(key: K, start: number, end: number): void;
}
