import type { RecordQueue, StampedRecord } from './record-queue.js';

/**
 * How far a partition's fetch is behind the broker: records on the broker the
 * consumer has not returned yet (0 = caught up), or `undefined` when it does not
 * know yet.
 */
export type LagOf = (topic: string, partition: number) => number | undefined;

/**
 * The input partitions of one task (Kafka Streams' `PartitionGroup`): the next
 * record is the head with the lowest timestamp among its record queues, so a task
 * reading several topics (a join, a merge) sees them close to event-time order.
 *
 * A task is ready to process while every queue holds records. An empty queue
 * blocks it, following Kafka Streams' `max.task.idle.ms` (KIP-695):
 * - `maxTaskIdleMs` -1: never; process what is there.
 * - the partition's fetch lag is unknown or > 0: until the next poll brings
 *   the records that are already on the broker;
 * - the partition is caught up (lag 0): for `maxTaskIdleMs` from the moment it
 *   was first seen empty, waiting for new records to be produced (0: not at all).
 */
export class PartitionGroup {
  private readonly idleDeadlines = new Map<RecordQueue, number>();

  constructor(
    readonly queues: readonly RecordQueue[],
    private readonly maxTaskIdleMs: number,
  ) {}

  /** The queue of a partition, if the task reads it. */
  queue(topic: string, partition: number): RecordQueue | undefined {
    return this.queues.find((q) => q.topic === topic && q.partition === partition);
  }

  /** Records buffered over all partitions. */
  get buffered(): number {
    let n = 0;
    for (const q of this.queues) n += q.size;
    return n;
  }

  /** The lowest head timestamp; `undefined` when every queue is empty. */
  get headTimestamp(): number | undefined {
    let min: number | undefined;
    for (const q of this.queues) {
      const t = q.headTimestamp;
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /** Whether the next record may be processed now (see the class comment). */
  readyToProcess(now: number, lagOf: LagOf): boolean {
    if (this.maxTaskIdleMs === -1) return true;
    for (const q of this.queues) {
      if (!q.isEmpty) {
        this.idleDeadlines.delete(q);
        continue;
      }
      const lag = lagOf(q.topic, q.partition);
      if (lag === undefined || lag > 0) {
        // Records of this partition are on the broker already: wait for the fetch.
        this.idleDeadlines.delete(q);
        return false;
      }
      let deadline = this.idleDeadlines.get(q);
      if (deadline === undefined) {
        deadline = now + this.maxTaskIdleMs;
        this.idleDeadlines.set(q, deadline);
      }
      if (now < deadline) return false;
    }
    return true;
  }

  /** Takes the head record with the lowest timestamp (ties: the first queue). */
  nextRecord(): StampedRecord | undefined {
    let best: RecordQueue | undefined;
    for (const q of this.queues) {
      const t = q.headTimestamp;
      if (t !== undefined && (best === undefined || t < (best.headTimestamp as number))) best = q;
    }
    return best?.poll();
  }

  clear(): void {
    for (const q of this.queues) q.clear();
    this.idleDeadlines.clear();
  }
}
