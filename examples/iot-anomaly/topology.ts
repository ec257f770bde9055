/**
 * Seed 004's IoT pipeline as a rivulet topology: per-device tumbling 10 s and
 * hopping 30 s / 10 s statistics (final results only), z-score anomaly alerts,
 * and status counts.
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Suppressed } from '../../src/dsl/suppressed.js';
import { TimeWindows, type Windowed } from '../../src/dsl/windows.js';
import type { WindowStatistics } from '../../src/processors/window-stats.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';

/** A device reading, as seed 004's generator writes it. */
export interface Reading {
  readonly timestamp: string;
  readonly value: number;
  readonly device_id: string;
  readonly status: string;
}

/** One row of `windowed_results_topic`. */
export interface WindowedResult {
  readonly device_id: string;
  readonly window: string;
  readonly window_start: string;
  readonly window_end: string;
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly stddev: number | null;
}

/** One row of `anomaly_alerts_topic`. */
export interface AnomalyAlert {
  readonly device_id: string;
  readonly timestamp: string;
  readonly value: number;
  readonly z_score: number;
  readonly status: string;
}

export const TOPICS = {
  input: 'stream_data_topic',
  windowed: 'windowed_results_topic',
  alerts: 'anomaly_alerts_topic',
  status: 'status_counts_topic',
} as const;
const DEFAULT_TOPICS = TOPICS;

/** Rejects records the pipeline cannot use; the reason goes to the dead-letter topic. */
export function validateReading(v: unknown): Reading | string {
  if (typeof v !== 'object' || v === null) return 'expected a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r['device_id'] !== 'string' || r['device_id'] === '') return 'device_id must be a non-empty string';
  if (typeof r['value'] !== 'number' || !Number.isFinite(r['value'])) return `value must be a finite number (got ${JSON.stringify(r['value'])})`;
  if (typeof r['timestamp'] !== 'string' || Number.isNaN(Date.parse(r['timestamp']))) return `timestamp must be an ISO-8601 string (got ${JSON.stringify(r['timestamp'])})`;
  return { device_id: r['device_id'], value: r['value'], timestamp: r['timestamp'], status: typeof r['status'] === 'string' ? r['status'] : 'Unknown' };
}

function row(label: string) {
  return (w: Windowed<string>, s: WindowStatistics): WindowedResult => ({
    device_id: w.key,
    window: label,
    window_start: new Date(w.window.start).toISOString(),
    window_end: new Date(w.window.end).toISOString(),
    count: s.count,
    avg: s.mean,
    min: s.min,
    max: s.max,
    stddev: Number.isNaN(s.stddev) ? null : s.stddev,
  });
}

/** Topic names of the topology (default {@link TOPICS}); a benchmark run uses fresh ones. */
export type IotTopics = { readonly [K in keyof typeof TOPICS]: string };

export function buildIotTopology(options: { threshold?: number; topics?: Partial<IotTopics> } = {}): Topology {
  const TOPICS: IotTopics = { ...DEFAULT_TOPICS, ...options.topics };
  const b = new StreamsBuilder();
  const readings = b.stream<string, Reading>(TOPICS.input, {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Reading>({ validate: validateReading }),
    // Event time is the reading's own timestamp, not the time Kafka received it.
    timestampExtractor: (r) => Date.parse((r.value as Reading).timestamp),
  });
  const byDevice = readings.groupByKey({ keySerde: Serdes.string() });
  const out = { keySerde: Serdes.string(), valueSerde: Serdes.json<WindowedResult>() };

  const tumbling = row('tumbling 10s');
  byDevice
    .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
    .stats((r) => r.value, { storeName: 'device-stats-tumbling-10s' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((w, s) => ({ key: w.key, value: tumbling(w, s) }))
    .to(TOPICS.windowed, out);

  const hopping = row('hopping 30s/10s');
  byDevice
    .windowedBy(TimeWindows.ofSizeAndGrace('30s', '5s').advanceBy('10s'))
    .stats((r) => r.value, { storeName: 'device-stats-hopping-30s' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((w, s) => ({ key: w.key, value: hopping(w, s) }))
    .to(TOPICS.windowed, out);

  byDevice
    .windowedBy(TimeWindows.ofSizeAndGrace('30s', '5s').advanceBy('10s'))
    .anomalies((r) => r.value, { storeName: 'device-anomaly-zscore', threshold: options.threshold ?? 2 })
    .mapValues((a, device): AnomalyAlert => ({ device_id: device, timestamp: a.value.timestamp, value: a.value.value, z_score: a.zScore, status: a.value.status }))
    .to(TOPICS.alerts, { keySerde: Serdes.string(), valueSerde: Serdes.json<AnomalyAlert>() });

  readings
    .groupBy((_k, r) => r.status, { keySerde: Serdes.string(), name: 'status' })
    .count({ storeName: 'status-counts' })
    .toStream()
    .to(TOPICS.status, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
  return b.build();
}
