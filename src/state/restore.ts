import type { ChangelogRecord } from './changelog-sink.js';
import type { StateStore } from './state-store.js';
import { describeValue, invalidArgument } from './validation.js';

/**
 * Applies a batch of changelog records to `store` — in order, `null` values
 * deleting — and resolves to how many were applied.
 *
 * Goes through {@link StateStore.restoreBatch}, so the records reach the
 * storage directly: a change-logging layer does not append them again (they
 * came from the changelog), a caching layer drops what it cached for those
 * keys, a window or session store learns stream time from them. LevelDB
 * applies each batch atomically.
 *
 * The runtime restores a task's stores before the task processes: open the
 * store, read `Checkpoint` offsets, consume the changelog partition from the
 * checkpointed offset (or the beginning) to its end, calling this per polled
 * batch, then write the new checkpoint.
 *
 * @example
 * await restoreInto(store, batch.messages.map((m) => ({ key: m.key, value: m.value })));
 */
export async function restoreInto(store: StateStore, records: Iterable<ChangelogRecord>): Promise<number> {
  if (typeof (store as { restoreBatch?: unknown } | null)?.restoreBatch !== 'function') {
    throw invalidArgument('restoreInto', 'store', 'be a StateStore', describeValue(store));
  }
  if (records === null || typeof records !== 'object' || !(Symbol.iterator in records)) {
    throw invalidArgument('restoreInto', 'records', 'be an iterable of { key, value }', describeValue(records));
  }
  const batch = Array.isArray(records) ? (records as readonly ChangelogRecord[]) : [...records];
  await store.restoreBatch(batch);
  return batch.length;
}
