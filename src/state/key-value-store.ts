import { StateStore } from './state-store.js';
import { describeValue, invalidArgument, requireBytes } from './validation.js';

/** One entry of a store, as iterators yield it. */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/**
 * An ordered byte key-value store with an asynchronous contract: what the
 * runtime persists each working store's changes to (LevelDB, see
 * `LevelKeyValueStore`). Processors never see it; they use the
 * synchronous stores of `store-api.ts`.
 *
 * **Why async.** LevelDB's reads and writes complete on a libuv thread and
 * its iterators fetch in batches; a synchronous contract would block the
 * event loop on every call.
 *
 * Guarantees (checked by `describeKeyValueStore` for every implementation):
 * - keys order by unsigned lexicographic bytes (`0x00` < `0x7f` < `0xff`; a
 *   prefix sorts before its extensions);
 * - absence is `undefined`; a stored value is never `undefined` or `null`;
 * - `range(from, to)` includes both bounds; a missing bound is open; `from > to`
 *   yields nothing;
 * - iterators yield keys in order; a key present and unchanged for the whole
 *   iteration is yielded exactly once; writes made while iterating may or may
 *   not be seen;
 * - returned arrays must be treated as read-only: a store may hand out the
 *   array it holds; a store copies (or serializes) what it is given, so
 *   mutating an array after `put` does not change the store.
 *
 * @example
 * const store = new LevelKeyValueStore('counts', join(stateDir, appId, taskId, 'counts'));
 * await store.open();
 * await store.put(utf8('a'), utf8('1'));
 * for await (const { key, value } of store.range(utf8('a'), utf8('m'))) console.log(key, value);
 */
export abstract class KeyValueStore<K = Uint8Array, V = Uint8Array> extends StateStore {
  protected override readonly contract: string = 'KeyValueStore';

  /** The value stored under `key`, or `undefined`. */
  async get(key: K): Promise<V | undefined> {
    this.checkKey('get', 'key', key);
    this.assertOpen('get');
    return this._get(key);
  }

  /** Stores `value` under `key`, replacing any previous value. Use {@link delete} to remove. */
  async put(key: K, value: V): Promise<void> {
    this.checkKey('put', 'key', key);
    this.checkValue('put', 'value', value);
    this.assertOpen('put');
    return this._put(key, value);
  }

  /**
   * Stores every entry; a later entry for the same key wins. All entries are
   * checked before any is written. Backends that can (LevelDB) write them
   * atomically.
   */
  async putAll(entries: Iterable<KeyValue<K, V>>): Promise<void> {
    const api = `${this.contract}.putAll`;
    if (entries === null || typeof entries !== 'object' || !(Symbol.iterator in entries)) {
      throw invalidArgument(api, 'entries', 'be an iterable of { key, value }', describeValue(entries));
    }
    const batch: KeyValue<K, V>[] = [];
    for (const entry of entries) {
      if (entry === null || typeof entry !== 'object') {
        throw invalidArgument(api, `entries[${batch.length}]`, 'be a { key, value } object', describeValue(entry));
      }
      this.checkKey('putAll', `entries[${batch.length}].key`, entry.key);
      this.checkValue('putAll', `entries[${batch.length}].value`, entry.value);
      batch.push(entry);
    }
    this.assertOpen('putAll');
    if (batch.length > 0) await this._putAll(batch);
  }

  /** Removes `key`; resolves to the value it had, or `undefined` if it had none. */
  async delete(key: K): Promise<V | undefined> {
    this.checkKey('delete', 'key', key);
    this.assertOpen('delete');
    return this._delete(key);
  }

  /**
   * Stores `value` only if `key` has no value; resolves to the existing value
   * (nothing written) or `undefined` (written).
   */
  async putIfAbsent(key: K, value: V): Promise<V | undefined> {
    this.checkKey('putIfAbsent', 'key', key);
    this.checkValue('putIfAbsent', 'value', value);
    this.assertOpen('putIfAbsent');
    return this._putIfAbsent(key, value);
  }

  /**
   * Entries with `from <= key <= to`, ascending. Either bound may be
   * `undefined` (open). Pass `range(undefined, to)` for "everything up to".
   */
  range(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    this.checkBounds('range', from, to);
    this.assertOpen('range');
    return this.guardIterator('range', this._range(from, to, false));
  }

  /** The same entries as {@link range}, descending. */
  reverseRange(from?: K, to?: K): AsyncIterableIterator<KeyValue<K, V>> {
    this.checkBounds('reverseRange', from, to);
    this.assertOpen('reverseRange');
    return this.guardIterator('reverseRange', this._range(from, to, true));
  }

  /** Every entry, ascending. */
  all(): AsyncIterableIterator<KeyValue<K, V>> {
    this.assertOpen('all');
    return this.guardIterator('all', this._range(undefined, undefined, false));
  }

  /** Entries whose key starts with `prefix` (as bytes), ascending. An empty prefix yields everything. */
  prefixScan(prefix: K): AsyncIterableIterator<KeyValue<K, V>> {
    this.checkKey('prefixScan', 'prefix', prefix);
    this.assertOpen('prefixScan');
    return this.guardIterator('prefixScan', this._prefixScan(prefix));
  }

  /**
   * Number of entries. LevelDB counts by scanning keys (O(n)), so call it
   * for diagnostics, not per record.
   */
  async approximateNumEntries(): Promise<number> {
    this.assertOpen('approximateNumEntries');
    return this._approximateNumEntries();
  }

  /** Checks a key argument: a Uint8Array. */
  protected checkKey(method: string, what: string, key: unknown): void {
    requireBytes(`${this.contract}.${method}`, what, key);
  }

  /** Checks a value argument, like {@link checkKey}. */
  protected checkValue(method: string, what: string, value: unknown): void {
    requireBytes(`${this.contract}.${method}`, what, value);
  }

  private checkBounds(method: string, from: unknown, to: unknown): void {
    if (from !== undefined) this.checkKey(method, 'from', from);
    if (to !== undefined) this.checkKey(method, 'to', to);
  }

  protected abstract _get(key: K): Promise<V | undefined>;
  protected abstract _put(key: K, value: V): Promise<void>;
  protected abstract _delete(key: K): Promise<V | undefined>;
  /** `from`/`to` inclusive, either may be undefined; `reverse` yields descending. */
  protected abstract _range(from: K | undefined, to: K | undefined, reverse: boolean): AsyncIterable<KeyValue<K, V>>;
  protected abstract _prefixScan(prefix: K): AsyncIterable<KeyValue<K, V>>;
  protected abstract _approximateNumEntries(): Promise<number>;

  /** Default: one `_put` per entry. Backends with atomic batches override. */
  protected async _putAll(entries: readonly KeyValue<K, V>[]): Promise<void> {
    for (const { key, value } of entries) await this._put(key, value);
  }

  /** Default: read, then write if absent. */
  protected async _putIfAbsent(key: K, value: V): Promise<V | undefined> {
    const existing = await this._get(key);
    if (existing === undefined) await this._put(key, value);
    return existing;
  }
}
