import type { DropReason } from '../processors/internal-context.js';

/** Counters of one task; summed per instance by `KafkaStreams.metrics()`. */
export interface TaskMetrics {
  processed: number;
  /** Records produced to sink topics (including internal ones). */
  produced: number;
  dropped: Record<DropReason, number>;
  deadLettered: number;
  /** Total ms spent inside WASM kernel calls. */
  kernelMs: number;
  punctuations: number;
}

export function newTaskMetrics(): TaskMetrics {
  return {
    processed: 0,
    produced: 0,
    dropped: { late: 0, 'null-key': 0, 'null-value': 0, 'invalid-value': 0, 'expired-window': 0, duplicate: 0, unproducible: 0 },
    deadLettered: 0,
    kernelMs: 0,
    punctuations: 0,
  };
}

/** Adds `b` into `a`. */
export function addMetrics(a: TaskMetrics, b: TaskMetrics): TaskMetrics {
  a.processed += b.processed;
  a.produced += b.produced;
  for (const k of Object.keys(a.dropped) as DropReason[]) a.dropped[k] += b.dropped[k];
  a.deadLettered += b.deadLettered;
  a.kernelMs += b.kernelMs;
  a.punctuations += b.punctuations;
  return a;
}
