/**
 * Replays one changelog partition into a working store and its LevelDB copy:
 * the restore of an active task (task-manager.ts), kept apart so its cost can
 * be measured on its own (bench/restore.bench.ts).
 * @module
 */
import type { ConsumerRecord, Reader } from '../transport/transport.js';
import type { ChangelogRecord } from '../state/changelog-record.js';
import { restoreRecords, type PersistableState } from '../state/working-table.js';
import type { StorePersistence } from './store-persistence.js';

/** Changelog records fetched and applied per step of a restore (one kernel call, one LevelDB batch). */
export const RESTORE_BATCH = 50_000;

/** Records and bytes replayed so far, and the milliseconds since the restore started. */
export interface RestoreCount {
  readonly restored: number;
  readonly bytes: number;
  readonly ms: number;
}

/** What {@link restoreChangelog} replays: `[from, end)` of one partition. */
export interface ChangelogRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly end: number;
}

/** The records of `batch` that have a key (a changelog record without one restores nothing). */
function keyed(batch: readonly ConsumerRecord[]): readonly ChangelogRecord[] {
  for (const r of batch) if (r.key === null) return batch.filter((x): x is ConsumerRecord & { key: Uint8Array } => x.key !== null);
  return batch as readonly ChangelogRecord[];
}

function recordBytes(batch: readonly ConsumerRecord[]): number {
  let n = 0;
  for (const r of batch) n += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  return n;
}

/**
 * Reads `range` with `reader` (assigned here) into `state` and, when given,
 * `persistence`; calls `onProgress` about once a second. Returns the totals.
 */
export async function restoreChangelog(
  reader: Reader,
  range: ChangelogRange,
  state: PersistableState,
  persistence: StorePersistence | undefined,
  onProgress: (c: RestoreCount) => void = () => undefined,
): Promise<RestoreCount> {
  const { topic, partition, from, end } = range;
  reader.assign([{ topic, partition, offset: from }]);
  const started = Date.now();
  let restored = 0;
  let bytes = 0;
  let lastReport = started;
  // The LevelDB write of a batch runs on libuv's threads while the next batch is
  // fetched and applied; at most one is in flight, and all are done before the task runs.
  let writing: Promise<void> | undefined;
  try {
    for (;;) {
      const pos = reader.position({ topic, partition }) ?? from;
      if (pos >= end) break;
      const batch = await reader.poll({ maxRecords: RESTORE_BATCH, timeoutMs: 200 });
      if (batch.length === 0) continue;
      const records = keyed(batch);
      restoreRecords(state, records);
      if (persistence !== undefined) {
        await writing;
        writing = persistence.write(records);
      }
      restored += batch.length;
      bytes += recordBytes(batch);
      const now = Date.now();
      if (now - lastReport >= 1000) {
        lastReport = now;
        onProgress({ restored, bytes, ms: now - started });
      }
    }
  } finally {
    await writing;
  }
  return { restored, bytes, ms: Date.now() - started };
}
