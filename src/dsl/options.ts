import type { Serde } from '../serde/serde.js';
import type { Duration } from './duration.js';
import type { StreamPartitioner } from '../topology/topology-node.js';
import type { TimestampExtractor } from '../topology/timestamp-extractor.js';

/** Names an operator; stateful operators should be named so renames do not lose state. */
export interface Named {
  readonly name?: string;
}

/**
 * Serdes and name of a stream–stream join (Kafka Streams' `StreamJoined`): both
 * sides are buffered in window stores `<name>-left-join-store` and
 * `<name>-right-join-store` (plus `<name>-outer-join-store` for unmatched
 * records of left and outer joins), each with a changelog.
 */
export interface StreamJoined<K, V, VO> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly otherValueSerde?: Serde<VO>;
}

/** Options of `KStream.dedupe` (a rivulet operator; Spark's `dropDuplicatesWithinWatermark`). */
export interface DedupeOptions<K, V> extends Named {
  /** Records with the same id whose timestamps are at most this far apart are duplicates. */
  readonly within: Duration;
  /** What identifies a record (default: its key). Records are repartitioned by it so duplicates meet. */
  readonly id?: (key: K, value: V) => string;
  /** How far out of order duplicates may arrive (default: `within`); sightings are kept `2 * within + grace`. */
  readonly grace?: Duration;
  /** The store of sightings (default `<name>-store`). */
  readonly storeName?: string;
}

/** Options of `mapValuesAsync` / `flatMapAsync`. */
export interface AsyncOptions extends Named {
  /** Calls in flight per task at most (default 8); the poll loop waits when it is reached. */
  readonly concurrency?: number;
  /** Per attempt (default 30 000 ms); a timed-out attempt is aborted through its signal and retried. */
  readonly timeoutMs?: number;
  /** Further attempts after a failure (default 2); then the record goes to the processing error handler. */
  readonly retries?: number;
  /** Delay before the first retry, doubling after each (default 100 ms). */
  readonly backoffMs?: number;
}

/** Options of `toConsole` (Spark's console sink). */
export interface ConsoleOptions extends Named {
  /** Shown in each batch header with the task. */
  readonly title?: string;
  /** Rows printed per batch at most (default 20, as Spark). */
  readonly maxRows?: number;
  /** Where the text goes (default standard output). */
  readonly print?: (text: string) => void;
}

/** How a source topic is read (Kafka Streams' `Consumed`). */
export interface Consumed<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor;
}

/** How records are written to a topic (Kafka Streams' `Produced`). */
export interface Produced<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** Serdes and name for a grouping's repartition topic (Kafka Streams' `Grouped`). */
export interface Grouped<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
}

/** Options of `repartition()` (Kafka Streams' `Repartitioned`). */
export interface Repartitioned<K, V> extends Grouped<K, V> {
  readonly numberOfPartitions?: number;
  readonly partitioner?: StreamPartitioner<K, V>;
}

/** How an aggregation's store is kept (Kafka Streams' `Materialized`). */
export interface Materialized<K, V> {
  /** Store name; also the queryable name and the changelog topic's middle part. */
  readonly storeName?: string;
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  /** LevelDB (default) or memory only; both are restored from the changelog. */
  readonly persistent?: boolean;
  /** Write changes to a changelog topic (default true). */
  readonly loggingEnabled?: boolean;
  /** Coalesce updates per commit before forwarding (default true). */
  readonly cachingEnabled?: boolean;
  /** Window stores: how long windows stay queryable. */
  readonly retention?: number;
}
