import type { KTable } from './ktable.js';
import type { Materialized } from './options.js';

/**
 * A table re-grouped by a new key (Kafka Streams' `KGroupedTable`). Each
 * change of an input row subtracts its old value from its old group and adds
 * its new value to its new group.
 */
export interface KGroupedTable<K, V> {
  count(materialized?: Materialized<K, number>): KTable<K, number>;
  reduce(adder: (aggregate: V, value: V) => V, subtractor: (aggregate: V, value: V) => V, materialized?: Materialized<K, V>): KTable<K, V>;
  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    materialized?: Materialized<K, VA>,
  ): KTable<K, VA>;
}
