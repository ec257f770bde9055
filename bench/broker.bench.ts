/**
 * `npm run bench` (broker part): the IoT anomaly topology on a real Apache Kafka
 * broker at both guarantees, next to a consume → transform → produce pipe on
 * rivulet's own client and a bare kafkajs consumer reading the same topic, in one run.
 * Needs KAFKA_BROKERS (scripts/bench.sh starts a broker through
 * scripts/kafka/with-kafka.sh). Writes bench/results/broker.json and
 * bench/results/broker.md. Measures only; nothing here asserts a timing.
 *
 * 1. Load (not timed): RIVULET_BROKER_BENCH_RECORDS readings (default 100 000, 2 000 000
 *    with RIVULET_BENCH_FULL=1) from
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
 *    of this run (and only this run). It runs on the default Kafka client;
 *    `rivulet-kafkajs` is the same run on the kafkajs client, so the two clients
 *    are compared on one machine in one run.
 * 5. client-pipe (bench/broker-pipe.ts): consume → JSON.parse → produce on the
 *    default client through the Transport contract, writing per reading as many
 *    records of each kind (outputs, repartition, changelog), of the same mean size,
 *    as rivulet wrote in step 4; idempotent producer, commit every 1 s. Timed as
 *    rivulet is.
 * 6. rivulet-eos and client-pipe-eos: steps 4 and 5 under exactly-once (one
 *    transaction per commit, read_committed). RIVULET_BROKER_BENCH_PROFILE_EOS
 *    profiles rivulet-eos.
 *
 * RIVULET_BROKER_BENCH_SYSTEMS=rivulet,client-pipe runs only those. The rows
 * `client-pipe`, `rivulet` and `rivulet-eos` also go into bench/results/peers.json
 * (workload `iot-broker`, merged with the rows there) and their ratios into
 * peers.md, between the `iot-broker-pipe` markers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { buildIotTopology, TOPICS } from '../examples/iot-anomaly/topology.js';
import { KafkaStreams } from '../src/runtime/kafka-streams.js';
import type { Logger } from '../src/runtime/streams-config.js';
import type { KafkaClient } from '../src/transport/kafka-client.js';
import { EmbeddedBroker } from '../src/transport/embedded/embedded-broker.js';
import { generateReadings, loadReadings } from './iot-load.js';
import { ClientPipe, DEFAULT_PIPE_KINDS, defaultTransport, meanRecordBytes, topicKind, type PipeKind } from './broker-pipe.js';
import { mergeIntoPeers, type BrokerRow } from './broker-rows.js';
import { benchPlan } from './bench-plan.js';
import { withProgress } from './progress.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const envInt = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0 (got ${JSON.stringify(raw)})`);
  return n;
};
// 100 000 readings in the default run, 2 000 000 with RIVULET_BENCH_FULL=1 (bench/bench-plan.ts).
const plan = benchPlan(process.env);
const RECORDS = plan.broker.records;
const PARTITIONS = envInt('RIVULET_BROKER_BENCH_PARTITIONS', 6);
const DEVICES = envInt('RIVULET_BROKER_BENCH_DEVICES', 100);
const WARMUP = envInt('RIVULET_BROKER_BENCH_WARMUP', 1) > 0;
const DEADLINE_MS = envInt('RIVULET_BROKER_BENCH_TIMEOUT_S', 900) * 1000;
/** A file to write a CPU profile of the timed rivulet run to (Chrome DevTools / speedscope format). */
const PROFILE = process.env['RIVULET_BROKER_BENCH_PROFILE'];
const PROFILE_EOS = process.env['RIVULET_BROKER_BENCH_PROFILE_EOS'];
const ALL_SYSTEMS = ['kafkajs-consumer', 'rivulet', 'rivulet-kafkajs', 'client-pipe', 'rivulet-eos', 'client-pipe-eos'] as const;
const SELECTED = (process.env['RIVULET_BROKER_BENCH_SYSTEMS'] ?? '').split(',').map((x) => x.trim()).filter((x) => x.length > 0);
for (const x of SELECTED) if (!(ALL_SYSTEMS as readonly string[]).includes(x)) throw new Error(`RIVULET_BROKER_BENCH_SYSTEMS: unknown system '${x}' (one of ${ALL_SYSTEMS.join(', ')})`);
const selected = (x: System) => SELECTED.length === 0 || SELECTED.includes(x);
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);

const generate = (count: number) => generateReadings(count, DEVICES);

type System = (typeof ALL_SYSTEMS)[number];
interface Result extends BrokerRow {
  system: System;
  recordsPerSec: number;
  records: number;
  seconds: number;
}

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: (m, f) => console.warn(m, f ?? ''), error: (m, f) => console.error(m, f ?? '') };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runId = Date.now().toString(36);
/** How far the running step is, for its progress lines. */
let status = '';

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
      status = `${seen}/${RECORDS} read`;
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

/** Polls the group's committed offsets on the input every 50 ms until they reach `ends`. */
async function waitCommitted(admin: Admin, groupId: string, ends: Map<number, number>, what: string, failed: () => unknown): Promise<number> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [TOPICS.input] });
    const done = (offsets?.partitions ?? []).filter((p) => Number(p.offset) >= (ends.get(p.partition) ?? Infinity)).length === ends.size;
    status = `${(offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)}/${RECORDS} committed`;
    if (done) return performance.now();
    const f = failed();
    if (f !== undefined) throw new Error(`${what}: failed`, { cause: f });
    if (Date.now() >= deadline) throw new Error(`${what}: committed offsets did not reach the end of ${TOPICS.input} within ${DEADLINE_MS} ms`);
    await sleep(50);
  }
}

/**
 * Runs `fn` and prints the CPU time this process used meanwhile: on the shared
 * machine the wall time swings with other load, CPU per reading much less.
 */
async function cpuTimed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  try {
    return await fn();
  } finally {
    const used = process.cpuUsage(cpu);
    const s = (used.user + used.system) / 1e6;
    const w = (performance.now() - wall) / 1000;
    console.log(`${what}: process CPU ${s.toFixed(1)} s over ${w.toFixed(1)} s (${((s / w) * 100).toFixed(0)} % of one core), ${((s * 1e6) / RECORDS).toFixed(1)} µs per reading; load average ${loadavg()[0]?.toFixed(1)}`);
  }
}

/** Runs `fn` under the CPU profiler when `file` is set. */
async function profiled<T>(file: string | undefined, what: string, fn: () => Promise<T>): Promise<T> {
  if (file === undefined || file === '') return cpuTimed(what, fn);
  const profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
  try {
    return await cpuTimed(what, fn);
  } finally {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    profiler.disconnect();
    console.log(`${what}: CPU profile of the timed run written to ${file}`);
  }
}

/** What a rivulet run wrote, by kind: the volume the client pipe reproduces. */
interface Written {
  readonly text: string;
  readonly outputs: number;
  /** Topics written and their record counts, per kind. */
  readonly kinds: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** One KafkaStreams instance over the whole topic; seconds from RUNNING to the input's committed offsets reaching its end. */
async function rivulet(admin: Admin, eos: boolean, kafkaClient?: KafkaClient): Promise<{ seconds: number; written: Written }> {
  const system = eos ? 'rivulet-eos' : kafkaClient === undefined ? 'rivulet' : `rivulet-${kafkaClient}`;
  const applicationId = `iot-broker-bench-${eos ? 'eos-' : ''}${kafkaClient === undefined ? '' : `${kafkaClient}-`}${runId}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-'));
  const ends = new Map((await admin.fetchTopicOffsets(TOPICS.input)).map((p) => [p.partition, Number(p.high)]));
  const before = await writtenRecords(admin, applicationId);
  const app = new KafkaStreams(buildIotTopology(), { applicationId, brokers, stateDir, logger: quiet, processingGuarantee: eos ? 'exactly_once' : 'at_least_once', ...(kafkaClient === undefined ? {} : { kafkaClient }) });
  let runningAt: number | undefined;
  app.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  try {
    const end = await profiled(eos ? PROFILE_EOS : PROFILE, system, async () => {
      await app.start();
      await app.waitForState('RUNNING', 60_000);
      return waitCommitted(admin, applicationId, ends, system, () => (app.state() === 'ERROR' ? (app.error() ?? 'ERROR') : undefined));
    });
    const m = app.metrics();
    console.log(`${system} metrics: processed ${m.processed} (input + status repartition), produced ${m.produced}, late dropped ${m.dropped.late}, dead-lettered ${m.deadLettered}, kernel ${Math.round(m.kernelMs)} ms, ${m.commits} commits (mean ${m.commitLatencyAvgMs.toFixed(0)} ms, max ${m.commitLatencyMaxMs} ms)`);
    // What the instance wrote by the end of the timed run, by kind: the work the bare consumer does not do.
    const after = await writtenRecords(admin, applicationId);
    const kindOf = (t: string) => topicKind(t, applicationId);
    const kinds = new Map<string, Map<string, number>>();
    for (const [t, x] of after) {
      const n = x - (before.get(t) ?? 0);
      if (n <= 0) continue;
      const k = kindOf(t);
      if (!kinds.has(k)) kinds.set(k, new Map());
      kinds.get(k)?.set(t, n);
    }
    const sum = (k: string) => [...(kinds.get(k)?.values() ?? [])].reduce((a, b) => a + b, 0);
    const [outputs, repartition, changelog] = [sum('outputs'), sum('repartition'), sum('changelog')];
    const fmt = (x: number) => x.toLocaleString('en-US');
    const text = `${system} wrote ${fmt(outputs + repartition + changelog)} records for the ${fmt(RECORDS)} readings (${((outputs + repartition + changelog) / RECORDS).toFixed(2)} per reading): ${fmt(outputs)} to output topics, ${fmt(repartition)} to the repartition topic, ${fmt(changelog)} to changelogs.`;
    console.log(text);
    return { seconds: (end - (runningAt ?? end)) / 1000, written: { text, outputs, kinds } };
  } finally {
    await app.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/**
 * Per kind, records per reading and their mean size, from what rivulet wrote
 * (sizes sampled from the start of each topic). Without a rivulet run: the
 * figures measured at 200 000 readings.
 */
async function pipeKinds(written: Written | undefined): Promise<PipeKind[]> {
  if (written === undefined) {
    return [...DEFAULT_PIPE_KINDS];
  }
  const transport = await defaultTransport(brokers, `pipe-sizes-${runId}`);
  try {
    const kinds: PipeKind[] = [];
    for (const [name, topics] of written.kinds) {
      let n = 0;
      let bytes = 0;
      for (const [topic, count] of topics) {
        n += count;
        bytes += count * (await meanRecordBytes(transport, topic));
      }
      kinds.push({ name, perReading: n / RECORDS, bytes: n === 0 ? 0 : bytes / n });
    }
    return kinds;
  } finally {
    await transport.close();
  }
}

/** The client pipe over the whole topic; seconds from assignment to the input's committed offsets reaching its end. */
async function clientPipe(admin: Admin, kinds: readonly PipeKind[], eos: boolean): Promise<{ seconds: number; produced: number }> {
  const system = eos ? 'client-pipe-eos' : 'client-pipe';
  const groupId = `${system}-${runId}`;
  const output = `${system}-out-${runId}`;
  await admin.createTopics({ topics: [{ topic: output, numPartitions: PARTITIONS }], waitForLeaders: true });
  const ends = new Map((await admin.fetchTopicOffsets(TOPICS.input)).map((p) => [p.partition, Number(p.high)]));
  const pipe = new ClientPipe({ brokers, input: TOPICS.input, output, groupId, exactlyOnce: eos, kinds });
  try {
    const end = await profiled(process.env['RIVULET_BROKER_BENCH_PROFILE_PIPE'], system, async () => {
      await pipe.start();
      return waitCommitted(admin, groupId, ends, system, () => pipe.failure());
    });
    const s = pipe.stats;
    console.log(`${system}: polled ${s.polled}, produced ${s.produced}, ${s.commits} commits (mean ${(s.commitMs / Math.max(1, s.commits)).toFixed(0)} ms)`);
    return { seconds: (end - (pipe.assignedAt ?? end)) / 1000, produced: s.produced };
  } finally {
    await pipe.stop();
    await admin.deleteTopics({ topics: [output] }).catch(() => undefined);
  }
}

const result = (system: System, seconds: number, extra: { outputs?: number } = {}): Result => ({ workload: 'iot-broker', system, recordsPerSec: Math.round(RECORDS / seconds), records: RECORDS, seconds: Number(seconds.toFixed(3)), ...extra });

async function main(): Promise<void> {
  if (brokers.length === 0) {
    console.error('bench/broker.bench.ts: KAFKA_BROKERS is not set; run it through `bash scripts/kafka/with-kafka.sh npx vite-node bench/broker.bench.ts`');
    process.exit(2);
  }
  if (RECORDS === 0 || PARTITIONS === 0) throw new Error('RIVULET_BROKER_BENCH_RECORDS and RIVULET_BROKER_BENCH_PARTITIONS must be > 0');
  const kafka = new KafkaClass({ clientId: `broker-bench-${runId}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const started = new Date().toISOString();
  const load0 = (await import('node:os')).loadavg();
  try {
    const step = <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      status = '';
      return withProgress(`broker: ${label}`, fn, () => status);
    };
    await step(`loading ${RECORDS} readings`, () => load(kafka, admin));
    if (WARMUP) {
      const s = await step('warm-up: kafkajs consumer', () => bareConsumer(kafka, `bench-warmup-${runId}`));
      console.log(`warm-up: kafkajs consumer ${Math.round(RECORDS / s).toLocaleString('en-US')} records/s`);
      await step('warm-up: topology on the embedded broker over 20000 readings', () => warmUpTopology());
    }
    const all: Result[] = [];
    const fmt = (x: number) => x.toLocaleString('en-US');
    const report = (r: Result) => {
      all.push(r);
      console.log(`${r.system}: ${fmt(r.recordsPerSec)} records/s (${r.seconds} s)`);
    };
    if (selected('kafkajs-consumer')) report(result('kafkajs-consumer', await step(`kafkajs-consumer over ${RECORDS} readings`, () => bareConsumer(kafka, `bench-kafkajs-${runId}`))));
    let written: Written | undefined;
    const notes: string[] = [];
    if (selected('rivulet')) {
      const run = await step(`rivulet over ${RECORDS} readings`, () => rivulet(admin, false));
      written = run.written;
      notes.push(run.written.text);
      report(result('rivulet', run.seconds, { outputs: run.written.outputs }));
    }
    if (selected('rivulet-kafkajs')) {
      // The same run on the other built-in client: the default is the faster one.
      const run = await step(`rivulet-kafkajs over ${RECORDS} readings`, () => rivulet(admin, false, 'kafkajs'));
      notes.push(`kafkajs: ${run.written.text}`);
      report(result('rivulet-kafkajs', run.seconds, { outputs: run.written.outputs }));
    }
    const kinds = await pipeKinds(written);
    const shape = `client pipe writes per reading: ${kinds.map((k) => `${k.perReading.toFixed(4)} × ${k.bytes.toFixed(0)} B (${k.name})`).join(', ')}${written === undefined ? ' (figures of an earlier rivulet run)' : ' (measured from the rivulet run)'}.`;
    notes.push(shape);
    console.log(shape);
    if (selected('client-pipe')) {
      const run = await step(`client-pipe over ${RECORDS} readings`, () => clientPipe(admin, kinds, false));
      report(result('client-pipe', run.seconds, { outputs: run.produced }));
    }
    if (selected('rivulet-eos')) {
      const run = await step(`rivulet-eos over ${RECORDS} readings`, () => rivulet(admin, true));
      notes.push(run.written.text);
      report(result('rivulet-eos', run.seconds, { outputs: run.written.outputs }));
    }
    if (selected('client-pipe-eos')) {
      const run = await step(`client-pipe-eos over ${RECORDS} readings`, () => clientPipe(admin, kinds, true));
      report(result('client-pipe-eos', run.seconds, { outputs: run.produced }));
    }
    const load1 = (await import('node:os')).loadavg();
    const loadNote = `Load average (1 min) ${load0[0]?.toFixed(2)} at the start, ${load1[0]?.toFixed(2)} at the end, on ${(await import('node:os')).cpus().length} cores.`;
    mkdirSync(join(root, 'bench', 'results'), { recursive: true });
    writeFileSync(join(root, 'bench', 'results', 'broker.json'), `${JSON.stringify(all, null, 2)}\n`);

    const find = (x: System) => all.find((r) => r.system === x);
    const ratioLine = (a: System, b: System) => {
      const ra = find(a);
      const rb = find(b);
      return ra === undefined || rb === undefined ? [] : [`${a} / ${b}: ${(ra.recordsPerSec / rb.recordsPerSec).toFixed(2)}`];
    };
    const ratios = [...ratioLine('rivulet', 'client-pipe'), ...ratioLine('rivulet-eos', 'client-pipe'), ...ratioLine('rivulet-eos', 'client-pipe-eos'), ...ratioLine('rivulet', 'kafkajs-consumer'), ...ratioLine('rivulet', 'rivulet-kafkajs')];
    const table = [
      `Broker benchmark: the IoT anomaly topology on Apache Kafka vs a consume → produce pipe on the same client and a bare kafkajs consumer (records/s per instance; ${fmt(RECORDS)} readings, ${DEVICES} devices, ${PARTITIONS} partitions; ${started}, node ${process.version}, warm-up ${WARMUP ? 'on' : 'off'})`,
      '',
      '| workload | system | records | seconds | records/s |',
      '| --- | --- | ---: | ---: | ---: |',
      ...all.map((r) => `| ${r.workload} | ${r.system} | ${fmt(r.records)} | ${r.seconds.toFixed(2)} | ${fmt(r.recordsPerSec)} |`),
      '',
      `${plan.label}${plan.full ? '' : ' The full run loads 2,000,000 readings.'}`,
      '',
      ...ratios.map((l) => `${l}  `),
      '',
      'kafkajs consumer: new group, fromBeginning, eachBatch, key to string and JSON.parse of each value, offsets committed every 1 s; timed from joining the group to the last record.',
      'rivulet: one KafkaStreams instance, default config (at-least-once, idempotent producer, commit every 1 s), the full topology (windowed stats, z-score alerts, status counts through a repartition topic, changelogs); timed from RUNNING until the committed offsets on the input topic reach its end (includes the last commit). rivulet-eos: the same with processingGuarantee exactly_once.',
      'client-pipe: a consumer group on the same client (Transport contract, default client), JSON.parse of each value, as many records of each kind and mean size as rivulet wrote, idempotent producer, offsets committed every 1 s (client-pipe-eos: transactional, one transaction per second, read_committed); timed as rivulet is.',
      ...notes,
      loadNote,
      'Broker, benchmark and both clients share one 2-core machine, which other work may use at the same time: the figures are noisy; compare the ratio within a run.',
    ].join('\n');
    writeFileSync(join(root, 'bench', 'results', 'broker.md'), `${table}\n`);
    console.log(`\n${table}`);
    const peerRows = all.filter((r) => r.system === 'client-pipe' || r.system === 'rivulet' || r.system === 'rivulet-eos');
    if (peerRows.length > 0) {
      mergeIntoPeers(join(root, 'bench', 'results'), peerRows, {
        when: started,
        records: RECORDS,
        lines: [...ratios.filter((l) => l.includes('client-pipe')), shape, loadNote],
      });
      console.log('broker: client-pipe / rivulet / rivulet-eos rows merged into bench/results/peers.json and peers.md');
    }
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
