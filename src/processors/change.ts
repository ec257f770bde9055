/**
 * What flows between KTable nodes: a key's new value and the value it replaces
 * (`undefined` = absent). Downstream re-aggregations subtract `oldValue` and
 * add `newValue`, as Kafka Streams' `Change`.
 */
export interface Change<V> {
  readonly newValue: V | undefined;
  readonly oldValue: V | undefined;
}
