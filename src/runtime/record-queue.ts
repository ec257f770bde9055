import type { IncomingRecord } from './stream-task.js';

/** A polled record with its deserialized key and value and its event time. */
export interface StampedRecord {
  readonly raw: IncomingRecord;
  readonly key: unknown;
  readonly value: unknown;
  readonly timestamp: number;
}

/**
 * The records of one input partition a task has polled but not processed yet
 * (Kafka Streams' `RecordQueue`). The head is deserialized and timestamped as
 * soon as it becomes the head, so the partition group can compare event times
 * (the timestamp extractor may read the value); a record that cannot be is
 * handed to the failure handling by `stamp` and skipped.
 */
export class RecordQueue {
  private raw: IncomingRecord[] = [];
  private next = 0;
  private head: StampedRecord | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** Deserializes and timestamps a record; `undefined` when it failed (already reported). */
    private readonly stamp: (rec: IncomingRecord) => StampedRecord | undefined,
  ) {}

  /** Appends records of this partition, in offset order. */
  add(records: readonly IncomingRecord[]): void {
    for (const r of records) this.raw.push(r);
    if (this.head === undefined) this.advance();
  }

  /** Records buffered, the head included. */
  get size(): number {
    return this.raw.length - this.next + (this.head === undefined ? 0 : 1);
  }

  get isEmpty(): boolean {
    return this.head === undefined;
  }

  /** Event time of the head record; `undefined` when empty. */
  get headTimestamp(): number | undefined {
    return this.head?.timestamp;
  }

  /** Takes the head record out. */
  poll(): StampedRecord | undefined {
    const h = this.head;
    this.head = undefined;
    this.advance();
    return h;
  }

  /** Drops every buffered record (the task closes; the consumer refetches from the committed offset). */
  clear(): void {
    this.raw = [];
    this.next = 0;
    this.head = undefined;
  }

  private advance(): void {
    while (this.head === undefined && this.next < this.raw.length) {
      const r = this.raw[this.next++] as IncomingRecord;
      this.head = this.stamp(r);
    }
    if (this.next === this.raw.length) {
      this.raw = [];
      this.next = 0;
    } else if (this.next >= 1024 && this.next * 2 >= this.raw.length) {
      // Drop the consumed prefix now and then, so a long queue costs O(1) per record.
      this.raw = this.raw.slice(this.next);
      this.next = 0;
    }
  }
}
