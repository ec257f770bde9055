import type { KeyValueStore } from '../state/store-api.js';

/**
 * The next batch id of a batch sink (foreachBatch, file sink), kept in its
 * changelogged store: it advances in the same commit as the batch, so a batch
 * whose commit did not happen comes back with its own id.
 */
export class BatchIds {
  private static readonly KEY = 'next-batch-id';

  constructor(private readonly store: KeyValueStore<string, number>) {}

  get next(): number {
    return this.store.get(BatchIds.KEY) ?? 0;
  }

  /** Marks `batchId` as taken; the change is committed with the batch. */
  advancePast(batchId: number): void {
    this.store.put(BatchIds.KEY, batchId + 1);
  }
}
