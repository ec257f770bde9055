/** Header values as they travel on a record (strings are stored as UTF-8). */
export type RecordHeaders = { readonly [name: string]: Uint8Array | string };

/**
 * One record flowing through a topology. Immutable by convention: operators
 * create new records (`{ ...record, value }`) rather than mutate.
 */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time, ms since the epoch. */
  readonly timestamp: number;
  readonly headers?: RecordHeaders;
}

/** Where the record being processed came from; absent for punctuation-generated records. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}
