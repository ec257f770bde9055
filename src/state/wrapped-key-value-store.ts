import type { ChangelogRecord } from './changelog-sink.js';
import { type KeyValue, KeyValueStore } from './key-value-store.js';
import type { StoreSupports } from './state-store.js';

/**
 * Base of the store layers (change-logging, caching, metered): a byte
 * {@link KeyValueStore} that forwards every hook to the store it wraps, so a
 * layer overrides only what it changes. A layer takes the inner store's name
 * and `supports`, and owns it: opening, closing and flushing the layer does
 * the same to the inner store.
 */
export abstract class WrappedKeyValueStore extends KeyValueStore {
  override readonly supports: StoreSupports;
  /** The store this layer wraps. */
  readonly inner: KeyValueStore;

  protected constructor(inner: KeyValueStore) {
    super(inner.name);
    this.inner = inner;
    this.supports = inner.supports;
  }

  protected override _open(): Promise<void> {
    return this.inner.open();
  }

  protected override _close(): Promise<void> {
    return this.inner.close();
  }

  protected override _flush(): Promise<void> {
    return this.inner.flush();
  }

  protected override _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    return this.inner.restoreBatch(records);
  }

  protected override _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  protected override _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.inner.put(key, value);
  }

  protected override _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    return this.inner.putAll(entries);
  }

  protected override _putIfAbsent(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | undefined> {
    return this.inner.putIfAbsent(key, value);
  }

  protected override _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.inner.delete(key);
  }

  protected override _range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to);
  }

  protected override _prefixScan(prefix: Uint8Array): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.inner.prefixScan(prefix);
  }

  protected override _approximateNumEntries(): Promise<number> {
    return this.inner.approximateNumEntries();
  }
}
