/**
 * A table every instance holds in full (Kafka Streams' `GlobalKTable`): filled
 * from all partitions of its topic before processing starts and kept current
 * while running. Streams join it by any key they can compute, without
 * co-partitioning or repartitioning.
 */
export interface GlobalKTable<K, V> {
  /** The store interactive queries and the Processor API reach it by. */
  readonly queryableStoreName: string;
  /** @internal Phantom types, so joins infer key and value. */
  readonly __types?: { key: K; value: V };
}
