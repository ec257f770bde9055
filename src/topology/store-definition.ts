import type { Serde } from '../serde/serde.js';
import type { WindowSpec } from '../wasm/window-stats-kernel.js';

/** The kinds of state store a task can hold. */
export type StoreType = 'key-value' | 'window' | 'session' | 'window-stats';

/**
 * A state store as the topology declares it; each task builds its own instance.
 * Stores with `changelog` write every change to the compacted topic
 * `<applicationId>-<name>-changelog` (partition = task partition).
 */
export interface StoreDefinition {
  readonly name: string;
  readonly type: StoreType;
  /** Kept in LevelDB under stateDir (true) or only in memory (false); both restore from the changelog. */
  readonly persistent: boolean;
  readonly changelog: boolean;
  /** For serving interactive queries with typed keys and values. */
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  /** Window and session stores: how long windows are kept, ms. */
  readonly retentionMs?: number;
  /** Window stores: window size, ms. */
  readonly windowSizeMs?: number;
  /** Window stores: values carry their largest record timestamp (sliding-window aggregates). */
  readonly timestamped?: boolean;
  /** `window-stats` stores: the kernel spec. */
  readonly kernel?: WindowSpec;
  /** True when the name was generated: renaming the operator later would lose this state. */
  readonly generatedName: boolean;
}

/** The changelog topic of a store, Kafka Streams' naming. */
export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

/** A repartition topic, Kafka Streams' naming. */
export function repartitionTopic(applicationId: string, name: string): string {
  return `${applicationId}-${name}`;
}
