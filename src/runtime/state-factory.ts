import { StateError } from '../errors.js';
import { KernelStateStore } from '../state/kernel-state-store.js';
import { WorkingKeyValueStore } from '../state/working-key-value-store.js';
import { WorkingSessionStore } from '../state/working-session-store.js';
import type { PersistableState } from '../state/working-table.js';
import { WorkingWindowStore } from '../state/working-window-store.js';
import type { StoreDefinition } from '../topology/store-definition.js';
import { assertNever } from '../topology/topology-node.js';

/** A task's instance of a declared store. */
export type TaskStore = PersistableState & { close?(): void };

/** Builds the in-memory working store for a definition; persistence is layered on by the task. */
export function createWorkingStore(def: StoreDefinition): TaskStore {
  switch (def.type) {
    case 'key-value':
      return new WorkingKeyValueStore(def.name, def.keySerde, def.valueSerde);
    case 'window':
      return new WorkingWindowStore(def.name, def.keySerde, def.valueSerde, def.retentionMs ?? 86_400_000, def.timestamped === true);
    case 'session':
      return new WorkingSessionStore(def.name, def.keySerde, def.valueSerde, def.retentionMs ?? 86_400_000);
    case 'window-stats':
      if (def.kernel === undefined) throw new StateError('RIVULET_STATE_NO_KERNEL_SPEC', `store "${def.name}": a window-stats store needs a kernel spec`);
      return new KernelStateStore(def.name, def.kernel, def.keySerde);
    default:
      return assertNever(def.type);
  }
}
