import { rm } from 'node:fs/promises';
import { LevelKeyValueStore } from '../state/level-key-value-store.js';
import { restoreRecords, type PersistableState, type StoreChange } from '../state/working-table.js';

/** Entries handed to a store per restore call while loading the local copy. */
const LOAD_BATCH = 10_000;

/** A working store's local LevelDB copy under `stateDir/applicationId/taskId/storeName`. */
export class StorePersistence {
  private level: LevelKeyValueStore;

  constructor(
    readonly storeName: string,
    readonly location: string,
  ) {
    this.level = new LevelKeyValueStore(storeName, location);
  }

  async open(): Promise<void> {
    await this.level.open();
  }

  /** Loads every persisted entry into the working store; returns how many. */
  async loadInto(state: PersistableState): Promise<number> {
    let n = 0;
    for await (const batch of this.level.batches(LOAD_BATCH)) {
      n += batch.length;
      restoreRecords(state, batch);
    }
    return n;
  }

  /** Applies puts and deletes as one atomic LevelDB batch. */
  async write(changes: readonly StoreChange[]): Promise<void> {
    await this.level.restoreBatch(changes);
  }

  /** Makes every write so far durable (fsync); a checkpoint may only vouch for durable data. */
  async flush(): Promise<void> {
    await this.level.flush();
  }

  /** Drops the local copy (it is not known to match the changelog). */
  async wipe(): Promise<void> {
    await this.level.close();
    await rm(this.location, { recursive: true, force: true });
    this.level = new LevelKeyValueStore(this.storeName, this.location);
    await this.level.open();
  }

  async close(): Promise<void> {
    await this.level.close();
  }
}
