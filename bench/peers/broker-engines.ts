/**
 * The engine workloads on the broker (`W1-broker`, `W2-broker`,
 * `wordcount-broker`, `join-broker`; bench/peers/README.md, "Engine workloads on
 * the broker"): each input file is pre-loaded once into topics of the bench
 * broker, then each system runs as a real instance (`<runner> broker-engine`)
 * from those topics to completion, one system at a time, `reps` times.
 *
 * A run is timed from the runner's `{"event":"running"}` until the last growth
 * of the output topic's end offsets seen before the group's committed offsets
 * reached the end of every input topic and of every internal topic the group
 * reads (repartition topics; under exactly-once a transaction marker may stay
 * behind the committed offset, so one offset per partition is allowed there).
 * The flush records (one per input partition, key `flush`, timestamp max + 1 day)
 * close every window, so their final outputs are the last ones written.
 */
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { deleteTopicIfExists } from '../iot-load.js';
import { readPeerRecords, type PeerRecord } from './data.js';
import { withProgress } from '../progress.js';

const { CompressionTypes } = kafkajs;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const DAY = 86_400_000;

export const BROKER_ENGINE_WORKLOADS = ['W1', 'W2', 'wordcount', 'join'] as const;
export type BrokerEngineWorkload = (typeof BROKER_ENGINE_WORKLOADS)[number];

/** Systems and how each is started (the runner, its guarantee and stores). */
export const BROKER_ENGINE_SYSTEMS = ['rivulet', 'rivulet-eos', 'kafka-streams', 'kafka-streams-inmem', 'kafka-streams-eos', 'kafkats-flow'] as const;
export type BrokerEngineSystem = (typeof BROKER_ENGINE_SYSTEMS)[number];

/** How each system is configured: written into peers.md next to the rows. */
export const BROKER_ENGINE_CONFIG: Record<BrokerEngineSystem, string> = {
  rivulet: 'one KafkaStreams instance (its default client, @platformatic/kafka), at-least-once, commit interval 1 s, LevelDB stores with its write-back cache (defaults)',
  'rivulet-eos': 'as rivulet, processingGuarantee exactly_once (one transaction per commit interval, 1 s)',
  'kafka-streams': 'Kafka Streams 4.2.0, one stream thread, at-least-once, commit.interval.ms 1000, statestore.cache.max.bytes 64 MB (every store cached; stream-stream join stores cannot be), RocksDB stores (its default), -Xms2g -Xmx2g, warmed up first by running the same topology over the same input under another application id for up to WARMUP s (same JVM)',
  'kafka-streams-inmem': 'as kafka-streams with in-memory stores (dsl.store.suppliers.class InMemoryDslStoreSuppliers)',
  'kafka-streams-eos': 'as kafka-streams with processing.guarantee exactly_once_v2 and commit.interval.ms 1000 (its EOS default is 100)',
  'kafkats-flow': '@kafkats/flow 0.12, one worker, at-least-once, auto-commit every 1 s, in-memory stores, binary stats codec, producer lingerMs 100 / maxBatchBytes 1 MiB; suppress and grace in user code (it has none)',
};

export interface BrokerEngineRow {
  workload: `${BrokerEngineWorkload}-broker`;
  system: BrokerEngineSystem;
  /** Median over the repetitions. */
  recordsPerSec?: number;
  records?: number;
  seconds?: number;
  outputs?: number;
  /** records/s of every repetition, in run order. */
  runs?: number[];
  failed?: string;
  note?: string;
}

/** What the orchestrator's child process wrapper offers (bench/peers.bench.ts `Child`). */
export interface RunnerChild {
  readonly json: Record<string, unknown>[];
  readonly done: boolean;
  waitFor(pred: (j: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown> | undefined>;
  terminate(graceMs?: number): Promise<boolean>;
  reason(prefix: string): string;
}

export interface BrokerEngineOptions {
  readonly brokers: readonly string[];
  readonly root: string;
  readonly partitions: number;
  /** Input files (bench/peers/data.ts) to pre-load. */
  readonly dataDir: string;
  readonly reps: number;
  /** Longest run (s): a system still behind then is rated on the input it committed. */
  readonly maxSeconds: number;
  /** Kafka Streams' JVM warm-up (s) before each run. */
  readonly warmupSeconds: number;
  readonly startupTimeoutS: number;
  readonly systems: readonly BrokerEngineSystem[];
  readonly workloads: readonly BrokerEngineWorkload[];
  readonly runId: string;
  readonly start: (label: string, cmd: string, args: string[]) => RunnerChild;
  /** Set when the Java runners could not be built. */
  readonly javaFailure: string | undefined;
  readonly log: (line: string) => void;
}

interface BrokerEngineDeps extends BrokerEngineOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: no answer within ${ms} ms`)))]);

function command(deps: BrokerEngineDeps, system: BrokerEngineSystem): { cmd: string; args: string[]; extra: string[] } {
  const jar = join(deps.root, 'bench', 'peers', 'java', 'target', 'peers.jar');
  // PEERS_NODE_CPU_PROF=DIR: Node runners write a V8 CPU profile there when they exit (a profiling run).
  const prof = process.env['PEERS_NODE_CPU_PROF'];
  const node = (file: string) =>
    prof === undefined || prof === ''
      ? { cmd: join(deps.root, 'node_modules', '.bin', 'vite-node'), args: [file, '--'] }
      : { cmd: process.execPath, args: ['--cpu-prof', `--cpu-prof-dir=${prof}`, join(deps.root, 'node_modules', 'vite-node', 'vite-node.mjs'), file, '--'] };
  switch (system) {
    case 'rivulet':
      return { ...node('bench/peers/rivulet.ts'), extra: [] };
    case 'rivulet-eos':
      return { ...node('bench/peers/rivulet.ts'), extra: ['--guarantee', 'exactly_once'] };
    case 'kafkats-flow':
      return { ...node('bench/peers/kafkats-flow.ts'), extra: [] };
    case 'kafka-streams':
    case 'kafka-streams-inmem':
    case 'kafka-streams-eos': {
      const extra = [...(system === 'kafka-streams-inmem' ? ['--stores', 'memory'] : ['--stores', 'rocksdb']), ...(system === 'kafka-streams-eos' ? ['--guarantee', 'exactly_once'] : [])];
      // PEERS_KSTREAMS_JAVA_OPTS: extra JVM flags for a tuning or profiling run (space-separated).
      const opts = (process.env['PEERS_KSTREAMS_JAVA_OPTS'] ?? '').split(' ').filter((o) => o.length > 0);
      return { cmd: 'java', args: ['-Xms2g', '-Xmx2g', ...opts, '-jar', jar, 'kafka-streams'], extra };
    }
  }
}

interface Loaded {
  readonly inputs: string[];
  readonly records: number;
}

/** Writes a workload's records into fresh topics, then one flush record per partition of each. */
async function preload(deps: BrokerEngineDeps, workload: BrokerEngineWorkload): Promise<Loaded> {
  const records = readPeerRecords(workload, deps.dataDir);
  const base = `peers-eng-${workload.toLowerCase()}-${deps.runId}`;
  const names = workload === 'join' ? { impressions: `${base}-impressions`, clicks: `${base}-clicks` } : { input: `${base}-input` };
  const inputs = Object.values(names);
  for (const t of inputs) await deleteTopicIfExists(deps.admin, t);
  await withTimeout(deps.admin.createTopics({ topics: inputs.map((topic) => ({ topic, numPartitions: deps.partitions })), waitForLeaders: true }), 60_000, 'createTopics');
  const topicOf = (r: PeerRecord) => (workload === 'join' ? (r.topic === 'impressions' ? names.impressions : names.clicks) : names.input) as string;
  const producer = deps.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // One send at a time keeps the file order within each partition (event-time disorder as written).
    const BATCH = 2000;
    for (let i = 0; i < records.length; i += BATCH) {
      const byTopic = new Map<string, { key: string | null; value: string; timestamp: string }[]>();
      for (const r of records.slice(i, i + BATCH)) {
        const t = topicOf(r);
        const list = byTopic.get(t) ?? [];
        list.push({ key: r.key, value: r.value, timestamp: String(r.ts) });
        byTopic.set(t, list);
      }
      await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: 1, compression: CompressionTypes.None });
    }
    const maxTs = records.reduce((m, r) => Math.max(m, r.ts), -Infinity);
    const value = workload === 'wordcount' ? '' : '0';
    // Stream time is per partition: every partition needs its own flush record.
    for (const topic of inputs) {
      const messages = Array.from({ length: deps.partitions }, (_, partition) => ({ key: 'flush', value, partition, timestamp: String(maxTs + DAY) }));
      await producer.send({ topic, messages, acks: 1 });
    }
  } finally {
    await producer.disconnect();
  }
  return { inputs, records: records.length };
}

async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await withTimeout(admin.fetchTopicOffsets(topic), 30_000, 'fetchTopicOffsets')).map((p) => [p.partition, Number(p.high)]));
}

const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** Records in `topic` a read_committed reader sees (transactional outputs carry commit markers, which end offsets count). */
async function countCommitted(kafka: Kafka, topic: string, groupId: string, expectedAtMost: number): Promise<number> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, readUncommitted: false });
  let n = 0;
  let last = Infinity;
  await withTimeout(consumer.connect(), 30_000, 'consumer.connect');
  // The idle clock starts when the reader has its partitions (joining takes seconds).
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (last === Infinity) last = Date.now();
  });
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        n += batch.messages.length;
        last = Date.now();
      },
    });
    const deadline = Date.now() + 120_000;
    // Done when every record below the end offsets was seen (markers excepted), or nothing came for 3 s.
    while (Date.now() < deadline && n < expectedAtMost && (last === Infinity || Date.now() - last < 3_000)) await sleep(100);
  } finally {
    await withTimeout(consumer.disconnect(), 30_000, 'consumer.disconnect').catch(() => undefined);
  }
  return n;
}

interface RunResult {
  recordsPerSec: number;
  records: number;
  seconds: number;
  outputs: number;
  note?: string;
}

async function oneRun(deps: BrokerEngineDeps, system: BrokerEngineSystem, workload: BrokerEngineWorkload, loaded: Loaded, rep: number): Promise<RunResult | string> {
  const base = `peers-eng-${system}-${workload.toLowerCase()}-${deps.runId}-${rep}`;
  const output = `${base}-output`;
  const warmupOutput = `${base}-warmup-output`;
  const java = system.startsWith('kafka-streams');
  const created = java ? [output, warmupOutput] : [output];
  for (const t of created) await deleteTopicIfExists(deps.admin, t);
  await withTimeout(deps.admin.createTopics({ topics: created.map((topic) => ({ topic, numPartitions: deps.partitions })), waitForLeaders: true }), 60_000, 'createTopics');
  const ends = new Map<string, Map<number, number>>();
  for (const t of loaded.inputs) ends.set(t, await endOffsets(deps.admin, t));
  const c = command(deps, system);
  const args = [...c.args, 'broker-engine', '--workload', workload, '--brokers', deps.brokers.join(','), '--inputs', loaded.inputs.join(','), '--output', output, '--app-id', base, ...c.extra, ...(java ? ['--warmup-output', warmupOutput, '--warmup-seconds', String(deps.warmupSeconds)] : [])];
  const child = deps.start(`${system} ${workload}-broker`, c.cmd, args);
  const running = await child.waitFor((j) => j['event'] === 'running', (deps.startupTimeoutS + (java ? 10 : 0)) * 1000);
  if (running === undefined) {
    const wasDone = child.done;
    await child.terminate(10_000);
    return child.reason(wasDone ? 'exited before {"event":"running"}' : `no {"event":"running"} within ${deps.startupTimeoutS} s`);
  }
  const started = performance.now();
  const deadline = started + deps.maxSeconds * 1000;
  const eos = system.endsWith('-eos');
  let lastOutputs = -1;
  let lastGrowth = started;
  let committedInput = 0;
  let end: number | undefined;
  let failed: string | undefined;
  let polls = 0;
  let firstCheck: number | undefined;
  try {
    for (;;) {
      const now = performance.now();
      firstCheck ??= now;
      const outs = sum(await endOffsets(deps.admin, output));
      if (outs !== lastOutputs) {
        lastOutputs = outs;
        lastGrowth = now;
      }
      const groups = await withTimeout(deps.admin.fetchOffsets({ groupId: base }), 30_000, 'fetchOffsets');
      let inputsDone = true;
      committedInput = 0;
      for (const t of loaded.inputs) {
        const parts = groups.find((g) => g.topic === t)?.partitions ?? [];
        const e = ends.get(t) as Map<number, number>;
        for (const [p, high] of e) {
          const off = Number(parts.find((x) => x.partition === p)?.offset ?? -1);
          committedInput += Math.max(0, Math.min(off, high));
          if (off < high) inputsDone = false;
        }
      }
      if (inputsDone) {
        // Internal topics the group reads (repartition): their ends are final once the inputs are committed.
        // Listed by name, not from the group's offsets: a group that has not read its repartition topic yet has no offsets there.
        let internalDone = true;
        const internal = (await withTimeout(deps.admin.listTopics(), 30_000, 'listTopics')).filter((t) => t.startsWith(`${base}-`) && !t.startsWith(`${base}-warmup`) && t.includes('repartition'));
        for (const t of new Set([...internal, ...groups.map((g) => g.topic).filter((x) => !loaded.inputs.includes(x) && !x.startsWith(`${base}-warmup`))])) {
          const parts = groups.find((g) => g.topic === t)?.partitions ?? [];
          const e = await endOffsets(deps.admin, t);
          for (const [p, high] of e) {
            const off = Number(parts.find((x) => x.partition === p)?.offset ?? -1);
            if (off < high - (eos ? 1 : 0) && high > 0) internalDone = false;
          }
        }
        if (internalDone) {
          // Outputs that never grew after the first check were all written before it: nothing to time (a 0.001 s run otherwise).
          if (polls === 0 || lastGrowth === firstCheck) failed = 'all input was committed, or all output written, before the first check after {"event":"running"}: too little input to time (raise RIVULET_PEERS_BROKER_ENGINE_SCALE)';
          end = lastGrowth;
          break;
        }
      }
      if (child.done) {
        failed = child.reason(`exited before its committed offsets reached the end (${committedInput}/${loaded.records} input records)`);
        break;
      }
      if (now >= deadline) break;
      polls++;
      await sleep(50);
    }
  } catch (e) {
    failed = `orchestrator: ${(e as Error).message}`;
  }
  await child.terminate();
  if (failed !== undefined) return failed;
  const flushRecords = deps.partitions * loaded.inputs.length;
  const total = loaded.records + flushRecords;
  let note: string | undefined;
  let seconds: number;
  let records: number;
  if (end === undefined) {
    seconds = deps.maxSeconds;
    records = Math.min(committedInput, total);
    if (records === 0) return `committed nothing within ${deps.maxSeconds} s`;
    note = `stopped after ${deps.maxSeconds} s: ${records} of ${total} input records committed`;
  } else {
    seconds = Math.max(0.001, (end - started) / 1000);
    records = total;
  }
  const highs = sum(await endOffsets(deps.admin, output));
  const outputs = eos ? await countCommitted(deps.kafka, output, `${base}-count`, highs) : highs;
  return { recordsPerSec: Math.round(records / seconds), records, seconds: Number(seconds.toFixed(3)), outputs, ...(note === undefined ? {} : { note }) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Pre-loads each workload once and runs every selected system `reps` times on it. */
export async function brokerEnginePart(opts: BrokerEngineOptions): Promise<BrokerEngineRow[]> {
  const failAll = (failed: string) => BROKER_ENGINE_WORKLOADS.flatMap((w) => opts.systems.map((system) => ({ workload: `${w}-broker` as const, system, failed })));
  if (opts.brokers.length === 0) return failAll('KAFKA_BROKERS is not set (run through scripts/kafka/with-kafka.sh)');
  const kafka = new kafkajs.Kafka({ clientId: `peers-engines-${opts.runId}`, brokers: [...opts.brokers], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), 60_000, 'admin.connect');
  } catch (e) {
    return failAll(`orchestrator: no broker at ${opts.brokers.join(',')}: ${(e as Error).message}`);
  }
  try {
    return await runAll({ ...opts, kafka, admin });
  } finally {
    await withTimeout(admin.disconnect(), 30_000, 'admin.disconnect').catch(() => undefined);
  }
}

async function runAll(deps: BrokerEngineDeps): Promise<BrokerEngineRow[]> {
  const rows: BrokerEngineRow[] = [];
  for (const workload of BROKER_ENGINE_WORKLOADS.filter((w) => deps.workloads.includes(w))) {
    const name = `${workload}-broker` as const;
    let loaded: Loaded;
    const t0 = Date.now();
    try {
      loaded = await withProgress(`peers: ${name}: pre-loading the input`, () => preload(deps, workload));
    } catch (e) {
      const failed = `orchestrator: pre-loading ${workload} failed: ${(e as Error).message}`;
      deps.log(`peers: ${name}: ${failed}`);
      rows.push(...deps.systems.map((system) => ({ workload: name, system, failed })));
      continue;
    }
    deps.log(`peers: ${name}: loaded ${loaded.records} records (+ ${deps.partitions} flush records per topic) into ${loaded.inputs.join(', ')} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const system of deps.systems) {
      if (system.startsWith('kafka-streams') && deps.javaFailure !== undefined) {
        rows.push({ workload: name, system, failed: deps.javaFailure });
        continue;
      }
      const results: RunResult[] = [];
      let failed: string | undefined;
      for (let rep = 0; rep < deps.reps && failed === undefined; rep++) {
        const r = await withProgress(`peers: ${name} ${system}: run ${rep + 1}/${deps.reps} (at most ${deps.maxSeconds} s${system.startsWith('kafka-streams') ? ` after a ${deps.warmupSeconds} s JVM warm-up` : ''})`, () =>
          oneRun(deps, system, workload, loaded, rep).catch((e: unknown) => `orchestrator: ${(e as Error).message}`),
        );
        if (typeof r === 'string') failed = r;
        else results.push(r);
      }
      let row: BrokerEngineRow;
      if (failed !== undefined) row = { workload: name, system, failed };
      else {
        const runs = results.map((r) => r.recordsPerSec);
        const mid = results.find((r) => r.recordsPerSec === median(runs)) ?? (results[0] as RunResult);
        row = { workload: name, system, recordsPerSec: Math.round(median(runs)), records: mid.records, seconds: Number(median(results.map((r) => r.seconds)).toFixed(3)), outputs: mid.outputs, runs };
        const notes = [...new Set(results.map((r) => r.note).filter((n): n is string => n !== undefined))];
        if (notes.length > 0) row.note = notes.join('; ');
      }
      rows.push(row);
      deps.log(`peers: ${name} ${system}: ${row.failed !== undefined ? `failed: ${row.failed}` : `${row.recordsPerSec} records/s (runs ${row.runs?.join(', ')}), ${row.outputs} outputs, ${row.seconds} s`}`);
    }
  }
  return rows;
}

/** The spread of a row's repetitions: `min–max (±x % of the median)`, or '' for one run. */
export function spread(r: BrokerEngineRow): string {
  if (r.runs === undefined || r.runs.length < 2 || r.recordsPerSec === undefined) return '';
  const lo = Math.min(...r.runs);
  const hi = Math.max(...r.runs);
  const pct = Math.round((50 * (hi - lo)) / r.recordsPerSec);
  return `${lo.toLocaleString('en-US')}–${hi.toLocaleString('en-US')} (±${pct} %)`;
}

const fmt = (x: number | undefined) => (x === undefined ? '' : Math.round(x).toLocaleString('en-US'));

/** The broker engine table of peers.md: per workload every system, with rivulet's ratio to it and the repetitions' spread. */
export function brokerEngineMarkdown(rows: readonly BrokerEngineRow[], meta: { scale: number; reps: number; maxSeconds: number; partitions: number; warmupSeconds: number }): string {
  if (rows.length === 0) return '';
  const out: string[] = [];
  out.push(
    `Engine workloads on the broker (the real engines; input files at scale ${meta.scale} pre-loaded into ${meta.partitions}-partition topics, plus one flush record per partition; each system one instance from the beginning to completion: from \`{"event":"running"}\` to the last output written before its group's committed offsets reached the end of its input and internal topics; at most ${meta.maxSeconds} s, a system still behind then is rated on the input it committed; ${meta.reps} repetition${meta.reps === 1 ? '' : 's'} per system, records/s is the median${meta.reps === 1 ? ' — set RIVULET_PEERS_REPS=3 for the spread' : ''}):`,
    '',
    '| workload | system | records | records/s | spread of runs | outputs | rivulet / system | rivulet-eos / system |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: |',
  );
  const ratio = (a: BrokerEngineRow | undefined, b: BrokerEngineRow) =>
    a?.recordsPerSec === undefined || b.recordsPerSec === undefined || a.failed !== undefined || b.failed !== undefined || a === b ? '' : (a.recordsPerSec / b.recordsPerSec).toFixed(2);
  for (const w of BROKER_ENGINE_WORKLOADS) {
    const name = `${w}-broker`;
    const riv = rows.find((r) => r.workload === name && r.system === 'rivulet');
    const eos = rows.find((r) => r.workload === name && r.system === 'rivulet-eos');
    for (const r of rows.filter((x) => x.workload === name)) {
      if (r.failed !== undefined) out.push(`| ${name} | ${r.system} | failed | | | | | |`);
      else out.push(`| ${name} | ${r.system} | ${fmt(r.records)} | ${fmt(r.recordsPerSec)} | ${spread(r)} | ${fmt(r.outputs)} | ${ratio(riv, r)} | ${ratio(eos, r)} |`);
    }
  }
  out.push('', 'Configuration of each system on the broker:', '');
  const present = new Set(rows.map((r) => r.system));
  for (const s of BROKER_ENGINE_SYSTEMS.filter((x) => present.has(x))) out.push(`- ${s}: ${BROKER_ENGINE_CONFIG[s].replace('WARMUP', String(meta.warmupSeconds))}`);
  const notes = rows.filter((r) => r.note !== undefined || r.failed !== undefined);
  if (notes.length > 0) {
    out.push('');
    for (const r of notes) out.push(`- ${r.system} (${r.workload}): ${(r.failed !== undefined ? `failed: ${r.failed}` : (r.note as string)).replace(/\|/g, '/')}`);
  }
  return `${out.join('\n')}\n`;
}
