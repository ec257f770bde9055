import type { StoreType } from '../topology/store-definition.js';
import type { ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore } from './store-api.js';

/**
 * Which kind of store `KafkaStreams.store(name, type)` should return, and so
 * its type (Kafka Streams' `QueryableStoreType`). Made by
 * {@link QueryableStoreTypes}; `S` exists only for the compiler.
 */
export interface QueryableStoreType<S> {
  /** The store kind a store must be to be queried with this type. */
  readonly kind: 'key-value' | 'window' | 'session';
  /** Never set: carries the store interface `S` for type inference. */
  readonly store?: S;
}

/**
 * The store kinds interactive queries can ask for (Kafka Streams'
 * `QueryableStoreTypes`).
 *
 * @example
 * const counts = app.store('counts', QueryableStoreTypes.keyValueStore<string, number>());
 * counts.get('a'); // number | undefined
 */
export const QueryableStoreTypes = {
  /** Stores of `count()`, `reduce()`, `aggregate()` and tables: a {@link ReadOnlyKeyValueStore}. */
  keyValueStore<K, V>(): QueryableStoreType<ReadOnlyKeyValueStore<K, V>> {
    return { kind: 'key-value' };
  },
  /** Stores of time-windowed aggregations: a {@link ReadOnlyWindowStore}. */
  windowStore<K, V>(): QueryableStoreType<ReadOnlyWindowStore<K, V>> {
    return { kind: 'window' };
  },
  /** Stores of session-windowed aggregations: a {@link ReadOnlySessionStore}. */
  sessionStore<K, V>(): QueryableStoreType<ReadOnlySessionStore<K, V>> {
    return { kind: 'session' };
  },
} as const;

/** The query kind a declared store answers to; `window-stats` stores (WASM kernel state) answer none. */
export function queryableKind(type: StoreType): QueryableStoreType<unknown>['kind'] | undefined {
  return type === 'window-stats' ? undefined : type;
}
