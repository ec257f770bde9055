/**
 * `npm run bench` (part `peers`; `RIVULET_BENCH=peers npm run bench` runs only it):
 * rivulet next to Kafka Streams (Java), @kafkats/flow, nodefluent kafka-streams,
 * a bare kafkajs consumer and the bare Java consumer, one system at a time, each in
 * its own process through its runner (bench/peers/README.md is the contract).
 *
 * 1. Input files: bench/peers/data.ts at RIVULET_BENCH_SCALE (default 1) under
 *    bench/.data/peers.
 * 2. The Java runners are built by bench/peers/java/build.sh; a failed build marks
 *    the Java systems failed.
 * 3. Engine part: W1, W2, wordcount, join, memory through each processor's own
 *    test driver (rivulet, kafka-streams, kafkats-flow, nodefluent); the default
 *    run keeps memory alone, RIVULET_BENCH_FULL=1 runs all five.
 * 4. Broker part (needs KAFKA_BROKERS; scripts/bench.sh starts a broker): loads
 *    2 000 000 IoT readings (100 000 in the default run; bench/bench-plan.ts) into a fresh topic; per system a
 *    throughput run (fresh group and output topics; from `{"event":"running"}` until
 *    the group's committed offsets reach the input's end offsets, checked every
 *    50 ms) and a latency run (fresh topics; readings produced at a fixed rate with
 *    `timestamp` = send time; processors: receive time of each alert − its
 *    timestamp; bare consumers: the `{"event":"latency"}` line they print on SIGTERM).
 *
 * Writes bench/results/peers.json and peers.md and the table between
 * `<!-- peers:begin -->` and `<!-- peers:end -->` in README.md. A runner that fails,
 * times out or does not exist yet gives a row `{ workload, system, failed }`. Every
 * wait has a timeout; children run in their own process groups and are killed on exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { deleteTopicIfExists, generateReadings, loadReadings } from './iot-load.js';
import { peerSizes, writePeerData } from './peers/data.js';
import { BROKER_ENGINE_SYSTEMS, BROKER_ENGINE_WORKLOADS, brokerEngineMarkdown, brokerEnginePart, type BrokerEngineRow } from './peers/broker-engines.js';
import { carriedPipeRows, carriedPipeSection } from './broker-rows.js';
import { DEFAULT_PIPE_KINDS, defaultTransport, meanRecordBytes, topicKind, type PipeKind } from './broker-pipe.js';
import { benchPlan } from './bench-plan.js';
import { Progress, withProgress } from './progress.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const envNum = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number > 0 (got ${JSON.stringify(raw)})`);
  return n;
};
/** Sizes of this run: the default run's (about 6 min) or RIVULET_BENCH_FULL=1's (bench/bench-plan.ts). */
const plan = benchPlan(process.env);
/**
 * Engine inputs: RIVULET_PEERS_SCALE, else RIVULET_BENCH_SCALE capped at 0.01, else 0.01 in the full run and
 * 0.005 by default (test-driver speed only; the engines are compared on the broker) —
 * Kafka Streams' test driver commits after every record and runs W2 at a few
 * hundred records/s, so full-size files would take hours; rates are per record.
 */
const SCALE = plan.peers.engineScale;
/** Keys of the memory workload: 1 000 000 in the full run, 100 000 by default (RIVULET_PEERS_MEMORY_KEYS). */
const MEMORY_KEYS = plan.peers.memoryKeys;
const DATA = join(root, 'bench', '.data', 'peers');
const RESULTS = join(root, 'bench', 'results');
/** Added to every per-run timeout (seconds). */
const TIMEOUT_BASE_S = envNum('RIVULET_PEERS_TIMEOUT_S', 180);
const PARTITIONS = Math.round(envNum('RIVULET_PEERS_PARTITIONS', 6));
const DEVICES = 100;
/** Readings pre-loaded for the broker part: 2 000 000 in the full run, 100 000 by default, 2 000 000 × RIVULET_BENCH_SCALE if set (not the engine scale). */
const BROKER_RECORDS = plan.peers.brokerRecords;
/**
 * Longest throughput run per system (s). A system that has not caught up by then
 * is measured on what it committed so far (committed records / elapsed), so slow
 * peers cost minutes, not hours; the row says so.
 */
const BROKER_SECONDS = plan.peers.brokerSeconds;
const LATENCY_RATE = Math.round(envNum('RIVULET_PEERS_LATENCY_RATE', 1_000));
const LATENCY_SECONDS = plan.peers.latencySeconds;
const LATENCY_WARMUP_SECONDS = plan.peers.latencyWarmupSeconds;
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);
const runId = Date.now().toString(36);

const ENGINE_WORKLOADS = ['W1', 'W2', 'wordcount', 'join', 'memory'] as const;
type EngineWorkload = (typeof ENGINE_WORKLOADS)[number];
const ALL_PROCESSORS = ['rivulet', 'kafka-streams', 'kafkats-flow', 'nodefluent'] as const;
const ALL_BROKER_SYSTEMS = ['rivulet', 'rivulet-eos', 'client-pipe', 'kafka-streams', 'kafka-streams-eos', 'kafkats-flow', 'kafkajs-consumer', 'java-consumer'] as const;
type System = (typeof ALL_PROCESSORS)[number] | (typeof ALL_BROKER_SYSTEMS)[number];
/** RIVULET_PEERS_SYSTEMS=rivulet,kafkajs-consumer runs only those (the others are left out, not failed). */
const SELECTED = (process.env['RIVULET_PEERS_SYSTEMS'] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
const selected = (s: System) => SELECTED.length === 0 || SELECTED.includes(s);
const PROCESSORS = ALL_PROCESSORS.filter(selected);
const BROKER_SYSTEMS = ALL_BROKER_SYSTEMS.filter(selected);
/** RIVULET_PEERS_PARTS=engine, broker-engines or broker (comma-separated) runs only those parts. */
const PARTS = (process.env['RIVULET_PEERS_PARTS'] ?? 'engine,broker-engines,broker').split(',').map((p) => p.trim());
/** Engine workloads on the broker: input files at this scale (W1 2 000 000 × scale records, …), RIVULET_PEERS_REPS runs each. */
const BROKER_ENGINE_SCALE = plan.peers.brokerEngineScale;
const REPS = plan.peers.reps;
const BROKER_ENGINE_SECONDS = plan.peers.brokerEngineSeconds;
const JAVA_WARMUP_SECONDS = plan.peers.javaWarmupSeconds;
const BARE: readonly System[] = ['kafkajs-consumer', 'java-consumer'];
const JAVA: readonly System[] = ['kafka-streams', 'kafka-streams-eos', 'java-consumer'];
/** The same runners under exactly-once (broker mode's --guarantee). */
const EOS: readonly System[] = ['rivulet-eos', 'kafka-streams-eos'];

interface PeerRow {
  workload: EngineWorkload | 'iot-broker';
  system: System;
  recordsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  rssBytes?: number;
  /** JVM only: live heap after a full GC, grown since before the first record (memory workload). */
  heapBytes?: number;
  records?: number;
  seconds?: number;
  outputs?: number;
  latencySamples?: number;
  latencyFailed?: string;
  failed?: string;
  /** How the run differs from the plain workload (a peer's stand-in for a missing feature, a bounded run). */
  note?: string;
}

// ---------------------------------------------------------------------------------------------
// Child processes

const VITE_NODE = join(root, 'node_modules', '.bin', 'vite-node');
const JAR = join(root, 'bench', 'peers', 'java', 'target', 'peers.jar');
const nodeRunner = (file: string) => ({ file: join(root, file), cmd: VITE_NODE, args: [file, '--'] });
/** A fixed heap (-Xms = -Xmx): the memory workload reads live heap after a full GC against a heap the JVM cannot resize. */
const javaRunner = (system: string) => ({ file: JAR, cmd: 'java', args: ['-Xms4g', '-Xmx4g', '-jar', JAR, system] });
const RUNNERS: Record<System, { file: string; cmd: string; args: string[] }> = {
  rivulet: nodeRunner('bench/peers/rivulet.ts'),
  'rivulet-eos': nodeRunner('bench/peers/rivulet.ts'),
  'client-pipe': nodeRunner('bench/peers/client-pipe.ts'),
  'kafka-streams-eos': javaRunner('kafka-streams'),
  'kafkats-flow': nodeRunner('bench/peers/kafkats-flow.ts'),
  nodefluent: nodeRunner('bench/peers/nodefluent.ts'),
  'kafkajs-consumer': nodeRunner('bench/peers/kafkajs-consumer.ts'),
  'kafka-streams': javaRunner('kafka-streams'),
  'java-consumer': javaRunner('java-consumer'),
};

const live = new Set<ChildProcess>();
const killGroup = (c: ChildProcess, signal: NodeJS.Signals) => {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    try {
      c.kill(signal);
    } catch {
      // gone
    }
  }
};
process.on('exit', () => {
  for (const c of live) killGroup(c, 'SIGKILL');
});
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(sig, () => {
    console.error(`peers.bench: ${sig}, stopping children`);
    process.exit(code);
  });
}

/** A running child: its JSON stdout lines, the tail of its stderr, and how it ended. */
class Child {
  readonly proc: ChildProcess;
  readonly json: Record<string, unknown>[] = [];
  private stdoutTail = '';
  private stderrTail = '';
  private readonly waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly label: string,
    cmd: string,
    args: string[],
  ) {
    this.proc = spawn(cmd, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    live.add(this.proc);
    let buf = '';
    this.proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.line(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    this.proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4000);
      if (process.env['RIVULET_PEERS_VERBOSE'] === '1') process.stderr.write(d.replace(/^/gm, `[${label}] `));
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('error', (e) => {
        this.stderrTail += `\n${e.message}`;
        live.delete(this.proc);
        resolve({ code: -1, signal: null });
      });
      this.proc.on('close', (code, signal) => {
        if (buf.length > 0) this.line(buf);
        live.delete(this.proc);
        resolve({ code, signal });
        this.wake();
      });
    });
  }

  private line(l: string): void {
    this.stdoutTail = (this.stdoutTail + l + '\n').slice(-2000);
    const t = l.trim();
    if (!t.startsWith('{')) return;
    try {
      this.json.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      return;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get done(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null || !live.has(this.proc);
  }

  /** Resolves with the first JSON line matching `pred`, or undefined after `timeoutMs` or when the child ends. */
  async waitFor(pred: (j: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.json.find(pred);
      if (hit !== undefined) return hit;
      if (this.done || Date.now() >= deadline) return undefined;
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(Math.min(1000, Math.max(1, deadline - Date.now())))]);
    }
  }

  /** Waits up to `timeoutMs` for the child to end; then SIGKILLs its group. True if it ended by itself. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    const ended = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!ended) {
      killGroup(this.proc, 'SIGKILL');
      await Promise.race([this.exited, sleep(5_000)]);
    }
    return ended;
  }

  /** SIGTERM to the group, then SIGKILL after `graceMs`. True if it ended within the grace. */
  async terminate(graceMs = 30_000): Promise<boolean> {
    killGroup(this.proc, 'SIGTERM');
    return this.waitExit(graceMs);
  }

  /** Why it failed, in one line: the last lines of stderr (or stdout). */
  reason(prefix: string): string {
    // Stack frames left out: the messages say more in one line.
    const lines = (this.stderrTail.trim() || this.stdoutTail.trim())
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && !l.startsWith('npm warn') && !/^at\s.*(:\d+(:\d+)?\)?|\(.*\))$/.test(l) && !/^\.\.\. \d+ more/.test(l));
    const tail = lines.slice(-3).join(' | ').slice(0, 400);
    return tail.length > 0 ? `${prefix}: ${tail}` : prefix;
  }
}

function runnerMissing(system: System, javaFailure: string | undefined): string | undefined {
  if (JAVA.includes(system) && javaFailure !== undefined) return javaFailure;
  const r = RUNNERS[system];
  if (!existsSync(r.file)) return `runner ${r.file.slice(root.length + 1)} does not exist`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Java harness

async function buildJava(): Promise<string | undefined> {
  const script = join(root, 'bench', 'peers', 'java', 'build.sh');
  if (!existsSync(script)) return 'bench/peers/java/build.sh does not exist';
  // Asynchronous, so the progress lines keep coming during a Maven build of minutes.
  const r = await withProgress('peers: building the Java runners (bench/peers/java/build.sh; nothing to do when they are current)', async () => {
    const child = new Child('java build', 'bash', [script]);
    const ended = await child.waitExit(TIMEOUT_BASE_S * 1000 * 5);
    const { code } = await child.exited;
    return { ended, code, child };
  });
  if (!r.ended) return r.child.reason(`Java build failed: timeout after ${TIMEOUT_BASE_S * 5} s`);
  if (r.code !== 0) return r.child.reason(`Java build failed (exit ${r.code})`);
  if (!existsSync(JAR)) return `Java build did not write ${JAR.slice(root.length + 1)}`;
  return undefined;
}

function javaVersion(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 30_000 });
  return r.error !== undefined ? 'none' : (`${r.stderr}`.split('\n')[0] ?? '').trim();
}

// ---------------------------------------------------------------------------------------------
// Engine part

async function engineRun(system: System, workload: EngineWorkload, records: number, javaFailure: string | undefined): Promise<PeerRow> {
  const missing = runnerMissing(system, javaFailure);
  if (missing !== undefined) return { workload, system, failed: missing };
  const r = RUNNERS[system];
  const timeoutMs = (TIMEOUT_BASE_S + records / 1_000) * 1000;
  const child = new Child(`${system} ${workload}`, r.cmd, [...r.args, 'engine', '--workload', workload, '--data', DATA]);
  const ended = await child.waitExit(timeoutMs);
  if (!ended) return { workload, system, failed: child.reason(`timeout after ${Math.round(timeoutMs / 1000)} s`) };
  const { code, signal } = await child.exited;
  if (code !== 0) return { workload, system, failed: child.reason(signal !== null ? `killed by ${signal}` : `exit ${code}`) };
  const last = child.json.at(-1);
  if (last === undefined || typeof last['recordsPerSec'] !== 'number') return { workload, system, failed: child.reason('no result line') };
  const num = (k: string) => (typeof last[k] === 'number' ? (last[k] as number) : undefined);
  const row: PeerRow = { workload, system, recordsPerSec: num('recordsPerSec') as number };
  for (const k of ['records', 'seconds', 'outputs', 'rssBytes', 'heapBytes'] as const) {
    const v = num(k);
    if (v !== undefined) row[k] = v;
  }
  const notes = [last['note'], typeof last['stores'] === 'string' ? `${String(last['stores'])} stores` : undefined].filter((n): n is string => typeof n === 'string');
  if (notes.length > 0) row.note = notes.join('; ');
  if (workload === 'memory' && row.rssBytes === undefined) row.failed = 'no rssBytes in the result line';
  return row;
}

// ---------------------------------------------------------------------------------------------
// Broker part

interface Topics {
  input: string;
  windowed: string;
  alerts: string;
  status: string;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: no answer within ${ms} ms`)))]);

async function createTopics(admin: Admin, topics: string[]): Promise<void> {
  for (const t of topics) await deleteTopicIfExists(admin, t);
  await withTimeout(admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true }), 60_000, 'createTopics');
}

const brokerArgs = (t: Topics, appId: string) => ['broker', '--brokers', brokers.join(','), '--input', t.input, '--windowed', t.windowed, '--alerts', t.alerts, '--status', t.status, '--app-id', appId];

/**
 * What the client pipe writes per reading: what rivulet's throughput run wrote, kind by kind
 * (set by {@link measurePipeKinds}); until then, or when that run failed, the figures measured
 * by the broker benchmark at 200 000 readings.
 */
let pipeKinds: readonly PipeKind[] = DEFAULT_PIPE_KINDS;
let pipeKindsSource = 'the broker benchmark\'s figures at 200,000 readings (rivulet\'s run here did not give them)';

/** Arguments a system's runner gets beyond the topics: the guarantee, the pipe's output volume. */
function systemArgs(system: System): string[] {
  if (EOS.includes(system)) return ['--guarantee', 'exactly_once'];
  if (system === 'client-pipe') return ['--kinds', JSON.stringify(pipeKinds)];
  return [];
}

/** Starts a broker-mode runner and waits for `{"event":"running"}`; a string is the failure. */
async function startRunner(system: System, topics: Topics, appId: string): Promise<Child | string> {
  const r = RUNNERS[system];
  const child = new Child(`${system} broker`, r.cmd, [...r.args, ...brokerArgs(topics, appId), ...systemArgs(system)]);
  const running = await child.waitFor((j) => j['event'] === 'running', TIMEOUT_BASE_S * 1000);
  if (running === undefined) {
    const wasDone = child.done;
    await child.terminate(10_000);
    const { code } = await child.exited;
    return child.reason(wasDone ? `exited (${code}) before {"event":"running"}` : `no {"event":"running"} within ${TIMEOUT_BASE_S} s`);
  }
  return child;
}

async function endOffsetsTotal(admin: Admin, topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) n += (await withTimeout(admin.fetchTopicOffsets(t), 30_000, 'fetchTopicOffsets')).reduce((s, p) => s + Number(p.high), 0);
  return n;
}

async function throughputRun(admin: Admin, system: System, input: string): Promise<PeerRow> {
  const workload = 'iot-broker';
  const base = `peers-${system}-${runId}`;
  const topics: Topics = { input, windowed: `${base}-windowed`, alerts: `${base}-alerts`, status: `${base}-status` };
  const outputs = [topics.windowed, topics.alerts, topics.status];
  await createTopics(admin, outputs);
  const ends = new Map((await withTimeout(admin.fetchTopicOffsets(input), 30_000, 'fetchTopicOffsets')).map((p) => [p.partition, Number(p.high)]));
  let lastProgress = 'runner starting';
  const progress = new Progress(`peers: iot-broker ${system}: throughput over ${BROKER_RECORDS} readings (at most ${BROKER_SECONDS} s)`, () => lastProgress);
  const child = await startRunner(system, topics, base).catch((e: unknown) => {
    progress.stop();
    throw e;
  });
  lastProgress = 'runner running, offsets not read yet';
  if (typeof child === 'string') {
    progress.stop();
    return { workload, system, failed: child };
  }
  const started = performance.now();
  const timeoutMs = BROKER_SECONDS * 1000;
  const deadline = Date.now() + timeoutMs;
  let failed: string | undefined;
  let end: number | undefined;
  let committed = 0;
  try {
    for (;;) {
      const [offsets] = await withTimeout(admin.fetchOffsets({ groupId: base, topics: [input] }), 30_000, 'fetchOffsets');
      const parts = offsets?.partitions ?? [];
      committed = parts.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      lastProgress = `${committed}/${BROKER_RECORDS} committed`;
      if (parts.filter((p) => Number(p.offset) >= (ends.get(p.partition) ?? Infinity)).length === ends.size) {
        end = performance.now();
        break;
      }
      if (child.done) {
        failed = child.reason(`exited (${child.proc.exitCode}) before its committed offsets reached the end (${lastProgress})`);
        break;
      }
      if (Date.now() >= deadline) {
        end = performance.now();
        break;
      }
      await sleep(50);
    }
  } catch (e) {
    failed = `orchestrator: ${(e as Error).message}`;
  } finally {
    progress.stop();
  }
  const clean = await child.terminate();
  if (failed !== undefined || end === undefined) return { workload, system, failed: failed ?? 'no end' };
  const seconds = (end - started) / 1000;
  const done = Math.min(committed, BROKER_RECORDS);
  if (done === 0) return { workload, system, failed: `committed nothing within ${BROKER_SECONDS} s` };
  const row: PeerRow = { workload, system, recordsPerSec: Math.round(done / seconds), records: done, seconds: Number(seconds.toFixed(3)) };
  if (done < BROKER_RECORDS) row.note = `measured over ${BROKER_SECONDS} s: ${done} of ${BROKER_RECORDS} readings committed`;
  if (!BARE.includes(system)) row.outputs = await endOffsetsTotal(admin, outputs);
  if (!clean) console.warn(`peers: ${system} did not exit within 30 s of SIGTERM (killed)`);
  return row;
}

/** Produces LATENCY_RATE readings per second for `seconds` into `topic`, `timestamp` = send time. */
async function produceAtRate(kafka: Kafka, topic: string, seconds: number): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await withTimeout(producer.connect(), 30_000, 'producer.connect');
  const total = Math.round(LATENCY_RATE * seconds);
  const gen = generateReadings(total, DEVICES);
  let sent = 0;
  const start = Date.now();
  try {
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - start) * LATENCY_RATE) / 1000));
      if (due > sent) {
        const now = new Date().toISOString();
        const messages: { key: string; value: string }[] = [];
        for (; sent < due; sent++) {
          const g = gen.next().value as { key: string; reading: object };
          messages.push({ key: g.key, value: JSON.stringify({ ...g.reading, timestamp: now }) });
        }
        await withTimeout(producer.send({ topic, messages, acks: 1 }), 30_000, 'producer.send');
      }
      await sleep(5);
    }
  } finally {
    await withTimeout(producer.disconnect(), 30_000, 'producer.disconnect').catch(() => undefined);
  }
  return sent;
}

const quantile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] as number;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Latency run: p50/p99 in ms, or a failure. */
async function latencyRun(kafka: Kafka, admin: Admin, system: System): Promise<{ p50Ms: number; p99Ms: number; samples: number } | string> {
  const base = `peers-lat-${system}-${runId}`;
  const topics: Topics = { input: `${base}-input`, windowed: `${base}-windowed`, alerts: `${base}-alerts`, status: `${base}-status` };
  await createTopics(admin, [topics.input, topics.windowed, topics.alerts, topics.status]);
  const child = await startRunner(system, topics, base);
  if (typeof child === 'string') return child;
  const bare = BARE.includes(system);
  const latencies: number[] = [];
  let measureFrom = Infinity;
  let lastAlertAt = Date.now();
  const consumer = bare ? undefined : kafka.consumer({ groupId: `${base}-reader`, allowAutoTopicCreation: false });
  try {
    if (consumer !== undefined) {
      await withTimeout(consumer.connect(), 30_000, 'consumer.connect');
      await consumer.subscribe({ topics: [topics.alerts], fromBeginning: true });
      let joined!: () => void;
      const join = new Promise<void>((r) => (joined = r));
      consumer.on(consumer.events.GROUP_JOIN, () => joined());
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const now = Date.now();
          lastAlertAt = now;
          for (const m of batch.messages) {
            if (m.value === null) continue;
            const ts = Date.parse((JSON.parse(m.value.toString('utf8')) as { timestamp: string }).timestamp);
            // Alerts of warm-up readings are not samples.
            if (Number.isFinite(ts) && ts >= measureFrom) latencies.push(now - ts);
          }
        },
      });
      await withTimeout(join, 60_000, 'alerts reader joining its group');
    }
    // Readings go out at the same rate through the warm-up and the measured window; the
    // samples are the alerts of readings sent after the warm-up (bare consumers print theirs
    // over the records of their last 60 s, which is the measured window when it lasts 60 s).
    measureFrom = Date.now() + LATENCY_WARMUP_SECONDS * 1000;
    await produceAtRate(kafka, topics.input, LATENCY_WARMUP_SECONDS + LATENCY_SECONDS);
    const sentAt = Date.now();
    if (consumer !== undefined) {
      // Until no alert came for 3 s (at most 30 s after the last send; 10 s in the default run).
      while (Date.now() - sentAt < plan.peers.latencyDrainSeconds * 1000 && Date.now() - Math.max(lastAlertAt, sentAt) < 3_000 && !child.done) await sleep(100);
    } else {
      await sleep(3_000);
    }
    if (child.done) return child.reason(`exited (${child.proc.exitCode}) during the latency run`);
  } catch (e) {
    await child.terminate(10_000);
    return `orchestrator: ${(e as Error).message}`;
  } finally {
    if (consumer !== undefined) await withTimeout(consumer.disconnect(), 30_000, 'consumer.disconnect').catch(() => undefined);
  }
  await child.terminate();
  if (bare) {
    const line = child.json.find((j) => j['event'] === 'latency');
    if (line === undefined || typeof line['p50Ms'] !== 'number' || typeof line['p99Ms'] !== 'number') return child.reason('no {"event":"latency"} line with p50Ms and p99Ms after SIGTERM');
    return { p50Ms: line['p50Ms'], p99Ms: line['p99Ms'], samples: typeof line['samples'] === 'number' ? line['samples'] : 0 };
  }
  if (latencies.length === 0) return 'no alerts read';
  latencies.sort((a, b) => a - b);
  return { p50Ms: round2(quantile(latencies, 0.5)), p99Ms: round2(quantile(latencies, 0.99)), samples: latencies.length };
}

/**
 * Sets {@link pipeKinds} from what rivulet's throughput run (application id and topic prefix
 * `base`) wrote to its output, repartition and changelog topics, per reading its group
 * committed by the end (the runner commits as it closes), with mean sizes sampled from each topic.
 */
async function measurePipeKinds(admin: Admin, base: string, input: string): Promise<void> {
  const [offsets] = await withTimeout(admin.fetchOffsets({ groupId: base, topics: [input] }), 30_000, 'fetchOffsets');
  const readings = (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  if (readings === 0) throw new Error(`group ${base} committed no readings`);
  // The output topics carry the application id as a prefix too: they are named, not matched.
  const outputs = new Set(['windowed', 'alerts', 'status'].map((n) => `${base}-${n}`));
  const kindOf = (t: string) => (outputs.has(t) ? 'outputs' : topicKind(t, base));
  const topics = (await withTimeout(admin.listTopics(), 30_000, 'listTopics')).filter((t) => t.startsWith(`${base}-`));
  const transport = await defaultTransport(brokers, `${base}-sizes`);
  try {
    const byKind = new Map<string, { records: number; bytes: number }>();
    for (const t of topics) {
      const n = await endOffsetsTotal(admin, [t]);
      if (n === 0) continue;
      const k = byKind.get(kindOf(t)) ?? { records: 0, bytes: 0 };
      k.records += n;
      k.bytes += n * (await meanRecordBytes(transport, t));
      byKind.set(kindOf(t), k);
    }
    if (byKind.size === 0) throw new Error(`no records in the topics of ${base}`);
    pipeKinds = [...byKind].map(([name, k]) => ({ name, perReading: k.records / readings, bytes: k.bytes / k.records }));
    pipeKindsSource = `measured from rivulet's run: ${readings} readings`;
    console.log(`peers: client-pipe writes per reading ${pipeKinds.map((k) => `${k.name} ${k.perReading.toFixed(4)} × ${Math.round(k.bytes)} B`).join(', ')} (${pipeKindsSource})`);
  } finally {
    await transport.close();
  }
}

async function brokerPart(javaFailure: string | undefined): Promise<PeerRow[]> {
  const rows: PeerRow[] = [];
  if (brokers.length === 0) return BROKER_SYSTEMS.map((system) => ({ workload: 'iot-broker', system, failed: 'KAFKA_BROKERS is not set (run through scripts/kafka/with-kafka.sh)' }));
  const kafka = new KafkaClass({ clientId: `peers-bench-${runId}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await withTimeout(admin.connect(), 60_000, 'admin.connect');
  } catch (e) {
    return BROKER_SYSTEMS.map((system) => ({ workload: 'iot-broker', system, failed: `orchestrator: no broker at ${brokers.join(',')}: ${(e as Error).message}` }));
  }
  const input = `peers-iot-input-${runId}`;
  try {
    let loadS: number;
    try {
      loadS = await withProgress(`peers: iot-broker: loading ${BROKER_RECORDS} readings`, () => withTimeout(loadReadings(kafka, admin, { topic: input, records: BROKER_RECORDS, partitions: PARTITIONS, devices: DEVICES }), (TIMEOUT_BASE_S + BROKER_RECORDS / 1_000) * 1000, 'loading readings'));
    } catch (e) {
      const failed = `orchestrator: loading the input failed: ${(e as Error).message}`;
      console.log(`peers: ${failed}`);
      return BROKER_SYSTEMS.map((system) => ({ workload: 'iot-broker', system, failed }));
    }
    console.log(`peers: loaded ${BROKER_RECORDS} readings (${DEVICES} devices) into ${input} (${PARTITIONS} partitions) in ${loadS.toFixed(1)} s`);
    for (const system of BROKER_SYSTEMS) {
      const missing = runnerMissing(system, javaFailure);
      if (missing !== undefined) {
        rows.push({ workload: 'iot-broker', system, failed: missing });
        console.log(`peers: iot-broker ${system}: failed: ${missing}`);
        continue;
      }
      const row = await throughputRun(admin, system, input).catch((e: unknown): PeerRow => ({ workload: 'iot-broker', system, failed: `orchestrator: ${(e as Error).message}` }));
      if (system === 'rivulet' && row.failed === undefined) {
        await measurePipeKinds(admin, `peers-${system}-${runId}`, input).catch((e: unknown) => console.log(`peers: client-pipe volumes not measured (${(e as Error).message}); the pipe writes ${pipeKindsSource}`));
      }
      if (system === 'client-pipe' && row.failed === undefined) {
        row.note = [row.note, `writes per reading what rivulet wrote (${pipeKinds.map((k) => `${k.name} ${k.perReading.toFixed(4)} × ${Math.round(k.bytes)} B`).join(', ')}; ${pipeKindsSource}); no latency: its outputs are synthetic records of those sizes`].filter((n) => n !== undefined).join('; ');
      } else if (row.failed === undefined) {
        const lat = await withProgress(`peers: iot-broker ${system}: latency run (${LATENCY_RATE} readings/s for ${LATENCY_WARMUP_SECONDS} s of warm-up and ${LATENCY_SECONDS} s measured)`, () => latencyRun(kafka, admin, system).catch((e: unknown) => `orchestrator: ${(e as Error).message}`));
        if (typeof lat === 'string') row.latencyFailed = lat;
        else Object.assign(row, { p50Ms: lat.p50Ms, p99Ms: lat.p99Ms, latencySamples: lat.samples });
      }
      rows.push(row);
      console.log(`peers: iot-broker ${system}: ${describe(row)}`);
    }
  } finally {
    await withTimeout(admin.disconnect(), 30_000, 'admin.disconnect').catch(() => undefined);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (x: number | undefined) => (x === undefined ? '' : Math.round(x).toLocaleString('en-US'));
const fmtMs = (x: number | undefined) => (x === undefined ? '' : x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US'));
const fmtMB = (x: number | undefined) => (x === undefined ? '' : `${(x / 1e6).toFixed(0)} MB`);

function describe(r: PeerRow): string {
  if (r.failed !== undefined) return `failed: ${r.failed}`;
  const parts = [`${fmt(r.recordsPerSec)} records/s`];
  if (r.outputs !== undefined) parts.push(`${fmt(r.outputs)} outputs`);
  if (r.rssBytes !== undefined) parts.push(`${fmtMB(r.rssBytes)} per 1 M accumulators`);
  if (r.p50Ms !== undefined) parts.push(`latency p50 ${fmtMs(r.p50Ms)} ms, p99 ${fmtMs(r.p99Ms)} ms over ${fmt(r.latencySamples)} samples`);
  if (r.latencyFailed !== undefined) parts.push(`latency failed: ${r.latencyFailed}`);
  return parts.join(', ');
}

/** rivulet's figure over the peer's (for latency and memory, lower is better, so peer over rivulet would read the other way). */
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '' : (a / b).toFixed(2));

function peersMarkdown(rows: readonly PeerRow[], meta: { scale: number; when: string; node: string; java: string; machine: string; brokerRecords: number; latency: string; brokerEngines: string }): string {
  const find = (w: string, s: string) => rows.find((r) => r.workload === w && r.system === s);
  const cell = (r: PeerRow | undefined, v: (r: PeerRow) => string) => (r === undefined ? '' : r.failed !== undefined ? 'failed' : v(r));
  const out: string[] = [];
  out.push(`Peer benchmark (scale ${meta.scale}; ${meta.when}; ${meta.machine}; node ${meta.node}; ${meta.java})`, '');
  out.push(plan.full ? plan.label : `${plan.label} The full run: W1, W2, wordcount and join through the test drivers as well (scale 0.01), memory at 1 000 000 keys, engines on the broker at scale 0.2 for at most 20 s after a 10 s JVM warm-up, 3 runs each, with Kafka Streams' in-memory and EOS variants as well, IoT topology over 2 000 000 readings for at most 60 s, latency runs of 60 s after a 10 s warm-up.`, '');
  out.push('Test-driver speed only: in-process, each system through its own test driver (records/s; outputs = records read from the output topic). This measures the drivers (Kafka Streams\' commits and flushes after every piped record), not the engines: the engines are compared on the broker below.', '');
  const driverWorkloads = ENGINE_WORKLOADS.filter((x) => x !== 'memory' && rows.some((r) => r.workload === x));
  if (driverWorkloads.length === 0) out.push('(No test-driver workload in this run: the default run keeps only the memory workload; RIVULET_BENCH_FULL=1 or RIVULET_PEERS_ENGINE_WORKLOADS=W1,W2,wordcount,join,memory runs them.)', '');
  else out.push('| workload | system | records | records/s | outputs | rivulet / system |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const w of driverWorkloads) {
    const riv = find(w, 'rivulet');
    for (const s of PROCESSORS) {
      const r = find(w, s);
      if (r === undefined) continue;
      out.push(`| ${w} | ${s} | ${cell(r, (x) => fmt(x.records))} | ${cell(r, (x) => fmt(x.recordsPerSec))} | ${cell(r, (x) => fmt(x.outputs))} | ${s === 'rivulet' || r.failed !== undefined || riv?.failed !== undefined ? '' : ratio(riv?.recordsPerSec, r.recordsPerSec)} |`);
    }
  }
  const differ = ENGINE_WORKLOADS.filter((x) => x !== 'memory').flatMap((w) => {
    const ok = PROCESSORS.map((s) => find(w, s)).filter((r): r is PeerRow => r !== undefined && r.failed === undefined && r.outputs !== undefined);
    return new Set(ok.map((r) => r.outputs)).size > 1 ? [`${w} (${ok.map((r) => `${r.system} ${fmt(r.outputs)}`).join(', ')})`] : [];
  });
  if (differ.length > 0) {
    const wc = differ.some((d) => d.startsWith('wordcount'))
      ? " Word count: rivulet's test driver commits once per piped line, after the line's words came back through the repartition topic, so the count cache forwards a word repeated in one line once."
      : '';
    out.push('', `Output counts differ on ${differ.join('; ')}.${wc}`);
  }
  const memKeys = peerSizes(meta.scale, MEMORY_KEYS).memory;
  out.push('', `Memory at ${fmt(memKeys)} real keys (${memKeys === 1_000_000 ? 'nothing multiplied' : 'figures per 1 000 000 scaled from them; the full run holds 1 000 000'}): ${fmt(memKeys)} open window accumulators (W1 topology, no window closed), through the test driver. RSS: after processing and a full GC minus before the first record. JVM: fixed heap (-Xms4g -Xmx4g); live heap = Java heap used after a full GC minus before the first record (with a fixed heap the JVM's RSS is mostly the heap it touched, not state). rivulet / system compares rivulet's RSS with the system's live heap where it has one, else its RSS:`, '');
  out.push('| system | RSS growth | live heap growth | records/s | rivulet / system |', '| --- | ---: | ---: | ---: | ---: |');
  const rivMem = find('memory', 'rivulet');
  for (const s of PROCESSORS) {
    const r = find('memory', s);
    if (r === undefined) continue;
    out.push(`| ${s} | ${cell(r, (x) => fmtMB(x.rssBytes))} | ${cell(r, (x) => fmtMB(x.heapBytes))} | ${cell(r, (x) => fmt(x.recordsPerSec))} | ${s === 'rivulet' || r.failed !== undefined || rivMem?.failed !== undefined ? '' : ratio(rivMem?.rssBytes, r.heapBytes ?? r.rssBytes)} |`);
  }
  if (meta.brokerEngines !== '') out.push('', meta.brokerEngines.trimEnd());
  out.push('', `On the broker: the IoT topology (examples/iot-anomaly) over ${fmt(meta.brokerRecords)} readings on one Kafka broker, one instance, commit every 1 s, at-least-once; rivulet-eos and kafka-streams-eos: the same under exactly-once (rivulet's exactly_once, Kafka Streams' exactly_once_v2; one transaction per commit; their outputs are end offsets, transaction markers included); client-pipe: a consume → JSON.parse → produce pipe on rivulet's default client (bench/broker-pipe.ts) writing per reading as many records of each kind and mean size as rivulet wrote in this run, idempotent producer, offsets committed every 1 s; bare consumers only read and JSON-parse. Throughput: from partitions assigned until the group's committed offsets reach the input's end, for at most ${BROKER_SECONDS} s (a system still behind then is rated on the readings it committed). Latency: ${meta.latency}; processors: alert received − reading's timestamp; bare consumers: record received − timestamp.`, '');
  out.push('| system | records/s | outputs | p50 ms | p99 ms | latency samples | rivulet / system (records/s) |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const rivB = find('iot-broker', 'rivulet');
  for (const s of BROKER_SYSTEMS) {
    const r = find('iot-broker', s);
    if (r === undefined) continue;
    out.push(`| ${s} | ${cell(r, (x) => fmt(x.recordsPerSec))} | ${cell(r, (x) => fmt(x.outputs))} | ${cell(r, (x) => fmtMs(x.p50Ms))} | ${cell(r, (x) => fmtMs(x.p99Ms))} | ${cell(r, (x) => fmt(x.latencySamples))} | ${s === 'rivulet' || r.failed !== undefined || rivB?.failed !== undefined ? '' : ratio(rivB?.recordsPerSec, r.recordsPerSec)} |`);
  }
  const noted = rows.filter((r) => r.note !== undefined && r.failed === undefined);
  if (noted.length > 0) {
    out.push('', 'Notes:', '');
    for (const r of noted) out.push(`- ${r.system} (${r.workload}): ${(r.note as string).replace(/\|/g, '/')}`);
  }
  const failures = rows.filter((r) => r.failed !== undefined || r.latencyFailed !== undefined);
  if (failures.length > 0) {
    out.push('', 'Failed:', '');
    // One line per system and reason (a missing runner fails every workload the same way).
    const byReason = new Map<string, string[]>();
    for (const r of failures) {
      const key = `${r.system}: ${r.failed ?? `latency: ${r.latencyFailed}`}`;
      byReason.set(key, [...(byReason.get(key) ?? []), r.workload]);
    }
    for (const [k, ws] of byReason) {
      const i = k.indexOf(': ');
      out.push(`- ${k.slice(0, i)} (${ws.join(', ')}): ${k.slice(i + 2).replace(/\|/g, '/')}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Replaces the text between the peers markers in README.md. */
function updateReadme(md: string): void {
  const path = join(root, 'README.md');
  const text = readFileSync(path, 'utf8');
  const begin = '<!-- peers:begin -->';
  const end = '<!-- peers:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.warn('peers: README.md has no peers markers; not updated');
    return;
  }
  writeFileSync(path, `${text.slice(0, i + begin.length)}\n${md}${text.slice(j)}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  await withProgress(`peers: writing the input files (scale ${SCALE}, memory ${MEMORY_KEYS} keys) unless they are there`, () => writePeerData(DATA, SCALE, { memoryKeys: MEMORY_KEYS }));
  const sizes = peerSizes(SCALE, MEMORY_KEYS);
  console.log(`peers: input files in ${DATA.slice(root.length + 1)} (scale ${SCALE})`);
  const javaFailure = [...PROCESSORS, ...BROKER_SYSTEMS].some((s) => JAVA.includes(s)) || (PARTS.includes('broker-engines') && BROKER_ENGINE_SYSTEMS.some((s) => s.startsWith('kafka-streams') && (SELECTED.length === 0 || SELECTED.includes(s)))) ? await buildJava() : undefined;
  if (javaFailure !== undefined) console.log(`peers: Java systems marked failed: ${javaFailure}`);
  const rows: PeerRow[] = [];
  for (const workload of PARTS.includes('engine') ? ENGINE_WORKLOADS.filter((w) => plan.peers.engineWorkloads.includes(w)) : []) {
    for (const system of PROCESSORS) {
      const row = await withProgress(`peers: ${workload} ${system} (test driver, ${sizes[workload]} records)`, () => engineRun(system, workload, sizes[workload], javaFailure));
      rows.push(row);
      console.log(`peers: ${workload} ${system}: ${describe(row)}`);
    }
  }
  let engineRows: BrokerEngineRow[] = [];
  if (PARTS.includes('broker-engines')) {
    const dataDir = `${DATA}-broker`;
    await withProgress(`peers: writing the broker engine input files (scale ${BROKER_ENGINE_SCALE}) unless they are there`, () => writePeerData(dataDir, BROKER_ENGINE_SCALE, { memory: false }));
    // RIVULET_PEERS_SYSTEMS picks them; else the plan's (the default run leaves out Kafka Streams' in-memory and EOS variants).
    const systems = BROKER_ENGINE_SYSTEMS.filter((s) => (SELECTED.length === 0 ? plan.peers.brokerEngineSystems.includes(s) : SELECTED.includes(s)));
    const workloads = BROKER_ENGINE_WORKLOADS.filter((w) => (process.env['RIVULET_PEERS_BROKER_ENGINE_WORKLOADS'] ?? w).split(',').includes(w));
    engineRows = await brokerEnginePart({ brokers, root, partitions: PARTITIONS, dataDir, reps: REPS, maxSeconds: BROKER_ENGINE_SECONDS, warmupSeconds: JAVA_WARMUP_SECONDS, startupTimeoutS: TIMEOUT_BASE_S, systems, workloads, runId, start: (label, cmd, args) => new Child(label, cmd, args), javaFailure, log: (l) => console.log(l) });
  }
  if (PARTS.includes('broker')) rows.push(...(await brokerPart(javaFailure)));
  // The rows first: a report that fails to render loses no measurement.
  mkdirSync(RESULTS, { recursive: true });
  // The broker benchmark's rows (client-pipe, rivulet-eos) and section stay until it runs again.
  const carriedSection = carriedPipeSection(RESULTS);
  writeFileSync(join(RESULTS, 'peers.json'), `${JSON.stringify([...rows, ...engineRows, ...carriedPipeRows(RESULTS, [...rows, ...engineRows])], null, 2)}\n`);
  const cpu = cpus();
  const md = peersMarkdown(rows, {
    scale: SCALE,
    when: new Date().toISOString(),
    node: process.version,
    java: javaVersion(),
    machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
    brokerRecords: BROKER_RECORDS,
    latency: `${fmt(LATENCY_RATE)} readings/s into a fresh topic for ${LATENCY_WARMUP_SECONDS} s of warm-up, then ${LATENCY_SECONDS} s measured (samples: the alerts of readings sent in the measured window; bare consumers: their records of the last 60 s before they were stopped)`,
    brokerEngines: brokerEngineMarkdown(engineRows, { scale: BROKER_ENGINE_SCALE, reps: REPS, maxSeconds: BROKER_ENGINE_SECONDS, partitions: PARTITIONS, warmupSeconds: JAVA_WARMUP_SECONDS }),
  });
  // Kafka Streams' profile and the tunings tried (written by hand from profiling runs; bench/peers/kafka-streams-profile.md).
  const profile = join(root, 'bench', 'peers', 'kafka-streams-profile.md');
  const load = `Machine load while this ran (shared with other engineers' tests): load average ${loadavg().map((x) => x.toFixed(1)).join(', ')} (1, 5, 15 min) on ${cpu.length} cores at the end; peers part took ${((Date.now() - started) / 1000).toFixed(0)} s.`;
  writeFileSync(join(RESULTS, 'peers.md'), `${md}${carriedSection}\n${load}\n${existsSync(profile) ? `\n${readFileSync(profile, 'utf8')}` : ''}`);
  // A partial run (some systems or one part) and the default run's smaller sizes leave README.md as it is: its table holds the full run's figures.
  if (!plan.full) console.log('peers: default run (smaller sizes): README.md not updated (RIVULET_BENCH_FULL=1 updates its peers table)');
  else if (SELECTED.length === 0 && PARTS.includes('engine') && PARTS.includes('broker-engines') && PARTS.includes('broker')) {
    updateReadme(md);
    console.log("peers: README.md's peers table updated");
  }
  else console.log('peers: partial run (RIVULET_PEERS_SYSTEMS / RIVULET_PEERS_PARTS): README.md not updated');
  console.log(`\n${md}\npeers: done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/peers.json and peers.md`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
