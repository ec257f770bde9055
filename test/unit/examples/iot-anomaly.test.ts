import { expect, it } from 'vitest';
import { readings } from '../../../examples/iot-anomaly/generator.js';
import { buildIotTopology, TOPICS, type AnomalyAlert, type Reading, type WindowedResult } from '../../../examples/iot-anomaly/topology.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

const GRACE = 5_000;

/**
 * What the demo must output, computed without rivulet: windows by the epoch-aligned
 * definition, stream time as the largest timestamp so far (one partition), a record
 * applied to each of its windows whose end is after stream time - grace, and only
 * windows closed by the final stream time emitted.
 */
function expectedWindows(input: readonly Reading[], size: number, advance: number, label: string): Map<string, { values: number[] }> {
  const windows = new Map<string, { values: number[] }>();
  let streamTime = -Infinity;
  for (const r of input) {
    const t = Date.parse(r.timestamp);
    streamTime = Math.max(streamTime, t);
    for (let start = Math.floor(t / advance) * advance; start > t - size; start -= advance) {
      if (start + size <= streamTime - GRACE) continue;
      const k = `${r.device_id}|${label}|${start}`;
      const w = windows.get(k) ?? { values: [] };
      w.values.push(r.value);
      windows.set(k, w);
    }
  }
  for (const k of [...windows.keys()]) {
    const start = Number(k.split('|')[2]);
    if (start + size > streamTime - GRACE) windows.delete(k);
  }
  return windows;
}

it('the IoT demo topology emits the final window statistics and z-score alerts a plain computation gives; malformed readings are dead-lettered', () => {
  const generated = [...readings({ count: 6_000, devices: 4, startMs: Date.parse('2025-01-01T00:00:00Z'), stepMs: 25, jitterMs: 1_500, seed: 4, malformedEvery: 500 })];
  const valid = generated.flatMap((g) => (g.reading === undefined ? [] : [g.reading]));
  const d = new TopologyTestDriver(buildIotTopology());
  const input = d.createInputTopic(TOPICS.input, Serdes.string(), Serdes.string());
  for (const g of generated) input.pipeInput(g.key, g.raw ?? JSON.stringify(g.reading), Date.parse(g.reading?.timestamp ?? '2025-01-01T00:00:00Z'));
  const results = d.createOutputTopic(TOPICS.windowed, Serdes.string(), Serdes.json<WindowedResult>()).readValuesToList() as WindowedResult[];
  const alerts = d.createOutputTopic(TOPICS.alerts, Serdes.string(), Serdes.json<AnomalyAlert>()).readValuesToList() as AnomalyAlert[];
  const metrics = d.metrics();
  d.close();

  const want = new Map([...expectedWindows(valid, 10_000, 10_000, 'tumbling 10s'), ...expectedWindows(valid, 30_000, 10_000, 'hopping 30s/10s')]);
  const got = new Map(results.map((r) => [`${r.device_id}|${r.window}|${Date.parse(r.window_start)}`, r]));
  expect(want.size).toBeGreaterThan(100);
  expect(metrics.dropped.late).toBeGreaterThan(0); // the generator's late readings exercise the grace rule
  expect(got.size).toBe(results.length); // each window once
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, w] of want) {
    const r = got.get(k) as WindowedResult;
    const n = w.values.length;
    const mean = w.values.reduce((a, b) => a + b, 0) / n;
    const sd = n < 2 ? null : Math.sqrt(w.values.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
    expect(r.count, k).toBe(n);
    expect(r.min, k).toBe(Math.min(...w.values));
    expect(r.max, k).toBe(Math.max(...w.values));
    expect(r.avg, k).toBeCloseTo(mean, 9);
    if (sd === null) expect(r.stddev, k).toBeNull();
    else expect(r.stddev as number, k).toBeCloseTo(sd, 9);
  }
  // Every alert is a reading whose |z| against its newest hopping window exceeds 2.
  expect(alerts.length).toBeGreaterThan(0);
  for (const a of alerts) {
    expect(Math.abs(a.z_score)).toBeGreaterThan(2);
    expect(valid.some((r) => r.device_id === a.device_id && r.timestamp === a.timestamp && r.value === a.value)).toBe(true);
  }
  expect(metrics.deadLettered).toBe(generated.length - valid.length);
});
