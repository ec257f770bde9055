import type { KTable } from './ktable.js';
import type { Materialized } from './options.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import type { SessionWindows, SlidingWindows, TimeWindows } from './windows.js';

/** A stream grouped by key, ready to aggregate (Kafka Streams' `KGroupedStream`). */
export interface KGroupedStream<K, V> {
  count(materialized?: Materialized<K, number>): KTable<K, number>;
  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<K, V>): KTable<K, V>;
  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized?: Materialized<K, VA>): KTable<K, VA>;
  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
}
