/** The raw record a timestamp extractor sees (after deserialization). */
export interface ExtractableRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: unknown;
  readonly value: unknown;
  /** The Kafka record timestamp. */
  readonly timestamp: number;
}

/**
 * Picks a record's event time, ms. `partitionTime` is the largest timestamp
 * extracted so far on this partition (-1 before any), for extractors that fall
 * back to it. A negative or non-finite result sends the record to the
 * deserialization error handler (Kafka Streams' `LogAndSkipOnInvalidTimestamp`).
 */
export type TimestampExtractor = (record: ExtractableRecord, partitionTime: number) => number;

/** The default: the record's own timestamp (Kafka's `FailOnInvalidTimestamp` minus the failing). */
export const recordTimestamp: TimestampExtractor = (record) => record.timestamp;
