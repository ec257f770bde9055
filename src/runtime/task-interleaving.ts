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
  // Within a round no poll happens and `now` stands still, so a task's readiness changes only
  // when one of its queues runs empty: checked once per task here, then only for the task that
  // processed.
  const ready = new Map<StreamTask, boolean>();
  const waitingTasks = new Map<number, number>();
  const setReady = (t: StreamTask, r: boolean): void => {
    const before = ready.get(t);
    ready.set(t, r);
    if (before === r) return;
    const sub = t.id.subtopology;
    const delta = (r ? 0 : 1) - (before === false ? 1 : 0);
    waitingTasks.set(sub, (waitingTasks.get(sub) ?? 0) + delta);
  };
  for (const t of tasks) setReady(t, t.readyToProcess(now, lagOf));
  for (;;) {
    let best: StreamTask | undefined;
    let bestTs = Infinity;
    let second = Infinity;
    for (const t of tasks) {
      if ((waitingTasks.get(t.id.subtopology) ?? 0) > 0) continue;
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
      if (best.partitions.queues.some((q) => q.isEmpty)) {
        setReady(best, best.readyToProcess(now, lagOf));
        if (ready.get(best) === false) break;
      }
      const head = best.partitions.headTimestamp;
      if (head === undefined || head > second) break;
    }
  }
}
