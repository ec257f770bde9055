import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { serveMetrics } from '../../../src/metrics/prometheus.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, produceJson } from '../../support/embedded-io.js';

it('metrics: counters per task, commit latency, lag and restore progress, served as Prometheus text over HTTP', async () => {
  const broker = new EmbeddedBroker();
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: 'in', partitions: 2 }]);
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-metrics-'));
  const b = new StreamsBuilder();
  b.stream<string, number>('in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).groupByKey().count({ storeName: 'counts' });
  const app = new KafkaStreams(b.build(), { applicationId: 'metrics-app', stateDir: dir, embeddedBroker: broker, commitIntervalMs: 50 });
  await app.start();
  await app.waitForState('RUNNING');
  await produceJson(admin, 'in', Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 10}`, value: i })));
  await produceJson(admin, 'in', [{ key: 'k0', value: 300 }]);
  await eventually(() => app.metrics().processed === 301 && app.metrics().commits > 0, 10_000, '301 records processed');
  await eventually(async () => (await app.lag()).every((p) => p.lag === 0), 10_000, 'no lag');

  const m = app.metrics();
  expect(m.tasks).toBe(2);
  expect(Object.values(app.taskMetrics()).reduce((n, t) => n + t.processed, 0)).toBe(301);
  expect(m.commitLatencyMaxMs).toBeGreaterThanOrEqual(m.commitLatencyAvgMs);
  expect(m.processRate).toBeGreaterThan(0);

  const server = await serveMetrics(app);
  try {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(text).toContain('# TYPE rivulet_records_processed_total counter');
    const processed = [...text.matchAll(/^rivulet_records_processed_total\{application="metrics-app",task="[0-9_]+"\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    expect(processed).toBe(301);
    expect(text).toMatch(/^rivulet_consumer_lag\{application="metrics-app",topic="in",partition="0"\} 0$/m);
    expect(text).toMatch(/^rivulet_commits_total\{application="metrics-app"\} [1-9]\d*$/m);
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  } finally {
    await server.close();
    await app.close();
  }
  // A new instance with an empty state directory restores the store and reports it.
  const dir2 = mkdtempSync(join(tmpdir(), 'rivulet-metrics-'));
  const b2 = new StreamsBuilder();
  b2.stream<string, number>('in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).groupByKey().count({ storeName: 'counts' });
  const again = new KafkaStreams(b2.build(), { applicationId: 'metrics-app', stateDir: dir2, embeddedBroker: broker, commitIntervalMs: 50 });
  try {
    await again.start();
    await again.waitForState('RUNNING');
    const restores = again.metrics().restores.filter((r) => r.store === 'counts');
    expect(restores.length).toBe(2);
    expect(restores.reduce((n, r) => n + r.restored, 0)).toBeGreaterThanOrEqual(10);
  } finally {
    await again.close();
    await admin.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dir2, { recursive: true, force: true });
  }
});
