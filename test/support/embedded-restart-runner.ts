/**
 * One run of a service on the process's embedded broker, as a user's service
 * runs it: produce the input, process it, print the results, close. With
 * `killAfterCommits` the process SIGKILLs itself mid-run instead, after that
 * many commits (state and checkpoints on disk, the output unfinished).
 *
 *   vite-node test/support/embedded-restart-runner.ts '<json RestartRunnerConfig>'
 *
 * Prints one JSON line: `{ counts, windows, late }`, or nothing when killed.
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Suppressed } from '../../src/dsl/suppressed.js';
import { TimeWindows } from '../../src/dsl/windows.js';
import { KafkaStreams, defaultEmbeddedBroker } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { eventually, produceJson, readAll } from './embedded-io.js';

export interface RestartRunnerConfig {
  readonly stateDir: string;
  readonly killAfterCommits?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RestartRunnerConfig;
const DEVICES = ['d1', 'd2', 'd3'];
const READINGS = 600;
const T0 = Date.parse('2025-01-01T00:00:00Z');

interface Reading { device: string; value: number }

const b = new StreamsBuilder();
const readings = b.stream<string, Reading>('readings', { valueSerde: Serdes.json<Reading>() });
readings.groupBy((_k, r) => r.device).count({ storeName: 'reading-counts' }).toStream().to('reading-counts', { valueSerde: Serdes.json<number>() });
readings
  .groupBy((_k, r) => r.device)
  .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
  .stats((r) => r.value, { storeName: 'device-stats' })
  .suppress(Suppressed.untilWindowCloses())
  .toStream()
  .to('device-stats');

const broker = defaultEmbeddedBroker();
const admin = broker.transport();
await admin.connect();
await admin.createTopics([{ topic: 'readings', partitions: 1 }]);
const app = new KafkaStreams(b.build(), { applicationId: 'restart-app', stateDir: config.stateDir, commitIntervalMs: 20 });
await app.start();
const killAfter = config.killAfterCommits;
if (killAfter !== undefined) {
  setInterval(() => {
    if (app.metrics().commits >= killAfter && app.metrics().processed > 0) process.kill(process.pid, 'SIGKILL');
  }, 5);
}

// Input arrives in small bursts so that commits (and checkpoints) happen mid-run.
for (let i = 0; i < READINGS; i += 20) {
  await produceJson(
    admin,
    'readings',
    Array.from({ length: 20 }, (_, j) => {
      const n = i + j;
      return { key: String(n), value: { device: DEVICES[n % 3], value: n % 17 }, timestamp: T0 + n * 500 };
    }),
  );
  await new Promise((r) => setTimeout(r, 15));
}
// A last reading far ahead closes every window of the run.
await produceJson(admin, 'readings', [{ key: 'end', value: { device: 'd1', value: 0 }, timestamp: T0 + READINGS * 500 + 60_000 }]);

const decode = (v: Uint8Array | null): unknown => (v === null ? null : JSON.parse(Buffer.from(v).toString('utf8')));
const wantWindows = Math.ceil((READINGS * 500) / 10_000) * DEVICES.length;
let windows: unknown[] = [];
await eventually(async () => {
  windows = (await readAll(admin, 'device-stats')).map((r) => [Buffer.from(r.key ?? []).toString('utf8'), decode(r.value)]);
  return windows.length >= wantWindows;
}, 30_000, `${wantWindows} final windows`);
// Counts settle once the last commit is out; state carried over from elsewhere would
// overshoot, so the wait ends on a bound and the parent compares whatever is there.
const counts: Record<string, unknown> = {};
await eventually(async () => {
  for (const r of await readAll(admin, 'reading-counts')) counts[Buffer.from(r.key ?? []).toString('utf8')] = decode(r.value);
  return counts['d1'] === READINGS / 3 + 1 && counts['d2'] === READINGS / 3 && counts['d3'] === READINGS / 3;
}, 10_000, 'final counts').catch(() => undefined);
const late = app.metrics().dropped.late;
await app.close();
process.stdout.write(`${JSON.stringify({ counts, windows, late })}\n`);
