import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import type { ConsoleOptions, Grouped, Materialized, Named } from './options.js';
import type { Suppressed } from './suppressed.js';

/** A changelog stream viewed as a table: the latest value per key (Kafka Streams' `KTable`). */
export interface KTable<K, V> {
  /** Keys whose value fails the predicate are deleted downstream. */
  filter(predicate: (key: K, value: V) => boolean, named?: Named): KTable<K, V>;
  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KTable<K, V>;
  mapValues<VR>(mapper: (value: V, key: K) => VR, named?: Named): KTable<K, VR>;
  /** Each update as a record; deletions become `null` values. */
  toStream(named?: Named): KStream<K, V>;
  /** Re-groups rows by a new key for re-aggregation with an adder and a subtractor. */
  groupBy<KR, VR>(selector: (key: K, value: V) => { key: KR; value: VR }, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR>;
  suppress(suppressed: Suppressed, named?: Named): KTable<K, V>;
  /**
   * Prints the table at each commit that changed it (Spark's console sink):
   * the changed rows (`update`, default) or the whole table (`complete`), per task.
   */
  toConsole(options?: ConsoleOptions & { readonly mode?: 'update' | 'complete' }): void;
  /**
   * Foreign-key join (KIP-213): each row joins the other table's row under
   * `foreignKey(value)`; the result keeps this table's keys and changes when
   * either side does. The tables need not be co-partitioned.
   */
  join<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO, joiner: (value: V, otherValue: VO, key: K) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;
  /**
   * Table–table join on the key: the result has a row where both tables do, and
   * changes whenever either side does (an update that removes the match deletes
   * the joined row, which downstream aggregations retract). Co-partitioned.
   */
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO, key: K) => VR, named?: Named): KTable<K, VR>;
  /** Foreign-key left join: rows without a match (or a foreign key) join with `undefined`. */
  leftJoin<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null | undefined, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;
  /** Rows of this table, with the other table's row or `undefined`. */
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, named?: Named): KTable<K, VR>;
  /** Rows of either table, with `undefined` for the side that has none. */
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | undefined, otherValue: VO | undefined, key: K) => VR, named?: Named): KTable<K, VR>;
  /** The store interactive queries read, if this table is materialized. */
  readonly queryableStoreName: string | undefined;
}

export type { Materialized };
