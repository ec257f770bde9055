import type { WindowStatsKernel } from '../src/wasm/window-stats-kernel.js';
import type { Columns } from './workloads.js';

/** Totals of one full pass, so the work cannot be optimized away and runs can be compared. */
export interface PassResult {
  readonly emitted: number;
  readonly late: number;
}

/**
 * Feeds every record through the batch API in batches of `batchSize`, draining
 * after each batch as a task does at commit, then closes all windows.
 * `onBatch` gets the records done so far after each batch (progress lines: a
 * pass is synchronous, so no timer fires while it runs).
 */
export function runPass(kernel: WindowStatsKernel, c: Columns, batchSize: number, onBatch?: (done: number) => void): PassResult {
  const n = c.keys.length;
  let emitted = 0;
  for (let i = 0; i < n; i += batchSize) {
    const m = Math.min(batchSize, n - i);
    const cols = kernel.batch(m);
    cols.keys.set(c.keys.subarray(i, i + m));
    cols.timestamps.set(c.timestamps.subarray(i, i + m));
    cols.values.set(c.values.subarray(i, i + m));
    kernel.ingest(m);
    emitted += kernel.drain().length;
    onBatch?.(i + m);
  }
  kernel.advanceStreamTime(Number.MAX_SAFE_INTEGER);
  emitted += kernel.drain().length;
  return { emitted, late: kernel.lateRecords };
}
