import type { KeyValue } from '../processors/map.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import type { TopicNameExtractor } from '../topology/topology-node.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import type { GlobalKTable } from './global-ktable.js';
import type { AsyncCallContext } from '../processors/async-map.js';
import type { BatchInfo, BatchRow } from '../processors/foreach-batch.js';
import type { FileFormat } from '../processors/file-sink.js';
import type { AsyncOptions, ConsoleOptions, DedupeOptions, Grouped, Materialized, Named, Produced, Repartitioned, StreamJoined } from './options.js';
import type { JoinWindows } from './windows.js';

/**
 * A record stream (Kafka Streams' `KStream`). Every method only adds to the
 * topology; nothing runs until a `KafkaStreams` instance (or the test driver)
 * runs the built topology.
 *
 * @example
 * builder.stream<string, string>('lines')
 *   .flatMapValues((line) => line.toLowerCase().split(/\W+/))
 *   .groupBy((_k, word) => word)
 *   .count({ storeName: 'word-counts' })
 *   .toStream()
 *   .to('word-counts');
 */
export interface KStream<K, V> {
  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V>;
  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V>;
  /** New key and value; marks the stream for repartitioning before a grouping or join. */
  map<KR, VR>(mapper: (key: K, value: V) => KeyValue<KR, VR>, named?: Named): KStream<KR, VR>;
  mapValues<VR>(mapper: (value: V, key: K) => VR, named?: Named): KStream<K, VR>;
  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>, named?: Named): KStream<KR, VR>;
  flatMapValues<VR>(mapper: (value: V, key: K) => Iterable<VR>, named?: Named): KStream<K, VR>;
  selectKey<KR>(mapper: (key: K, value: V) => KR, named?: Named): KStream<KR, V>;
  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V>;
  foreach(action: (key: K, value: V) => void, named?: Named): void;
  /** Routes records to branches by predicate (first match wins). */
  split(named?: Named): BranchedKStream<K, V>;
  merge(other: KStream<K, V>, named?: Named): KStream<K, V>;
  /** Writes through an internal topic so records are partitioned by their current key. */
  repartition(options?: Repartitioned<K, V>): KStream<K, V>;
  to(topic: string | TopicNameExtractor<K, V>, produced?: Produced<K, V>): void;
  toTable(named?: Named, materialized?: Materialized<K, V>): KTable<K, V>;
  groupByKey(grouped?: Grouped<K, V>): KGroupedStream<K, V>;
  groupBy<KR>(selector: (key: K, value: V) => KR, grouped?: Grouped<KR, V>): KGroupedStream<KR, V>;
  /** Runs a Processor API processor; it may forward any key and value and use the named stores. */
  /**
   * Windowed inner join with another stream: a record at `t` joins the other
   * side's records of the same key with `t - before <= t' <= t + after` (see
   * {@link JoinWindows}); each pair emits `joiner(left, right, key)` with the
   * larger of the two timestamps. Both streams must be co-partitioned (checked on
   * start); a side whose key changed is repartitioned first.
   */
  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  /**
   * Stream–table join: each record joins the table's current row for its key;
   * table updates emit nothing. Co-partitioned like Kafka Streams requires.
   */
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT, key: K) => VR, named?: Named): KStream<K, VR>;
  /**
   * Inner join with a global table: each record looks up the table under
   * `keySelector(key, value)` and, if found, emits `joiner(value, tableValue, key)`.
   * Table updates emit nothing. No co-partitioning needed.
   */
  join<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV, key: K) => VR, named?: Named): KStream<K, VR>;
  /**
   * Windowed left join: as {@link join}, and a left record that found no partner
   * is emitted with `undefined` once its join window (plus grace) has closed — never
   * before, so no unmatched result is later contradicted.
   */
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  /** Stream–table left join: a record without a table row joins with `undefined`. */
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | undefined, key: K) => VR, named?: Named): KStream<K, VR>;
  /** Like {@link join}, but a record without a match joins too, with `undefined`. */
  leftJoin<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | undefined, key: K) => VR, named?: Named): KStream<K, VR>;
  /** Windowed outer join: unmatched records of either side are emitted, with `undefined` for the other, once their window closed. */
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V | undefined, otherValue: VO | undefined, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  /**
   * Maps each value with an asynchronous function (a UDF that calls out:
   * geocoding, scoring): up to `concurrency` calls in flight, results in input
   * order, and an input offset is committed only after every record before it
   * finished. A call that still fails after `retries` goes to the processing
   * error handler (the dead-letter topic by default). Not in Kafka Streams.
   */
  mapValuesAsync<VR>(fn: (value: V, key: K, call: AsyncCallContext) => Promise<VR>, options?: AsyncOptions): KStream<K, VR>;
  /** As {@link mapValuesAsync}, for functions returning any number of records (new keys repartition downstream). */
  flatMapAsync<KR, VR>(fn: (key: K, value: V, call: AsyncCallContext) => Promise<Iterable<KeyValue<KR, VR>>>, options?: AsyncOptions): KStream<KR, VR>;
  /**
   * Hands the records that reach this point between two commits to `fn` once
   * per commit, with a batch id that a retried batch keeps (Spark's
   * `foreachBatch`); the commit waits for `fn`. Ids count per task. After
   * `retries` failures the instance stops; on restart the batch comes back with
   * the same id and at least its rows, so a sink that replaces what it wrote
   * for an id writes every row exactly once. (Spark also replays the same rows.)
   */
  foreachBatch(fn: (rows: BatchRow<K, V>[], batch: BatchInfo) => void | Promise<void>, options?: { readonly name?: string; readonly retries?: number; readonly backoffMs?: number }): void;
  /**
   * Appends records to a JSON-lines or CSV file once each, also across crashes:
   * a commit's records are appended only after the commit succeeded, and a
   * restart finishes or drops a staged batch. One process per file.
   */
  toFile(path: string, options?: { readonly format?: FileFormat; readonly columns?: readonly string[]; readonly name?: string }): void;
  /** Prints the records of each commit as a table (Spark's console sink, append mode). */
  toConsole(options?: ConsoleOptions): void;
  /**
   * Drops records already seen within `within` (event time) by key, or by
   * `id(key, value)` — then records are repartitioned by id so duplicates from
   * different partitions meet, and keep their own key afterwards. Duplicates
   * are counted in `metrics().dropped.duplicate`.
   */
  dedupe(options: DedupeOptions<K, V>): KStream<K, V>;
  process<KR, VR>(supplier: ProcessorSupplier<K, V, KR, VR>, options?: ProcessOptions): KStream<KR, VR>;
  /** As `process`, for processors that keep the key (no repartition needed afterwards). */
  processValues<VR>(supplier: ProcessorSupplier<K, V, K, VR>, options?: ProcessOptions): KStream<K, VR>;
}

/** Options of `process`/`processValues`. */
export interface ProcessOptions extends Named {
  /** Stores (added with `StreamsBuilder.addStateStore`) the processor uses. */
  readonly stores?: readonly string[];
}

/** Options of one branch. */
export interface Branched extends Named {}

/** The builder `split()` returns (Kafka Streams' `BranchedKStream`). */
export interface BranchedKStream<K, V> {
  branch(predicate: (key: K, value: V) => boolean, branched?: Branched): BranchedKStream<K, V>;
  /** Records matching no predicate go here; returns every branch by name. */
  defaultBranch(branched?: Branched): Record<string, KStream<K, V>>;
  /** Records matching no predicate are dropped; returns every branch by name. */
  noDefaultBranch(): Record<string, KStream<K, V>>;
}
