/**
 * `npm run bench` (broker part): the IoT anomaly topology on a real Apache Kafka
 * broker next to a bare kafkajs consumer reading the same topic, in one run.
 * Needs KAFKA_BROKERS (scripts/bench.sh starts a broker through
 * scripts/kafka/with-kafka.sh). Writes bench/results/broker.json and
 * bench/results/broker.md. Measures only; nothing here asserts a timing.
 *
 * 1. Load (not timed): RIVULET_BROKER_BENCH_RECORDS readings (default 500 000) from
 *    examples/iot-anomaly's generator, no malformed records, into
 *    `stream_data_topic` with RIVULET_BROKER_BENCH_PARTITIONS partitions (default 6).
 * 2. Warm-up (not timed; RIVULET_BROKER_BENCH_WARMUP=0 skips it): one full pass of
 *    the bare consumer, and the topology on the embedded broker over 20 000 readings,
 *    so both timed runs start with kafkajs's fetch path and the topology JIT-compiled
 *    and the broker's log in the page cache.
 * 3. kafkajs consumer: a new group, fromBeginning, eachBatch; per record it turns
 *    the key into a string and JSON.parses the value (what the topology's serdes
 *    do at least) and commits offsets every second (autoCommitInterval, rivulet's
 *    default commit interval). Timed from its GROUP_JOIN to the N-th record.
 * 4. rivulet: one KafkaStreams instance (fresh applicationId and state dir,
 *    default config: at-least-once, idempotent producer, commit every 1 s) running
 *    the IoT topology. Timed from RUNNING (partitions assigned) until the group's
 *    committed offsets on the input topic reach its end offsets, checked every 50 ms;
 *    that includes the last commit (so up to one commit interval after the last
 *    record is processed) and the sends of every output and changelog record
 *    before it. RIVULET_BROKER_BENCH_PROFILE=<file.cpuprofile> writes a CPU profile
 *    of this run (and only this run).
 *    The run is repeated per Kafka client (`kafkaClient`), in the order of
 *    RIVULET_BROKER_BENCH_CLIENTS (default `kafkajs,platformatic`), each with a fresh
 *    applicationId over the same input; the results name the client (`rivulet-kafkajs`,
 *    `rivulet-platformatic`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { buildIotTopology, TOPICS } from '../examples/iot-anomaly/topology.js';
import { KafkaStreams } from '../src/runtime/kafka-streams.js';
import type { Logger } from '../src/runtime/streams-config.js';
import { checkKafkaClient, type KafkaClient } from '../src/transport/kafka-client.js';
import { EmbeddedBroker } from '../src/transport/embedded/embedded-broker.js';
import { generateReadings, loadReadings } from './iot-load.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const envInt = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0 (got ${JSON.stringify(raw)})`);
  return n;
};
const RECORDS = envInt('RIVULET_BROKER_BENCH_RECORDS', 500_000);
const PARTITIONS = envInt('RIVULET_BROKER_BENCH_PARTITIONS', 6);
const DEVICES = envInt('RIVULET_BROKER_BENCH_DEVICES', 100);
const WARMUP = envInt('RIVULET_BROKER_BENCH_WARMUP', 1) > 0;
const DEADLINE_MS = envInt('RIVULET_BROKER_BENCH_TIMEOUT_S', 900) * 1000;
/** A file to write a CPU profile of the timed rivulet run to (Chrome DevTools / speedscope format). */
const PROFILE = process.env['RIVULET_BROKER_BENCH_PROFILE'];
const CLIENTS: KafkaClient[] = (process.env['RIVULET_BROKER_BENCH_CLIENTS'] ?? 'kafkajs,platformatic')
  .split(',')
  .map((c) => c.trim())
  .filter((c) => c.length > 0)
  .map((c) =>
    checkKafkaClient('RIVULET_BROKER_BENCH_CLIENTS', c, (m) => {
      throw new Error(m);
    }),
  );
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);

const generate = (count: number) => generateReadings(count, DEVICES);

type System = `rivulet-${KafkaClient}` | 'kafkajs-consumer';
interface Result {
  workload: 'iot-broker';
  system: System;
  recordsPerSec: number;
  records: number;
  seconds: number;
}

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: (m, f) => console.warn(m, f ?? ''), error: (m, f) => console.error(m, f ?? '') };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runId = Date.now().toString(36);

async function load(kafka: Kafka, admin: Admin): Promise<void> {
  const seconds = await loadReadings(kafka, admin, { topic: TOPICS.input, records: RECORDS, partitions: PARTITIONS, devices: DEVICES });
  console.log(`loaded ${RECORDS} readings (${DEVICES} devices) into ${TOPICS.input} (${PARTITIONS} partitions) in ${seconds.toFixed(1)} s`);
}

/** One bare kafkajs consumer over the whole topic; seconds from joining the group to the N-th record. */
async function bareConsumer(kafka: Kafka, groupId: string): Promise<number> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPICS.input], fromBeginning: true });
  let joinedAt: number | undefined;
  consumer.on(consumer.events.GROUP_JOIN, () => (joinedAt ??= performance.now()));
  let seen = 0;
  let sink = 0;
  let finish!: (at: number) => void;
  const finished = new Promise<number>((r) => (finish = r));
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key === null ? null : m.key.toString('utf8');
        const value = m.value === null ? null : (JSON.parse(m.value.toString('utf8')) as { value: number });
        // Keeps the parse from being optimized away.
        if (key !== null && value !== null) sink += value.value;
      }
      seen += batch.messages.length;
      if (seen >= RECORDS) finish(performance.now());
    },
  });
  const end = await Promise.race([finished, sleep(DEADLINE_MS).then(() => undefined)]);
  await consumer.disconnect();
  if (end === undefined || joinedAt === undefined) throw new Error(`kafkajs consumer: read ${seen}/${RECORDS} records within ${DEADLINE_MS} ms`);
  if (!Number.isFinite(sink)) throw new Error('unreachable');
  return (end - joinedAt) / 1000;
}

/** The topology on the embedded broker over a few readings: JIT warm-up only. */
async function warmUpTopology(): Promise<void> {
  const broker = new EmbeddedBroker();
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-warmup-'));
  const t = broker.transport({ clientId: 'warmup' });
  try {
    await t.connect();
    await t.createTopics([{ topic: TOPICS.input, partitions: PARTITIONS }]);
    const app = new KafkaStreams(buildIotTopology(), { applicationId: `warmup-${runId}`, embeddedBroker: broker, stateDir, logger: quiet });
    await app.start();
    await app.waitForState('RUNNING');
    const producer = await t.producer();
    const enc = new TextEncoder();
    const n = 20_000;
    const out = [...generate(n)].map((g) => ({ topic: TOPICS.input, key: enc.encode(g.key), value: enc.encode(JSON.stringify(g.reading)) }));
    await producer.send(out);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const committed = await t.committedOffsets(app.config.applicationId, TOPICS.input);
      if (committed.reduce((s, c) => s + (c.offset ?? 0), 0) >= n) break;
      await sleep(50);
    }
    await producer.close();
    await app.close();
  } finally {
    await t.close();
    broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Records in each topic the application writes: outputs (which may exist already), and its own internal topics. */
async function writtenRecords(admin: Admin, applicationId: string): Promise<Map<string, number>> {
  const outputs: string[] = [TOPICS.windowed, TOPICS.alerts, TOPICS.status];
  const topics = (await admin.listTopics()).filter((t) => outputs.includes(t) || t.startsWith(`${applicationId}-`));
  const out = new Map<string, number>();
  for (const t of topics) out.set(t, (await admin.fetchTopicOffsets(t)).reduce((n, p) => n + Number(p.high), 0));
  return out;
}

/** One KafkaStreams instance over the whole topic; seconds from RUNNING to the input's committed offsets reaching its end. */
async function rivulet(admin: Admin, kafkaClient: KafkaClient): Promise<{ seconds: number; written: string }> {
  const applicationId = `iot-broker-bench-${runId}-${kafkaClient}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
  const ends = new Map((await admin.fetchTopicOffsets(TOPICS.input)).map((p) => [p.partition, Number(p.high)]));
  const before = await writtenRecords(admin, applicationId);
  const app = new KafkaStreams(buildIotTopology(), { applicationId, brokers, kafkaClient, stateDir, logger: quiet });
  let runningAt: number | undefined;
  app.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  const profiler = PROFILE === undefined || PROFILE === '' ? undefined : new Session();
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  try {
    await app.start();
    await app.waitForState('RUNNING', 60_000);
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const [offsets] = await admin.fetchOffsets({ groupId: applicationId, topics: [TOPICS.input] });
      const done = (offsets?.partitions ?? []).filter((p) => Number(p.offset) >= (ends.get(p.partition) ?? Infinity)).length === ends.size;
      if (done) break;
      if (app.state() === 'ERROR') throw new Error('rivulet: the instance failed', { cause: app.error() });
      if (Date.now() >= deadline) throw new Error(`rivulet: committed offsets did not reach the end of ${TOPICS.input} within ${DEADLINE_MS} ms (metrics ${JSON.stringify(app.metrics())})`);
      await sleep(50);
    }
    const end = performance.now();
    if (profiler !== undefined && PROFILE !== undefined) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(PROFILE, JSON.stringify(profile));
      profiler.disconnect();
      console.log(`rivulet: CPU profile of the timed run written to ${PROFILE}`);
    }
    const m = app.metrics();
    console.log(`rivulet metrics: processed ${m.processed} (input + status repartition), produced ${m.produced}, late dropped ${m.dropped.late}, dead-lettered ${m.deadLettered}, kernel ${Math.round(m.kernelMs)} ms`);
    // What the instance wrote by the end of the timed run, by kind: the work the bare consumer does not do.
    const after = await writtenRecords(admin, applicationId);
    const sum = (pick: (t: string) => boolean) => [...after].filter(([t]) => pick(t)).reduce((n, [t, x]) => n + x - (before.get(t) ?? 0), 0);
    const changelog = sum((t) => t.startsWith(`${applicationId}-`) && t.endsWith('-changelog'));
    const repartition = sum((t) => t.startsWith(`${applicationId}-`) && t.endsWith('-repartition'));
    const outputs = sum((t) => !t.startsWith(`${applicationId}-`));
    const fmt = (x: number) => x.toLocaleString('en-US');
    const written = `rivulet wrote ${fmt(outputs + repartition + changelog)} records for the ${fmt(RECORDS)} readings (${((outputs + repartition + changelog) / RECORDS).toFixed(2)} per reading): ${fmt(outputs)} to output topics, ${fmt(repartition)} to the repartition topic, ${fmt(changelog)} to changelogs.`;
    console.log(written);
    return { seconds: (end - (runningAt ?? end)) / 1000, written };
  } finally {
    await app.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const result = (system: System, seconds: number): Result => ({ workload: 'iot-broker', system, recordsPerSec: Math.round(RECORDS / seconds), records: RECORDS, seconds: Number(seconds.toFixed(3)) });

async function main(): Promise<void> {
  if (brokers.length === 0) {
    console.error('bench/broker.bench.ts: KAFKA_BROKERS is not set; run it through `bash scripts/kafka/with-kafka.sh npx vite-node bench/broker.bench.ts`');
    process.exit(2);
  }
  if (RECORDS === 0 || PARTITIONS === 0) throw new Error('RIVULET_BROKER_BENCH_RECORDS and RIVULET_BROKER_BENCH_PARTITIONS must be > 0');
  const kafka = new KafkaClass({ clientId: `broker-bench-${runId}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await load(kafka, admin);
    if (WARMUP) {
      const s = await bareConsumer(kafka, `bench-warmup-${runId}`);
      console.log(`warm-up: kafkajs consumer ${Math.round(RECORDS / s).toLocaleString('en-US')} records/s`);
      await warmUpTopology();
      console.log('warm-up: topology on the embedded broker over 20000 readings');
    }
    const bare = result('kafkajs-consumer', await bareConsumer(kafka, `bench-kafkajs-${runId}`));
    console.log(`kafkajs consumer: ${bare.recordsPerSec.toLocaleString('en-US')} records/s (${bare.seconds} s)`);
    const runs: { riv: Result; written: string }[] = [];
    for (const client of CLIENTS) {
      const run = await rivulet(admin, client);
      const riv = result(`rivulet-${client}`, run.seconds);
      console.log(`rivulet on ${client}: ${riv.recordsPerSec.toLocaleString('en-US')} records/s (${riv.seconds} s)`);
      runs.push({ riv, written: `${client}: ${run.written}` });
    }
    const all = [...runs.map((r) => r.riv), bare];
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'broker.json'), `${JSON.stringify(all, null, 2)}\n`);

    const fmt = (x: number) => x.toLocaleString('en-US');
    const table = [
      `Broker benchmark: the IoT anomaly topology on Apache Kafka vs a bare kafkajs consumer (records/s per instance; ${fmt(RECORDS)} readings, ${DEVICES} devices, ${PARTITIONS} partitions; ${new Date().toISOString()}, node ${process.version}, warm-up ${WARMUP ? 'on' : 'off'})`,
      '',
      '| workload | system | records | seconds | records/s |',
      '| --- | --- | ---: | ---: | ---: |',
      ...all.map((r) => `| ${r.workload} | ${r.system} | ${fmt(r.records)} | ${r.seconds.toFixed(2)} | ${fmt(r.recordsPerSec)} |`),
      '',
      ...runs.map(({ riv }) => `${riv.system} / kafkajs consumer: ${(riv.recordsPerSec / bare.recordsPerSec).toFixed(2)}`),
      '',
      'kafkajs consumer: new group, fromBeginning, eachBatch, key to string and JSON.parse of each value, offsets committed every 1 s; timed from joining the group to the last record.',
      'rivulet-<client>: one KafkaStreams instance on that Kafka client (`kafkaClient`), default config (at-least-once, idempotent producer, commit every 1 s), the full topology (windowed stats, z-score alerts, status counts through a repartition topic, changelogs); timed from RUNNING until the committed offsets on the input topic reach its end (includes the last commit).',
      ...runs.map((r) => r.written),
      'Broker, benchmark and both clients share one 2-core machine, which other work may use at the same time: the figures are noisy; compare the ratio within a run.',
    ].join('\n');
    writeFileSync(join(root, 'bench', 'results', 'broker.md'), `${table}\n`);
    console.log(`\n${table}`);
  } finally {
    await admin.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
