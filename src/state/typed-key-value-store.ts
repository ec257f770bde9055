import type { Serde } from '../serde/serde.js';
import { type CachedStore, type CacheFlushListener, isCachedStore } from './cache-flush-listener.js';
import type { ChangelogRecord } from './changelog-sink.js';
import { type KeyValue, KeyValueStore } from './key-value-store.js';
import type { StoreSupports } from './state-store.js';
import { invalidArgument } from './validation.js';

/**
 * Typed access to a byte {@link KeyValueStore}: keys and values go through
 * serdes on the way in and out; everything else (lifecycle, ordering,
 * layers, changelog) is the byte store's. This is what a processor or an
 * interactive query holds.
 *
 * Order is the order of the serialized keys (unsigned bytes), not of `K`:
 * `Serdes.string()` orders by code point, but big-endian-unaware encodings
 * (JSON numbers, msgpack) do not order numerically. `prefixScan(prefix)`
 * serializes the prefix with the key serde, which suits string keys.
 *
 * Serde failures propagate as the serde's own `SerdeError`; only `null` and
 * `undefined` keys and values are rejected here.
 *
 * @example
 * const counts = new TypedKeyValueStore(bytesStore, Serdes.string(), Serdes.json<number>());
 * await counts.put('sensor-1', 42);
 */
export class TypedKeyValueStore<K, V> extends KeyValueStore<K, V> implements CachedStore {
  override readonly supports: StoreSupports;
  /** The byte store underneath. */
  readonly inner: KeyValueStore;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;

  constructor(inner: KeyValueStore, keySerde: Serde<K>, valueSerde: Serde<V>) {
    super(inner.name);
    this.inner = inner;
    this.supports = inner.supports;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** Forwards to a caching layer underneath; flushed entries are bytes — deserialize them with the serdes. */
  setFlushListener(listener: CacheFlushListener | undefined, options?: { readonly sendOldValues?: boolean }): boolean {
    return isCachedStore(this.inner) && this.inner.setFlushListener(listener, options);
  }

  protected override checkKey(method: string, what: string, key: unknown): void {
    if (key === null || key === undefined) throw invalidArgument(`KeyValueStore.${method}`, what, 'not be null or undefined', String(key));
  }

  protected override checkValue(method: string, what: string, value: unknown): void {
    if (value === null || value === undefined) {
      throw invalidArgument(`KeyValueStore.${method}`, what, 'not be null or undefined', String(value), 'use delete() to remove a key');
    }
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

  protected override async _get(key: K): Promise<V | undefined> {
    return this.#value(await this.inner.get(this.keySerde.serialize(key)));
  }

  protected override _put(key: K, value: V): Promise<void> {
    return this.inner.put(this.keySerde.serialize(key), this.valueSerde.serialize(value));
  }

  protected override _putAll(entries: readonly KeyValue<K, V>[]): Promise<void> {
    return this.inner.putAll(entries.map(({ key, value }) => ({ key: this.keySerde.serialize(key), value: this.valueSerde.serialize(value) })));
  }

  protected override async _putIfAbsent(key: K, value: V): Promise<V | undefined> {
    return this.#value(await this.inner.putIfAbsent(this.keySerde.serialize(key), this.valueSerde.serialize(value)));
  }

  protected override async _delete(key: K): Promise<V | undefined> {
    return this.#value(await this.inner.delete(this.keySerde.serialize(key)));
  }

  protected override _range(from: K | undefined, to: K | undefined, reverse: boolean): AsyncIterable<KeyValue<K, V>> {
    const f = from === undefined ? undefined : this.keySerde.serialize(from);
    const t = to === undefined ? undefined : this.keySerde.serialize(to);
    return this.#typed(reverse ? this.inner.reverseRange(f, t) : this.inner.range(f, t));
  }

  protected override _prefixScan(prefix: K): AsyncIterable<KeyValue<K, V>> {
    return this.#typed(this.inner.prefixScan(this.keySerde.serialize(prefix)));
  }

  protected override _approximateNumEntries(): Promise<number> {
    return this.inner.approximateNumEntries();
  }

  #value(bytes: Uint8Array | undefined): V | undefined {
    return bytes === undefined ? undefined : this.valueSerde.deserialize(bytes);
  }

  async *#typed(source: AsyncIterable<KeyValue<Uint8Array, Uint8Array>>): AsyncGenerator<KeyValue<K, V>> {
    for await (const { key, value } of source) yield { key: this.keySerde.deserialize(key), value: this.valueSerde.deserialize(value) };
  }
}
