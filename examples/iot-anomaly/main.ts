/**
 * `npm run demo`: seed 004's IoT anomaly pipeline on the embedded broker.
 * A generator writes device readings; rivulet computes windowed statistics and
 * z-score alerts; the console shows each batch as tables, a progress line, and
 * a summary. It stops by itself (or on Ctrl-C) and leaves nothing running.
 *
 *   npm run demo -- --records 40000 --devices 5
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { formatTable, type Cell } from '../../src/sinks/console-table.js';
import { EmbeddedBroker } from '../../src/transport/embedded/embedded-broker.js';
import type { ConsumerRecord } from '../../src/transport/transport.js';
import { readings } from './generator.js';
import { buildIotTopology, TOPICS, type AnomalyAlert, type WindowedResult } from './topology.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '40000' },
    devices: { type: 'string', default: '5' },
    'batch-ms': { type: 'string', default: '2000' },
  },
});
const total = Number(args.records);
const devices = Number(args.devices);
const batchMs = Number(args['batch-ms']);

const enc = new TextEncoder();
const dec = new TextDecoder();
const json = (r: ConsumerRecord): unknown => (r.value === null ? null : JSON.parse(dec.decode(r.value)));

async function main(): Promise<void> {
  const started = Date.now();
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-iot-'));
  const broker = new EmbeddedBroker();
  const admin = broker.transport({ clientId: 'iot-admin' });
  await admin.connect();
  await admin.createTopics([
    { topic: TOPICS.input, partitions: 3 },
    { topic: TOPICS.windowed, partitions: 3 },
    { topic: TOPICS.alerts, partitions: 3 },
    { topic: TOPICS.status, partitions: 3 },
  ]);
    // Bad records are counted and dead-lettered; the summary reports them instead of a log line each.
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string, f?: Record<string, unknown>) => console.error(m, f ?? '') };
  const app = new KafkaStreams(buildIotTopology(), { applicationId: 'iot-demo', embeddedBroker: broker, stateDir, commitIntervalMs: 500, logger });
  let stopping = false;
  process.once('SIGINT', () => {
    stopping = true;
    console.log('\nCtrl-C: finishing the current batch and shutting down…');
  });
  await app.start();
  await app.waitForState('RUNNING');

  const sink = await admin.consumer({ groupId: 'iot-demo-console' });
  await sink.subscribe([TOPICS.windowed, TOPICS.alerts, TOPICS.status]);
  const statusCounts = new Map<string, number>();
  let windows = 0;
  let alerts = 0;
  let batch = 0;

  const showBatch = async (): Promise<void> => {
    const recs: ConsumerRecord[] = [];
    for (let i = 0; i < 20; i++) {
      const got = await sink.poll({ maxRecords: 10_000, timeoutMs: i === 0 ? 50 : 0 });
      if (got.length === 0) break;
      recs.push(...got);
    }
    const ws = recs.filter((r) => r.topic === TOPICS.windowed).map((r) => json(r) as WindowedResult);
    const as = recs.filter((r) => r.topic === TOPICS.alerts).map((r) => json(r) as AnomalyAlert);
    for (const r of recs.filter((x) => x.topic === TOPICS.status)) statusCounts.set(dec.decode(r.key ?? new Uint8Array()), json(r) as number);
    windows += ws.length;
    alerts += as.length;
    console.log(`-------------------------------------------\nBatch: ${batch++}\n-------------------------------------------`);
    if (ws.length > 0) {
      console.log(`windowed_results_topic (${ws.length} final windows)`);
      console.log(formatTable(ws.map((w) => ({ ...w, avg: w.avg, stddev: w.stddev }) as unknown as Record<string, Cell>), 8));
    }
    if (as.length > 0) {
      console.log(`anomaly_alerts_topic (${as.length} alerts, |z| > 2)`);
      console.log(formatTable(as as unknown as Record<string, Cell>[], 5));
    }
    console.log('status counts (complete)');
    console.log(formatTable([...statusCounts].sort().map(([status, count]) => ({ status, count }))));
  };

  const progress = (produced: number): void => {
    const m = app.metrics();
    const secs = (Date.now() - started) / 1000;
    console.log(
      `progress: produced ${produced}/${total}  processed ${m.processed}  windows ${windows}  alerts ${alerts}  late dropped ${m.dropped.late}  dead-lettered ${m.deadLettered}  ${(m.processed / secs).toFixed(0)} records/s`,
    );
  };

  const producer = await admin.producer();
  const gen = readings({ count: total, devices, startMs: Date.UTC(2025, 3, 20, 13, 40, 0), stepMs: 20, jitterMs: 2000, seed: 4, malformedEvery: 5000 });
  let produced = 0;
  let lastShow = Date.now();
  const chunk = Math.max(100, Math.floor(total / 20));
  for (;;) {
    const out: { topic: string; key: Uint8Array; value: Uint8Array }[] = [];
    for (let i = 0; i < chunk; i++) {
      const g = gen.next();
      if (g.done) break;
      out.push({ topic: TOPICS.input, key: enc.encode(g.value.key), value: enc.encode(g.value.raw ?? JSON.stringify(g.value.reading)) });
    }
    if (out.length === 0 || stopping) break;
    await producer.send(out);
    produced += out.length;
    await new Promise((r) => setTimeout(r, 150));
    if (Date.now() - lastShow >= batchMs) {
      lastShow = Date.now();
      await showBatch();
      progress(produced);
    }
  }
  // Let the application catch up with everything produced (bounded wait).
  const deadline = Date.now() + 20_000;
  while (!stopping && Date.now() < deadline) {
    const m = app.metrics();
    if (m.processed + m.deadLettered >= produced) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 700)); // one more commit interval so outputs are flushed
  await showBatch();
  progress(produced);

  const m = app.metrics();
  const secs = (Date.now() - started) / 1000;
  console.log('\n=== summary ===');
  console.log(
    formatTable([
      { metric: 'readings produced', value: produced },
      { metric: 'records processed (input + status repartition)', value: m.processed },
      { metric: 'final windows emitted', value: windows },
      { metric: 'anomaly alerts', value: alerts },
      { metric: 'late records dropped', value: m.dropped.late },
      { metric: 'dead-lettered (bad input)', value: m.deadLettered },
      { metric: 'time in WASM kernel (ms)', value: Math.round(m.kernelMs) },
      { metric: 'elapsed (s)', value: Number(secs.toFixed(1)) },
      { metric: 'throughput (records/s, incl. pacing)', value: Math.round(m.processed / secs) },
    ]),
  );
  console.log('(windows still open when the input ended are not final yet, so they are not shown)');

  await sink.close();
  await producer.close();
  await app.close();
  await admin.close();
  broker.close();
  rmSync(stateDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
