import { StateStore } from './state-store.js';
import { requireBytes, requireBytesOrNull, requireTime } from './validation.js';

/** One window of one key, as window-store iterators yield it. */
export interface WindowRecord {
  readonly key: Uint8Array;
  /** Window start, epoch ms. The store does not know window sizes; the caller does. */
  readonly windowStart: number;
  readonly value: Uint8Array;
}

/**
 * A store of values per (key, window start), over byte keys and values — what
 * windowed aggregations and windowed joins keep. Async for the same reason as
 * {@link KeyValueStore}.
 *
 * Retention: the store tracks `observedStreamTime`, the largest window start
 * ever put. A window whose start is `< observedStreamTime - retentionMs` is
 * expired: reads never return it, a put for it is dropped, and it is deleted
 * from the storage lazily (on a later put or flush). Choose `retentionMs >=
 * window size + grace`, or windows disappear before they close.
 *
 * Guarantees (checked by `describeWindowStore`):
 * - `fetchRange` yields windows of exactly that key (never of a key sharing
 *   its prefix) with `timeFrom <= start <= timeTo`, ascending by start;
 * - `fetchAll` and `all` yield each key's windows together, ascending by start
 *   within a key; keys come in the {@link WindowKeySchema} order;
 * - `put(key, null, start)` deletes that window;
 * - times are safe integers of epoch ms; negative starts are ordered correctly.
 */
export abstract class WindowStore extends StateStore {
  protected override readonly contract: string = 'WindowStore';
  /** How long (ms, in stream time) windows stay after the newest window start. */
  abstract readonly retentionMs: number;
  /**
   * The largest window start put so far (after a reopen: the largest stored),
   * `-Infinity` before any. Retention is measured from it.
   */
  abstract readonly observedStreamTime: number;

  /** Stores `value` for the window of `key` starting at `windowStart`; `null` deletes it. */
  async put(key: Uint8Array, value: Uint8Array | null, windowStart: number): Promise<void> {
    requireBytes('WindowStore.put', 'key', key);
    requireBytesOrNull('WindowStore.put', 'value', value);
    requireTime('WindowStore.put', 'windowStart', windowStart);
    this.assertOpen('put');
    return this._put(key, value, windowStart);
  }

  /** The value of the window of `key` starting at `windowStart`, or `undefined` (absent or expired). */
  async fetch(key: Uint8Array, windowStart: number): Promise<Uint8Array | undefined> {
    requireBytes('WindowStore.fetch', 'key', key);
    requireTime('WindowStore.fetch', 'windowStart', windowStart);
    this.assertOpen('fetch');
    return this._fetch(key, windowStart);
  }

  /** Windows of `key` whose start is in `[timeFrom, timeTo]`, ascending by start. */
  fetchRange(key: Uint8Array, timeFrom: number, timeTo: number): AsyncIterableIterator<WindowRecord> {
    requireBytes('WindowStore.fetchRange', 'key', key);
    requireTime('WindowStore.fetchRange', 'timeFrom', timeFrom);
    requireTime('WindowStore.fetchRange', 'timeTo', timeTo);
    this.assertOpen('fetchRange');
    return this.guardIterator('fetchRange', this._fetchRange(key, timeFrom, timeTo));
  }

  /** Windows of every key whose start is in `[timeFrom, timeTo]`. Scans the whole store. */
  fetchAll(timeFrom: number, timeTo: number): AsyncIterableIterator<WindowRecord> {
    requireTime('WindowStore.fetchAll', 'timeFrom', timeFrom);
    requireTime('WindowStore.fetchAll', 'timeTo', timeTo);
    this.assertOpen('fetchAll');
    return this.guardIterator('fetchAll', this._fetchAll(timeFrom, timeTo));
  }

  /** Every unexpired window. */
  all(): AsyncIterableIterator<WindowRecord> {
    this.assertOpen('all');
    return this.guardIterator('all', this._fetchAll(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  }

  protected abstract _put(key: Uint8Array, value: Uint8Array | null, windowStart: number): Promise<void>;
  protected abstract _fetch(key: Uint8Array, windowStart: number): Promise<Uint8Array | undefined>;
  protected abstract _fetchRange(key: Uint8Array, timeFrom: number, timeTo: number): AsyncIterable<WindowRecord>;
  protected abstract _fetchAll(timeFrom: number, timeTo: number): AsyncIterable<WindowRecord>;
}
