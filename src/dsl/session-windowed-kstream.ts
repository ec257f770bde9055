import type { KTable } from './ktable.js';
import type { Materialized } from './options.js';
import type { Windowed } from './windows.js';

/** A grouped stream over session windows (Kafka Streams' `SessionWindowedKStream`). */
export interface SessionWindowedKStream<K, V> {
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;
  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;
  /** `merger` combines two sessions' aggregates when a record bridges them. */
  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    materialized?: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA>;
}
