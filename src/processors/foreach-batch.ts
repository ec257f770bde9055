import { BatchIds } from './batch-ids.js';
import { TaskFailure } from '../errors.js';
import { internal, type AsyncAware, type InternalProcessorContext } from './internal-context.js';
import type { Processor, ProcessorSupplier } from './processor.js';

/** A row handed to `foreachBatch`. */
export interface BatchRow<K, V> {
  readonly key: K;
  readonly value: V;
  readonly timestamp: number;
}

/** Which batch `foreachBatch` is given. */
export interface BatchInfo {
  /**
   * Counts this task's batches from 0. A batch whose commit did not happen (a
   * crash, or `fn` failing) comes back with the same id after the restart,
   * holding at least the rows it had (more if more arrived meanwhile): write a
   * batch by replacing whatever an earlier attempt with its id wrote (a file or
   * partition named after the id), and every row lands exactly once.
   */
  readonly batchId: number;
  /** The task (sub-topology and partition) the rows come from; ids count per task. */
  readonly taskId: string;
}

export interface ForeachBatchOptions<K, V> {
  readonly name: string;
  readonly storeName: string;
  readonly fn: (rows: BatchRow<K, V>[], batch: BatchInfo) => void | Promise<void>;
  readonly retries: number;
  readonly backoffMs: number;
}

/**
 * Spark's `foreachBatch`: the rows that reach this node between two commits
 * are handed over once per commit, and the commit (offsets included) waits for
 * the function. The next batch id is kept in a changelogged store and advances
 * in the same commit, so a batch is only ever retried with its own id. A
 * function that still fails after its retries stops the instance: its rows stay
 * uncommitted and come back, with the same id, when it restarts.
 */
export function foreachBatchProcessor<K, V>(o: ForeachBatchOptions<K, V>): ProcessorSupplier<K, V, never, never> {
  return () => {
    let ctx!: InternalProcessorContext<never, never>;
    let ids!: BatchIds;
    let rows: BatchRow<K, V>[] = [];
    let running: Promise<void> | undefined;
    const write = async (batch: BatchRow<K, V>[], batchId: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await o.fn(batch, { batchId, taskId: ctx.taskId });
          ids.advancePast(batchId);
          return;
        } catch (e) {
          if (attempt >= o.retries) {
            throw new TaskFailure('RIVULET_BATCH_FAILED', `${o.name}: batch ${batchId} of task ${ctx.taskId} failed after ${attempt + 1} attempts: ${e instanceof Error ? e.message : String(e)}; it is retried with the same id after a restart`, { cause: e });
          }
          await new Promise((r) => setTimeout(r, o.backoffMs * 2 ** attempt));
        }
      }
    };
    const processor: Processor<K, V, never, never> & AsyncAware = {
      init: (c) => {
        ctx = internal(c);
        ids = new BatchIds(c.getStateStore(o.storeName));
      },
      process: (r) => void rows.push({ key: r.key, value: r.value, timestamp: r.timestamp }),
      flush: () => {
        if (rows.length === 0 || running !== undefined) return;
        const batch = rows;
        rows = [];
        running = write(batch, ids.next);
      },
      get saturated() {
        return false;
      },
      get pending() {
        return running === undefined ? 0 : 1;
      },
      capacity: () => Promise.resolve(),
      settle: async () => {
        const r = running;
        if (r === undefined) return;
        try {
          await r;
        } finally {
          running = undefined;
        }
      },
    };
    return processor;
  };
}
