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

/** Kafka's default `max.message.bytes`, set explicitly so a broker configured lower does not refuse rivulet's batches. */
const CHANGELOG_MAX_MESSAGE_BYTES = '1048588';
/** A day past a windowed store's retention, as Kafka Streams' `windowstore.changelog.additional.retention.ms`. */
const WINDOW_CHANGELOG_EXTRA_RETENTION_MS = 86_400_000;
/**
 * Segments of kernel changelogs: a kernel writes every changed key at each commit, and the
 * active segment is never compacted, so a smaller one bounds what a restore reads uncompacted.
 */
const KERNEL_CHANGELOG_SEGMENT_BYTES = String(64 * 1024 * 1024);

/**
 * The configs a store's changelog topic is created with. Every changelog is compacted
 * (the latest record per key is the state). Windowed stores also delete by time (a day
 * past retention). Kernel stores write one record per key holding that key's whole state,
 * so compaction may drop any older record at any time (`min.compaction.lag.ms` stays 0).
 */
export function changelogTopicConfig(def: StoreDefinition): Record<string, string> {
  const base = { 'max.message.bytes': CHANGELOG_MAX_MESSAGE_BYTES };
  if (def.type === 'window' || def.type === 'session') {
    return { ...base, 'cleanup.policy': 'compact,delete', 'retention.ms': String((def.retentionMs ?? 86_400_000) + WINDOW_CHANGELOG_EXTRA_RETENTION_MS) };
  }
  if (def.type === 'window-stats') return { ...base, 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0', 'segment.bytes': KERNEL_CHANGELOG_SEGMENT_BYTES };
  return { ...base, 'cleanup.policy': 'compact' };
}

/** A repartition topic, Kafka Streams' naming. */
export function repartitionTopic(applicationId: string, name: string): string {
  return `${applicationId}-${name}`;
}
