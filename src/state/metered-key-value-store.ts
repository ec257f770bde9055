import { performance } from 'node:perf_hooks';
import { type CachedStore, type CacheFlushListener, isCachedStore } from './cache-flush-listener.js';
import type { ChangelogRecord } from './changelog-sink.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import { WrappedKeyValueStore } from './wrapped-key-value-store.js';

/** Counters of one operation. Latencies in milliseconds, from call to settle. */
export interface OperationMetrics {
  count: number;
  /** Failed calls, also included in `count`. */
  errors: number;
  totalMs: number;
  maxMs: number;
}

/** The operations a {@link MeteredKeyValueStore} measures. Iterators are timed from creation until they finish or are closed. */
export type MeteredOperation =
  | 'get'
  | 'put'
  | 'putAll'
  | 'putIfAbsent'
  | 'delete'
  | 'range'
  | 'prefixScan'
  | 'approximateNumEntries'
  | 'flush'
  | 'restore';

/**
 * A store's counters: a plain object the metrics module reads and turns into
 * Prometheus text. Pass one in to aggregate several stores into it.
 */
export type StoreMetrics = Record<MeteredOperation, OperationMetrics>;

const OPERATIONS: readonly MeteredOperation[] = ['get', 'put', 'putAll', 'putIfAbsent', 'delete', 'range', 'prefixScan', 'approximateNumEntries', 'flush', 'restore'];

/** A zeroed {@link StoreMetrics}. */
export function createStoreMetrics(): StoreMetrics {
  const m = {} as StoreMetrics;
  for (const op of OPERATIONS) m[op] = { count: 0, errors: 0, totalMs: 0, maxMs: 0 };
  return m;
}

/**
 * The metered layer, outermost in a stack: counts every operation, its
 * failures and its latency into {@link StoreMetrics}, and otherwise passes
 * through. Timing wraps the layers below (caching, logging, storage), so it
 * is the latency a processor sees. It forwards `setFlushListener` to the
 * caching layer underneath, if any.
 */
export class MeteredKeyValueStore extends WrappedKeyValueStore implements CachedStore {
  /** Where this store counts. */
  readonly metrics: StoreMetrics;

  constructor(inner: KeyValueStore, metrics: StoreMetrics = createStoreMetrics()) {
    super(inner);
    this.metrics = metrics;
  }

  setFlushListener(listener: CacheFlushListener | undefined, options?: { readonly sendOldValues?: boolean }): boolean {
    return isCachedStore(this.inner) && this.inner.setFlushListener(listener, options);
  }

  protected override _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#time('get', () => this.inner.get(key));
  }

  protected override _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.#time('put', () => this.inner.put(key, value));
  }

  protected override _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    return this.#time('putAll', () => this.inner.putAll(entries));
  }

  protected override _putIfAbsent(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#time('putIfAbsent', () => this.inner.putIfAbsent(key, value));
  }

  protected override _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#time('delete', () => this.inner.delete(key));
  }

  protected override _flush(): Promise<void> {
    return this.#time('flush', () => this.inner.flush());
  }

  protected override _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    return this.#time('restore', () => this.inner.restoreBatch(records));
  }

  protected override _approximateNumEntries(): Promise<number> {
    return this.#time('approximateNumEntries', () => this.inner.approximateNumEntries());
  }

  protected override _range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#timeIterator('range', () => (reverse ? this.inner.reverseRange(from, to) : this.inner.range(from, to)));
  }

  protected override _prefixScan(prefix: Uint8Array): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#timeIterator('prefixScan', () => this.inner.prefixScan(prefix));
  }

  async #time<T>(op: MeteredOperation, call: () => Promise<T>): Promise<T> {
    const start = performance.now();
    let failed = false;
    try {
      return await call();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.#record(op, performance.now() - start, failed);
    }
  }

  async *#timeIterator(op: MeteredOperation, open: () => AsyncIterable<KeyValue<Uint8Array, Uint8Array>>): AsyncGenerator<KeyValue<Uint8Array, Uint8Array>> {
    const start = performance.now();
    let failed = false;
    try {
      yield* open();
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.#record(op, performance.now() - start, failed);
    }
  }

  #record(op: MeteredOperation, ms: number, failed: boolean): void {
    const m = this.metrics[op];
    m.count++;
    if (failed) m.errors++;
    m.totalMs += ms;
    if (ms > m.maxMs) m.maxMs = ms;
  }
}
