import { copyBytes, hasPrefix } from './bytes.js';
import type { ChangelogRecord } from './changelog-sink.js';
import { type KeyValue, KeyValueStore } from './key-value-store.js';
import { SortedByteMap } from './sorted-byte-map.js';
import type { StoreSupports } from './state-store.js';

/**
 * A byte key-value store held in memory, in a {@link SortedByteMap}, so range
 * and prefix scans walk keys in order without sorting.
 *
 * Not persistent: `close()` drops the data and `open()` starts empty; a task
 * using it rebuilds it from the changelog. Keys and values are copied on
 * write; reads return the stored arrays (treat them as read-only).
 */
export class InMemoryKeyValueStore extends KeyValueStore {
  override readonly supports: StoreSupports = Object.freeze({ persistent: false, ordered: true });
  readonly #map = new SortedByteMap<Uint8Array>();

  constructor(name: string) {
    super(name);
  }

  protected override async _open(): Promise<void> {}

  protected override async _close(): Promise<void> {
    this.#map.clear();
  }

  protected override async _flush(): Promise<void> {}

  protected override async _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#map.get(key);
  }

  protected override async _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    this.#set(key, value);
  }

  protected override async _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    for (const { key, value } of entries) this.#set(key, value);
  }

  protected override async _putIfAbsent(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | undefined> {
    const existing = this.#map.get(key);
    if (existing === undefined) this.#set(key, value);
    return existing;
  }

  protected override async _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#map.delete(key)?.value;
  }

  protected override _range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#scan(from, to, reverse, undefined);
  }

  protected override _prefixScan(prefix: Uint8Array): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#scan(prefix, undefined, false, prefix);
  }

  protected override async _approximateNumEntries(): Promise<number> {
    return this.#map.size;
  }

  protected override async _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    for (const { key, value } of records) {
      if (value === null) this.#map.delete(key);
      else this.#set(key, value);
    }
  }

  #set(key: Uint8Array, value: Uint8Array): void {
    const entry = this.#map.entry(key);
    // An existing entry keeps its key array; only new keys are copied.
    if (entry !== undefined) entry.value = copyBytes(value);
    else this.#map.set(copyBytes(key), copyBytes(value));
  }

  // With `prefix`, keys sharing it are contiguous from `from = prefix` on, so
  // the scan stops at the first key without it.
  async *#scan(
    from: Uint8Array | undefined,
    to: Uint8Array | undefined,
    reverse: boolean,
    prefix: Uint8Array | undefined,
  ): AsyncGenerator<KeyValue<Uint8Array, Uint8Array>> {
    for (const { key, value } of this.#map.entries(from, to, reverse)) {
      if (prefix !== undefined && !hasPrefix(key, prefix)) return;
      yield { key, value };
    }
  }
}
