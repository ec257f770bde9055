import type { TaskMetrics } from './task-metrics.js';

/** Restore progress of one task, reported while a moved task rebuilds its stores. */
export interface RestoreProgress {
  readonly task: string;
  readonly store: string;
  readonly restored: number;
  readonly total: number;
  readonly recordsPerSec: number;
  /** Key and value bytes of the changelog records restored, per second. */
  readonly bytesPerSec?: number;
}

/** Instance-wide metrics: the tasks' counters summed, plus what only the instance knows. */
export interface InstanceMetrics extends TaskMetrics {
  readonly tasks: number;
  readonly uptimeMs: number;
  /** Records processed per second since start. */
  readonly processRate: number;
  readonly commits: number;
  readonly commitLatencyAvgMs: number;
  readonly commitLatencyMaxMs: number;
  /** Duration of the latest commit. */
  readonly commitLatencyLastMs: number;
  /** Changelog records (and their key and value bytes) the commits sent, since start. */
  readonly changelogRecordsSent: number;
  readonly changelogBytesSent: number;
  /** Entries each store holds over this instance's tasks (for windowed statistics: keys with state). */
  readonly storeEntries: Readonly<Record<string, number>>;
  /** The latest progress of each store restore (task, store, records done and total, rate). */
  readonly restores: readonly RestoreProgress[];
}

/** Consumer lag of one partition. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly end: number;
  readonly position: number;
  readonly lag: number;
}

/**
 * What the exporters read. `KafkaStreams` implements it; the exporters depend
 * on this contract rather than on the runtime that imports them.
 */
export interface MetricsSource {
  readonly config: { readonly applicationId: string };
  metrics(): InstanceMetrics;
  taskMetrics(): Record<string, TaskMetrics>;
  lag(): Promise<PartitionLag[]>;
}
