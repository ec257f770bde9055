import { compareBytes, copyBytes, hasPrefix } from './bytes.js';
import type { CachedStore, CacheFlushedEntry, CacheFlushListener } from './cache-flush-listener.js';
import type { ChangelogRecord } from './changelog-sink.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import { SortedByteMap } from './sorted-byte-map.js';
import { describeValue, invalidArgument, requireIntegerAtLeast } from './validation.js';
import { WrappedKeyValueStore } from './wrapped-key-value-store.js';

/** Options of {@link CachingKeyValueStore}. */
export interface CachingKeyValueStoreOptions {
  /** Most entries (dirty, clean and pending deletes) held before eviction. Default 10 000. */
  readonly maxEntries?: number;
  /** Receives every entry written down; see {@link CacheFlushListener}. Can also be set later. */
  readonly onFlush?: CacheFlushListener;
  /** Report each flushed key's previous inner value as `oldValue`. */
  readonly sendOldValues?: boolean;
}

/** Default {@link CachingKeyValueStoreOptions.maxEntries}. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000;

interface CacheEntry {
  readonly key: Uint8Array;
  /** `null`: a delete not yet written down (hides the inner value). */
  value: Uint8Array | null;
  dirty: boolean;
}

/**
 * The caching layer: a write-back cache in front of the inner store, the
 * equivalent of Kafka Streams' record cache.
 *
 * - Writes land in the cache only (marked dirty); reads and iterators see
 *   them at once, merged over the inner store.
 * - `flush()` writes the dirty entries down — one entry per key however
 *   often it was written, puts as one `putAll`, deletes one by one — then
 *   reports each to the flush listener, oldest write first. Three puts to a
 *   key between flushes cost one inner write and, under a change-logging
 *   layer, one changelog record; downstream sees one update. The runtime
 *   flushes at every commit.
 * - Reads that miss load the inner value into the cache as a clean entry.
 * - Bounded by `maxEntries`. Beyond it, least-recently-used clean entries
 *   are dropped; if the least-recently-used entry is dirty, every dirty entry
 *   is flushed first (as Kafka Streams does), so eviction can report to the
 *   listener between commits.
 * - `close()` flushes (reporting to the listener) before closing the inner store.
 * - `restoreBatch` writes to the inner store and drops cached entries for
 *   those keys, dirty ones included: restored state is the truth, and a task
 *   restores before it processes.
 *
 * Iterators merge a snapshot of the cached range, taken when iteration
 * starts, with the inner store's iterator; a key present throughout is
 * yielded once even if it is flushed or evicted meanwhile.
 */
export class CachingKeyValueStore extends WrappedKeyValueStore implements CachedStore {
  /** Most entries held before eviction. */
  readonly maxEntries: number;
  readonly #map = new SortedByteMap<CacheEntry>();
  // Insertion-ordered sets give O(1) "move to newest" (delete + add) and an
  // oldest-first walk, for LRU order and for dirty-since order.
  readonly #lru = new Set<CacheEntry>();
  readonly #dirty = new Set<CacheEntry>();
  #listener: CacheFlushListener | undefined;
  #sendOldValues: boolean;
  // Flushes run one at a time, in call order.
  #flushChain: Promise<void> = Promise.resolve();

  constructor(inner: KeyValueStore, options: CachingKeyValueStoreOptions = {}) {
    super(inner);
    const maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    requireIntegerAtLeast('CachingKeyValueStore', 'options.maxEntries', maxEntries, 1);
    if (options.onFlush !== undefined && typeof options.onFlush !== 'function') {
      throw invalidArgument('CachingKeyValueStore', 'options.onFlush', 'be a function', describeValue(options.onFlush));
    }
    this.maxEntries = maxEntries;
    this.#listener = options.onFlush;
    this.#sendOldValues = options.sendOldValues ?? false;
  }

  /** Entries currently cached (dirty, clean and pending deletes). */
  get cachedEntries(): number {
    return this.#map.size;
  }

  /** Entries written since the last flush, not yet in the inner store. */
  get dirtyEntries(): number {
    return this.#dirty.size;
  }

  setFlushListener(listener: CacheFlushListener | undefined, options: { readonly sendOldValues?: boolean } = {}): boolean {
    if (listener !== undefined && typeof listener !== 'function') {
      throw invalidArgument('CachingKeyValueStore.setFlushListener', 'listener', 'be a function or undefined', describeValue(listener));
    }
    this.#listener = listener;
    this.#sendOldValues = options.sendOldValues ?? false;
    return true;
  }

  protected override async _close(): Promise<void> {
    try {
      await this.#flushDirty();
    } finally {
      this.#clear();
      await this.inner.close();
    }
  }

  protected override async _flush(): Promise<void> {
    await this.#flushDirty();
    await this.inner.flush();
  }

  protected override async _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    await this.inner.restoreBatch(records);
    for (const { key } of records) {
      const removed = this.#map.delete(key);
      if (removed !== undefined) {
        this.#lru.delete(removed.value);
        this.#dirty.delete(removed.value);
      }
    }
  }

  protected override async _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const cached = this.#map.get(key);
    if (cached !== undefined) {
      this.#touch(cached);
      return cached.value ?? undefined;
    }
    const value = await this.inner.get(key);
    // A write may have cached the key while the read was in flight; it wins.
    const raced = this.#map.get(key);
    if (raced !== undefined) return raced.value ?? undefined;
    if (value !== undefined) {
      this.#insert({ key: copyBytes(key), value, dirty: false });
      await this.#evict();
    }
    return value;
  }

  protected override async _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#write(key, copyBytes(value));
    await this.#evict();
  }

  protected override async _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    for (const { key, value } of entries) this.#write(key, copyBytes(value));
    await this.#evict();
  }

  protected override async _putIfAbsent(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | undefined> {
    const existing = await this._get(key);
    if (existing === undefined) await this._put(key, value);
    return existing;
  }

  protected override async _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    const previous = await this._get(key);
    this.#write(key, null);
    await this.#evict();
    return previous;
  }

  protected override _range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#merge(
      () => this.#snapshot(this.#map.entries(from, to, reverse)),
      () => (reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to)),
      reverse,
    );
  }

  protected override _prefixScan(prefix: Uint8Array): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#merge(
      () => this.#snapshot(this.#map.entries(prefix), (key) => hasPrefix(key, prefix)),
      () => this.inner.prefixScan(prefix),
      false,
    );
  }

  /** Inner count plus dirty puts not yet written: exact after a flush, approximate between. */
  protected override async _approximateNumEntries(): Promise<number> {
    let pending = 0;
    for (const e of this.#dirty) if (e.value !== null) pending++;
    return (await this.inner.approximateNumEntries()) + pending;
  }

  #write(key: Uint8Array, value: Uint8Array | null): void {
    const existing = this.#map.get(key);
    if (existing === undefined) {
      this.#insert({ key: copyBytes(key), value, dirty: true });
      return;
    }
    existing.value = value;
    this.#touch(existing);
    existing.dirty = true;
    this.#dirty.delete(existing);
    this.#dirty.add(existing);
  }

  #insert(entry: CacheEntry): void {
    this.#map.set(entry.key, entry);
    this.#lru.add(entry);
    if (entry.dirty) this.#dirty.add(entry);
  }

  #touch(entry: CacheEntry): void {
    this.#lru.delete(entry);
    this.#lru.add(entry);
  }

  #drop(entry: CacheEntry): void {
    this.#map.delete(entry.key);
    this.#lru.delete(entry);
    this.#dirty.delete(entry);
  }

  #clear(): void {
    this.#map.clear();
    this.#lru.clear();
    this.#dirty.clear();
  }

  async #evict(): Promise<void> {
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#lru.values().next().value as CacheEntry;
      if (oldest.dirty) await this.#flushDirty();
      else this.#drop(oldest);
    }
  }

  #flushDirty(): Promise<void> {
    const run = this.#flushChain.then(() => this.#writeDirty());
    this.#flushChain = run.catch(() => undefined);
    return run;
  }

  async #writeDirty(): Promise<void> {
    if (this.#dirty.size === 0) return;
    // Take the batch and mark it clean before any await: writes arriving
    // during the flush re-dirty their entry and go in the next flush.
    const batch: { entry: CacheEntry; value: Uint8Array | null }[] = [];
    for (const entry of this.#dirty) {
      batch.push({ entry, value: entry.value });
      entry.dirty = false;
    }
    this.#dirty.clear();

    const flushed: CacheFlushedEntry[] = [];
    try {
      const listener = this.#listener;
      const withOld = listener !== undefined && this.#sendOldValues;
      const puts: KeyValue<Uint8Array, Uint8Array>[] = [];
      for (const { entry, value } of batch) {
        const oldValue = withOld ? ((await this.inner.get(entry.key)) ?? null) : undefined;
        if (value !== null) puts.push({ key: entry.key, value });
        flushed.push(oldValue === undefined ? { key: entry.key, value } : { key: entry.key, value, oldValue });
      }
      if (puts.length > 0) await this.inner.putAll(puts);
      for (const { entry, value } of batch) if (value === null) await this.inner.delete(entry.key);
    } catch (e) {
      // Not written: make the entries dirty again unless rewritten meanwhile.
      for (const { entry, value } of batch) {
        if (!entry.dirty && entry.value === value && this.#map.get(entry.key) === entry) {
          entry.dirty = true;
          this.#dirty.add(entry);
        }
      }
      throw e;
    }
    // A written-down delete needs no cache slot.
    for (const { entry, value } of batch) if (value === null && !entry.dirty) this.#drop(entry);

    const listener = this.#listener;
    if (listener !== undefined) for (const f of flushed) await listener(f);
  }

  // Copies the cached range now, so eviction and flushes during iteration
  // cannot move an entry out from under the merge.
  #snapshot(entries: Iterable<{ key: Uint8Array; value: CacheEntry }>, keep?: (key: Uint8Array) => boolean): { key: Uint8Array; value: Uint8Array | null }[] {
    const out: { key: Uint8Array; value: Uint8Array | null }[] = [];
    for (const { key, value: entry } of entries) {
      if (keep !== undefined && !keep(key)) break;
      out.push({ key, value: entry.value });
    }
    return out;
  }

  // Merges the cache snapshot with the inner iterator in key order; on equal
  // keys the cache wins, and a cached `null` hides the inner entry.
  async *#merge(
    cachedRange: () => { key: Uint8Array; value: Uint8Array | null }[],
    innerRange: () => AsyncIterable<KeyValue<Uint8Array, Uint8Array>>,
    reverse: boolean,
  ): AsyncGenerator<KeyValue<Uint8Array, Uint8Array>> {
    const cached = cachedRange();
    const inner = innerRange()[Symbol.asyncIterator]();
    let ci = 0;
    let done = false;
    try {
      let next = await inner.next();
      for (;;) {
        const c = cached[ci];
        if (c === undefined && next.done === true) {
          done = true;
          return;
        }
        let order: number;
        if (c === undefined) order = 1;
        else if (next.done === true) order = -1;
        else order = reverse ? compareBytes(next.value.key, c.key) : compareBytes(c.key, next.value.key);
        if (order <= 0) {
          const { key, value } = c as { key: Uint8Array; value: Uint8Array | null };
          ci++;
          if (order === 0) next = await inner.next();
          if (value !== null) yield { key, value };
        } else {
          const kv = next.value as KeyValue<Uint8Array, Uint8Array>;
          next = await inner.next();
          yield kv;
        }
      }
    } finally {
      if (!done) await inner.return?.();
    }
  }
}
