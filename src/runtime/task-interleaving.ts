import type { LagOf } from './partition-group.js';
import type { StreamTask } from './stream-task.js';

/** Records a task processes at most before the others' readiness is checked again. */
const TASK_BATCH = 100;

/** What one processing round did. */
export interface ProcessingRound {
  /** Tasks that processed at least one record (they end their batch). */
  readonly touched: Set<StreamTask>;
  /** The round stopped at its budget, possibly with records still buffered. */
  readonly budgetExhausted: boolean;
}

/**
 * Processes buffered records of a thread's tasks, in small batches, always from
 * the task whose next record has the lowest timestamp, until none is ready or
 * `budget` records are done.
 *
 * Kafka Streams orders records within a task only. Here the tasks of one
 * sub-topology (one per input partition) are also merged by timestamp, and
 * wait together, because they write one repartition topic: processed one
 * upstream partition after another, its partitions would receive event times
 * that jump back and forth, and the windows downstream would drop the jumps as
 * late. So a sub-topology processes only while every one of its tasks is ready
 * ({@link StreamTask.readyToProcess}: no empty partition that still has records on
 * the broker, or is within `maxTaskIdleMs`).
 */
export async function processInTimestampOrder(tasks: readonly StreamTask[], opts: { readonly now: number; readonly lagOf: LagOf; readonly budget: number }): Promise<ProcessingRound> {
  const { now, lagOf } = opts;
  const touched = new Set<StreamTask>();
  let left = opts.budget;
  for (;;) {
    const waiting = new Set<number>();
    for (const t of tasks) if (!t.readyToProcess(now, lagOf)) waiting.add(t.id.subtopology);
    let best: StreamTask | undefined;
    let bestTs = Infinity;
    let second = Infinity;
    for (const t of tasks) {
      if (waiting.has(t.id.subtopology)) continue;
      const ts = t.partitions.headTimestamp;
      if (ts === undefined) continue;
      if (best === undefined || ts < bestTs) {
        second = Math.min(second, bestTs);
        best = t;
        bestTs = ts;
      } else second = Math.min(second, ts);
    }
    if (best === undefined) return { touched, budgetExhausted: false };
    touched.add(best);
    for (let n = 0; n < TASK_BATCH; n++) {
      if (left <= 0) return { touched, budgetExhausted: true };
      // An asynchronous operator at its concurrency limit holds the loop (backpressure on the poll).
      if (best.saturated) await best.capacity();
      if (!best.processNext()) break;
      left--;
      const head = best.partitions.headTimestamp;
      if (head === undefined || head > second || !best.readyToProcess(now, lagOf)) break;
    }
  }
}
