/**
 * `RIVULET_BENCH=scale npm run bench`: state at scale on a real Apache Kafka broker
 * (KAFKA_BROKERS; scripts/bench.sh starts one through scripts/kafka/with-kafka.sh).
 * Writes bench/results/scale.json and bench/results/scale.md. Measures only.
 *
 * 1. Load: RIVULET_SCALE_READINGS IoT readings (default 10,000,000) over
 *    RIVULET_SCALE_KEYS devices (default 1,000,000) into one input partition, in
 *    three stages of KEYS/100, KEYS/10 and KEYS devices (10 %, 20 % and 70 % of the
 *    readings). A stage first brings in its new devices, one reading each, then
 *    sends readings to its devices in turn, 4 in a row per device (a device
 *    uploads a few readings at once), so a commit changes about as many keys in
 *    every stage and only the state size differs. Event time stays inside one
 *    10 s window: every device keeps its windows open, the state holds every key.
 * 2. Instance A (a child process, bench/scale-instance.ts) runs the IoT topology
 *    (examples/iot-anomaly) over the whole input; every commit is sampled
 *    (latency, changelog records and bytes, keys held) and bucketed by keys held.
 *    Resident memory per key: the growth of A's RSS from the end of stage 1 to
 *    the end of the run, divided by the keys added.
 * 3. Failover without a standby: instance B (empty state directory, as on
 *    another machine) joins; A is SIGKILLed and RIVULET_SCALE_TAIL more readings
 *    arrive; B takes A's task after the group notices A is gone (the session
 *    timeout, RIVULET_SCALE_SESSION_TIMEOUT_MS, default 10 s), restores the whole
 *    changelog (restore records/s and MB/s) and processes: failover time is from
 *    the kill to the first new output record.
 * 4. Failover with one standby (needs StreamsConfig.numStandbyReplicas): B is
 *    restarted from its state directory next to C (empty), both with one standby
 *    replica; once the standby's checkpoints reach the changelogs' ends, the
 *    instance holding the task is killed and the failover timed the same way
 *    (same session timeout).
 *
 * RIVULET_SCALE_PHASES picks the figures (default `commit,restore,failover`):
 * `commit` the commit curve and memory per key (steps 1-2), `restore` the restore
 * rate and the failover without a standby (step 3), `failover` both failovers
 * (steps 3-4). Steps 1-2 always run (they build the state). The figures of the
 * phases run replace those in bench/results/scale.json; the others are kept,
 * and `runs` says which run (date, keys, readings, client) each comes from.
 * A short restore and failover run:
 *   RIVULET_SCALE_PHASES=restore,failover RIVULET_SCALE_KEYS=200000 RIVULET_SCALE_READINGS=1000000
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { IotTopics } from '../examples/iot-anomaly/topology.js';
import type { RestoreProgress } from '../src/metrics/instance-metrics.js';
import { Checkpoint } from '../src/state/checkpoint.js';
import { kafkaClient } from '../src/transport/create-transport.js';
import { createKafkaTransport } from '../src/transport/kafkajs/kafkajs-transport.js';
import type { ProducerRecord, Transport } from '../src/transport/transport.js';
import type { ScaleInstanceConfig } from './scale-instance.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const instanceScript = join(root, 'bench', 'scale-instance.ts');

const envInt = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0 (got ${JSON.stringify(raw)})`);
  return n;
};
const KEYS = envInt('RIVULET_SCALE_KEYS', 1_000_000);
const READINGS = envInt('RIVULET_SCALE_READINGS', 10_000_000);
const TAIL = envInt('RIVULET_SCALE_TAIL', 2_000);
const SESSION_TIMEOUT_MS = envInt('RIVULET_SCALE_SESSION_TIMEOUT_MS', 10_000);
const DEADLINE_MS = envInt('RIVULET_SCALE_TIMEOUT_S', 3600) * 1000;
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);
const PHASE_NAMES = ['commit', 'restore', 'failover'] as const;
type Phase = (typeof PHASE_NAMES)[number];
const PHASES = new Set<Phase>(
  (process.env['RIVULET_SCALE_PHASES'] ?? PHASE_NAMES.join(',')).split(',').map((x) => x.trim()).filter((x) => x !== '').map((x) => {
    if (!(PHASE_NAMES as readonly string[]).includes(x)) throw new Error(`RIVULET_SCALE_PHASES must list some of ${PHASE_NAMES.join(', ')} (got ${JSON.stringify(x)})`);
    return x as Phase;
  }),
);
if (PHASES.size === 0) throw new Error(`RIVULET_SCALE_PHASES must list at least one of ${PHASE_NAMES.join(', ')}`);

const STAGES = [KEYS / 100, KEYS / 10, KEYS].map((k) => Math.max(1, Math.round(k)));
const SHARES = [0.1, 0.2, 0.7];
/** Readings a device gets in a row in the steady part of a stage. */
const BURST = 4;
const T0 = Date.UTC(2025, 3, 20, 13, 40, 0);
/** Event time of all readings: inside [T0, T0 + 9 s], one tumbling window. */
const SPAN_MS = 9_000;

const runId = Date.now().toString(36);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const log = (msg: string) => console.log(`[scale +${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

// ---------------------------------------------------------------- the input

/** Stage s: readings [start, end), of which the first `intro` bring in devices [from, keys). */
interface Stage { readonly keys: number; readonly from: number; readonly start: number; readonly intro: number; readonly end: number }

function stages(): Stage[] {
  const out: Stage[] = [];
  let start = 0;
  let from = 0;
  STAGES.forEach((keys, s) => {
    const intro = keys - from;
    const n = s === STAGES.length - 1 ? Math.max(READINGS - start, intro) : Math.max(Math.round(READINGS * (SHARES[s] as number)), intro);
    out.push({ keys, from, start, intro, end: start + n });
    start += n;
    from = keys;
  });
  return out;
}

/** Device of reading `i` (global index) in its stage. */
function deviceOf(stage: Stage, i: number): number {
  const j = i - stage.start;
  if (j < stage.intro) return stage.from + j;
  return Math.floor((j - stage.intro) / BURST) % stage.keys;
}

const enc = new TextEncoder();
/** A reading in seed 004's shape; value and status from a hash of its index (no generator state). */
function reading(topic: string, device: number, i: number, total: number): ProducerRecord {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  const r = ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
  const outlier = r < 0.1;
  const value = Math.round((outlier ? 200 + r * 3000 : 10 + ((r - 0.1) / 0.9) * 90) * 100) / 100;
  const status = outlier ? (r < 0.06 ? 'Danger' : 'Error') : r < 0.73 ? 'Normal' : 'Warning';
  const id = `device_${String(device).padStart(7, '0')}`;
  const timestamp = T0 + Math.floor((i * SPAN_MS) / Math.max(1, total));
  return { topic, key: enc.encode(id), value: enc.encode(JSON.stringify({ timestamp: new Date(timestamp).toISOString(), value, device_id: id, status })), timestamp };
}

/** Sends `count` records made by `make(i)`, 20,000 per send, three sends in flight. */
async function produce(t: Transport, count: number, make: (i: number) => ProducerRecord, label: string): Promise<void> {
  const p = await t.producer();
  const CHUNK = 20_000;
  const inFlight = new Set<Promise<unknown>>();
  let reported = 0;
  const started = Date.now();
  try {
    for (let from = 0; from < count; from += CHUNK) {
      const batch: ProducerRecord[] = [];
      for (let i = from; i < Math.min(count, from + CHUNK); i++) batch.push(make(i));
      const sent: Promise<unknown> = p.send(batch).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      if (inFlight.size >= 3) await Promise.race(inFlight);
      if (from + CHUNK - reported >= 1_000_000) {
        reported = from + CHUNK;
        log(`${label}: ${fmt(Math.min(count, reported))} / ${fmt(count)} sent (${fmt(reported / Math.max(0.001, (Date.now() - started) / 1000))} records/s)`);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await p.close();
  }
}

// ---------------------------------------------------------------- instances

interface Status {
  state: string;
  processed: number;
  commits: number;
  openKeys: number;
  rss: number;
  restores: RestoreProgress[];
  tasks: string[];
  standbySupported: boolean;
  at: number;
}
interface CommitSample { at: number; ms: number; commits: number; changelogRecords: number; changelogBytes: number; openKeys: number; processed: number }

interface Instance {
  readonly name: string;
  readonly stateDir: string;
  status(): Status;
  readonly statuses: Status[];
  readonly commits: CommitSample[];
  kill(): Promise<number>;
  close(): Promise<void>;
  dead(): boolean;
}

function launch(name: string, config: ScaleInstanceConfig): Instance {
  const child: ChildProcess = spawn('npx', ['vite-node', instanceScript, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=8192' } });
  let last: Status = { state: 'CREATED', processed: 0, commits: 0, openKeys: 0, rss: 0, restores: [], tasks: [], standbySupported: false, at: Date.now() };
  const statuses: Status[] = [];
  const commits: CommitSample[] = [];
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let o: { t?: string } & Record<string, unknown>;
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      return;
    }
    if (o.t === 'status') {
      last = o as unknown as Status;
      statuses.push(last);
    } else if (o.t === 'commit') commits.push(o as unknown as CommitSample);
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    name,
    stateDir: config.stateDir,
    status: () => (exited ? { ...last, state: 'DEAD' } : last),
    statuses,
    commits,
    dead: () => exited,
    kill: async () => {
      const at = Date.now();
      killGroup();
      await exit;
      return at;
    },
    close: async () => {
      if (exited) return;
      child.stdin!.write('close\n');
      const timer = setTimeout(killGroup, 60_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number, progress?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`scale bench: ${what} did not happen within ${timeoutMs} ms`);
    if (progress !== undefined && Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log(`${what}: ${progress()}`);
    }
    await sleep(50);
  }
}

// ---------------------------------------------------------------- figures

const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
};
const round = (x: number, d = 1) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);

/** Restore figures of the stores of task `task` (stores restore one after another). */
function restoreFigures(restores: readonly RestoreProgress[], task: string): { records: number; seconds: number; bytes: number } {
  let records = 0;
  let seconds = 0;
  let bytes = 0;
  for (const r of restores) {
    if (r.task !== task || r.restored === 0) continue;
    const s = r.restored / Math.max(1e-9, r.recordsPerSec);
    records += r.restored;
    seconds += s;
    bytes += (r.bytesPerSec ?? 0) * s;
  }
  return { records, seconds, bytes };
}

async function outputEnd(t: Transport, topics: IotTopics): Promise<number> {
  let n = 0;
  for (const topic of [topics.alerts, topics.status, topics.windowed]) for (const p of await t.listOffsets(topic)) n += p.latest;
  return n;
}

/** Kills `victim`, sends the tail, and returns ms from the kill to the first new output record. */
async function failover(admin: Transport, topics: IotTopics, victim: Instance, total: number, st: Stage[]): Promise<number> {
  const before = await outputEnd(admin, topics);
  const killedAt = await victim.kill();
  log(`${victim.name} SIGKILLed; sending ${fmt(TAIL)} more readings`);
  const last = st[st.length - 1] as Stage;
  await produce(admin, TAIL, (i) => reading(topics.input, (i * 7919) % last.keys, total + i, total + TAIL), 'tail');
  let at = 0;
  await until('first output after the kill', async () => {
    if ((await outputEnd(admin, topics).catch(() => before)) > before) at = Date.now();
    return at > 0;
  }, DEADLINE_MS);
  return at - killedAt;
}

// ---------------------------------------------------------------- results

/** Where a group of figures comes from. */
interface RunMeta {
  date: string;
  keys: number;
  readings: number;
  sessionTimeoutMs: number;
  kafkaClient: string;
  loadSeconds: number | null;
  processSeconds: number | null;
  processRecordsPerSec: number;
  loadAverage: { atStart: number | null; meanDuringRun: number | null; max: number | null };
  node: string;
}

interface CommitFigures { keys: number; p50Ms: number | null; p99Ms: number | null; changelogBytesPerCommit: number; changelogRecordsPerCommit: number; commits: number }

/** bench/results/scale.json: each phase's figures, and in `runs` the run each comes from. */
interface ScaleResult {
  commit: CommitFigures[];
  rssBytesPerKey: number | null;
  rssFrom?: { keys: number; bytes: number };
  rssTo?: { keys: number; bytes: number };
  restoreRecordsPerSec: number | null;
  restoreMBPerSec: number | null;
  restoreRecords: number | null;
  restoreSeconds?: number | null;
  failoverMs: { standby0: number | null; standby1: number | null };
  note?: string;
  runs: { commit?: RunMeta; restoreFailover?: RunMeta };
}

/**
 * The figures of an earlier scale.json, in this layout. A file from before `runs` describes one
 * run (top-level keys, readings, date, …), which every figure in it came from.
 */
function mergePrevious(p: Partial<ScaleResult> & Record<string, unknown>): ScaleResult {
  const legacy = p.runs === undefined && typeof p['date'] === 'string' ? ({
    date: p['date'],
    keys: p['keys'],
    readings: p['readings'],
    sessionTimeoutMs: p['sessionTimeoutMs'],
    // Before the platformatic client became the default, every run used kafkajs.
    kafkaClient: 'kafkajs',
    loadSeconds: p['loadSeconds'] ?? null,
    processSeconds: p['processSeconds'] ?? null,
    processRecordsPerSec: p['processRecordsPerSec'],
    loadAverage: p['loadAverage'],
    node: p['node'],
  } as RunMeta) : undefined;
  return {
    commit: p.commit ?? [],
    rssBytesPerKey: p.rssBytesPerKey ?? null,
    ...(p.rssFrom === undefined ? {} : { rssFrom: p.rssFrom }),
    ...(p.rssTo === undefined ? {} : { rssTo: p.rssTo }),
    restoreRecordsPerSec: p.restoreRecordsPerSec ?? null,
    restoreMBPerSec: p.restoreMBPerSec ?? null,
    restoreRecords: p.restoreRecords ?? null,
    ...(p.restoreSeconds === undefined ? {} : { restoreSeconds: p.restoreSeconds }),
    failoverMs: p.failoverMs ?? { standby0: null, standby1: null },
    ...(p.note === undefined ? {} : { note: p.note }),
    runs: p.runs ?? (legacy === undefined ? {} : { commit: legacy, restoreFailover: legacy }),
  };
}

function describeRun(r: RunMeta | undefined): string {
  if (r === undefined) return 'not measured';
  return `run of ${r.date}: ${fmt(r.keys)} device keys, ${fmt(r.readings)} readings, client ${r.kafkaClient}, session timeout ${fmt(r.sessionTimeoutMs)} ms, node ${r.node}; load average ${r.loadAverage.atStart} at the start, ${r.loadAverage.meanDuringRun} on average, ${r.loadAverage.max} at most`;
}

function markdown(r: ScaleResult): string {
  const c = r.runs.commit;
  const rf = r.runs.restoreFailover;
  const first = r.commit[0];
  const last = r.commit[r.commit.length - 1];
  const p99Ratio = (last?.p99Ms ?? NaN) / (first?.p99Ms ?? NaN);
  const restoreSeconds = r.restoreSeconds ?? (r.restoreRecords !== null && r.restoreRecordsPerSec ? r.restoreRecords / r.restoreRecordsPerSec : null);
  const f = r.failoverMs;
  return [
    'Scale benchmark: the IoT anomaly topology on Apache Kafka (one input partition; bench/scale.bench.ts). Figures of different runs are kept together: each part names its run.',
    '',
    `Commit cost and memory (${describeRun(c)}):`,
    '',
    '| keys held | commits | commit p50 ms | commit p99 ms | changelog records / commit | changelog bytes / commit |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.commit.map((x) => `| ${fmt(x.keys)} | ${x.commits} | ${x.p50Ms ?? '–'} | ${x.p99Ms ?? '–'} | ${fmt(x.changelogRecordsPerCommit)} | ${fmt(x.changelogBytesPerCommit)} |`),
    '',
    `Commit p99 at ${fmt(last?.keys ?? 0)} keys / at ${fmt(first?.keys ?? 0)} keys: ${Number.isFinite(p99Ratio) ? p99Ratio.toFixed(2) : '–'}.`,
    `Resident memory per key held: ${r.rssBytesPerKey === null ? '–' : fmt(r.rssBytesPerKey)} bytes (RSS growth of the instance from ${fmt(r.rssFrom?.keys ?? first?.keys ?? 0)} to ${fmt(r.rssTo?.keys ?? last?.keys ?? 0)} keys; three kernel stores hold every key).`,
    ...(c === undefined ? [] : [`Load: ${fmt(c.readings)} readings in ${c.loadSeconds ?? '–'} s; processing: ${c.processSeconds ?? '–'} s (${fmt(c.processRecordsPerSec)} readings/s, including the status repartition and every commit).`]),
    '',
    `Restore and failover (${describeRun(rf)}):`,
    '',
    `Restore after a kill (empty state directory): ${r.restoreRecords === null ? '–' : fmt(r.restoreRecords)} changelog records, ${r.restoreMBPerSec === null || restoreSeconds === null ? '–' : (r.restoreMBPerSec * restoreSeconds).toFixed(1)} MB in ${restoreSeconds === null ? '–' : restoreSeconds.toFixed(1)} s: ${r.restoreRecordsPerSec === null ? '–' : fmt(r.restoreRecordsPerSec)} records/s, ${r.restoreMBPerSec ?? '–'} MB/s (the stores of task 0_0, one after another; records/s over the time spent reading and applying their changelogs).`,
    `Failover, SIGKILL to the first new output record: ${f.standby0 === null ? '–' : `${fmt(f.standby0)} ms`} without a standby (the new instance restores the whole changelog); ${f.standby1 === null ? `not measured${r.note === undefined ? '' : ` (${r.note})`}` : `${fmt(f.standby1)} ms with one standby (its checkpoints at the changelog ends before the kill)`}${f.standby0 !== null && f.standby1 !== null ? `: ${(f.standby0 / f.standby1).toFixed(1)}× faster` : ''}. Both include the group noticing the dead member (session timeout ${fmt(rf?.sessionTimeoutMs ?? SESSION_TIMEOUT_MS)} ms).`,
    '',
    'Figures under machine load (2 cores, shared with other work) are upper bounds on latency and lower bounds on rates.',
    'Input: three stages (1 %, 10 %, 100 % of the devices; 10 %, 20 %, 70 % of the readings); each stage first brings in its new devices, then its devices take turns, 4 readings each, so every commit changes about as many keys whatever the state size. Event time stays in one 10 s window, so every device holds state throughout. A commit sample is bucketed when the keys held are within 2 % of the stage size.',
  ].join('\n');
}

/**
 * A check whether `standby`'s checkpoints of `tasks` (its standby copies) reached the ends of
 * their changelogs: `lag` is the records between them, summed (Infinity while task 0_0 has no
 * checkpoint yet).
 */
async function standbyCaughtUp(admin: Transport, applicationId: string, standby: Instance, tasks: readonly string[]): Promise<() => Promise<{ lag: number }>> {
  return async () => {
    let lag = 0;
    for (const task of tasks) {
      const saved = await new Checkpoint(join(standby.stateDir, applicationId, task)).read().catch(() => new Map<string, number>());
      // A task without persistent changelogged stores has no standby (and no checkpoint); 0_0 has.
      if (saved.size === 0 && task === '0_0') return { lag: Infinity };
      for (const [key, offset] of saved) {
        const { topic, partition } = Checkpoint.parseKey(key);
        const end = (await admin.listOffsets(topic)).find((o) => o.partition === partition)?.latest ?? 0;
        lag += Math.max(0, end - offset);
      }
    }
    return { lag };
  };
}

async function main(): Promise<void> {
  if (brokers.length === 0) {
    console.error('bench/scale.bench.ts: KAFKA_BROKERS is not set; run it through `bash scripts/kafka/with-kafka.sh npx vite-node bench/scale.bench.ts`');
    process.exit(2);
  }
  const st = stages();
  const total = (st[st.length - 1] as Stage).end;
  const topics: IotTopics = { input: `scale-in-${runId}`, windowed: `scale-windowed-${runId}`, alerts: `scale-alerts-${runId}`, status: `scale-status-${runId}` };
  const applicationId = `scale-${runId}`;
  const load = { start: loadavg(), samples: [] as number[] };
  const loadTimer = setInterval(() => load.samples.push(loadavg()[0] as number), 5000);
  const admin = createKafkaTransport({ brokers, clientId: `scale-bench-${runId}` });
  await admin.connect();
  const dirs: string[] = [];
  const instances: Instance[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'rivulet-scale-'));
    dirs.push(d);
    return d;
  };
  const instanceConfig = (stateDir: string, numStandbyReplicas: number): ScaleInstanceConfig => ({ brokers, applicationId, topics, stateDir, numStandbyReplicas, sessionTimeoutMs: SESSION_TIMEOUT_MS });
  try {
    // 1. Load.
    await admin.createTopics([{ topic: topics.input, partitions: 1 }, { topic: topics.windowed, partitions: 1 }, { topic: topics.alerts, partitions: 1 }, { topic: topics.status, partitions: 1 }]);
    log(`loading ${fmt(total)} readings over ${fmt(KEYS)} devices (stages ${st.map((s) => `${fmt(s.keys)} keys: ${fmt(s.end - s.start)}`).join(', ')})`);
    const loadStarted = Date.now();
    let s = 0;
    await produce(admin, total, (i) => {
      while (i >= (st[s] as Stage).end) s++;
      return reading(topics.input, deviceOf(st[s] as Stage, i), i, total);
    }, 'load');
    const loaded = (await admin.listOffsets(topics.input)).reduce((n, p) => n + p.latest, 0);
    if (loaded !== total) throw new Error(`loaded ${loaded} readings into ${topics.input}, expected ${total}`);
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    log(`loaded in ${loadSeconds.toFixed(1)} s`);

    // 2. Instance A over the whole input.
    const a = launch('A', instanceConfig(dir(), 0));
    instances.push(a);
    const runStarted = Date.now();
    await until('A processing the input', async () => {
      if (a.dead()) throw new Error('instance A exited');
      // The group's coordinator may still be moving while the group forms: ask again later.
      const c = await admin.committedOffsets(applicationId, topics.input).catch(() => []);
      return c.reduce((n, x) => n + (x.offset ?? 0), 0) >= total;
    }, DEADLINE_MS, () => {
      const x = a.status();
      return `${x.state}, ${fmt(x.processed)} records processed (input + status repartition), ${fmt(x.openKeys)} keys held, ${x.commits} commits, rss ${fmt(x.rss / 2 ** 20)} MiB`;
    });
    const runSeconds = (Date.now() - runStarted) / 1000;
    await sleep(2000);
    log(`A processed the input in ${runSeconds.toFixed(1)} s; ${a.commits.length} commits sampled`);

    const commit = st.map((stage) => {
      const samples = a.commits.filter((c) => c.commits === 1 && c.openKeys >= stage.keys * 0.98 && c.openKeys <= stage.keys && c.changelogRecords > 0);
      return {
        keys: stage.keys,
        p50Ms: round(percentile(samples.map((c) => c.ms), 50)),
        p99Ms: round(percentile(samples.map((c) => c.ms), 99)),
        changelogBytesPerCommit: Math.round(samples.reduce((n, c) => n + c.changelogBytes, 0) / Math.max(1, samples.length)),
        changelogRecordsPerCommit: Math.round(samples.reduce((n, c) => n + c.changelogRecords, 0) / Math.max(1, samples.length)),
        commits: samples.length,
      };
    });
    const first = st[0] as Stage;
    const small = a.statuses.filter((x) => x.openKeys > 0 && x.openKeys <= first.keys).at(-1);
    const full = a.status();
    const rssBytesPerKey = small === undefined || full.openKeys <= small.openKeys ? null : Math.round((full.rss - small.rss) / (full.openKeys - small.openKeys));
    log(`commits: ${JSON.stringify(commit)}; rss ${fmt(small?.rss ?? 0)} B at ${fmt(small?.openKeys ?? 0)} keys, ${fmt(full.rss)} B at ${fmt(full.openKeys)} keys`);

    const runMeta = (): RunMeta => {
      const loadAvg = load.samples.length === 0 ? (load.start[0] as number) : load.samples.reduce((x, y) => x + y, 0) / load.samples.length;
      return {
        date: new Date().toISOString(),
        keys: KEYS,
        readings: total,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        kafkaClient: kafkaClient(),
        loadSeconds: round(loadSeconds),
        processSeconds: round(runSeconds),
        processRecordsPerSec: Math.round(total / runSeconds),
        loadAverage: { atStart: round(load.start[0] as number, 2), meanDuringRun: round(loadAvg, 2), max: round(Math.max(...load.samples, 0), 2) },
        node: process.version,
      };
    };
    const out = join(root, 'bench', 'results');
    const previous = existsSync(join(out, 'scale.json')) ? (JSON.parse(readFileSync(join(out, 'scale.json'), 'utf8')) as Partial<ScaleResult>) : {};
    const result: ScaleResult = mergePrevious(previous);
    // Written after each phase, so a later phase that fails or hangs keeps the figures before it.
    const save = (): void => {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'scale.json'), `${JSON.stringify(result, null, 2)}\n`);
      writeFileSync(join(out, 'scale.md'), `${markdown(result)}\n`);
    };
    if (PHASES.has('commit')) {
      result.commit = commit;
      result.rssBytesPerKey = rssBytesPerKey;
      result.rssFrom = { keys: small?.openKeys ?? 0, bytes: small?.rss ?? 0 };
      result.rssTo = { keys: full.openKeys, bytes: full.rss };
      result.runs.commit = runMeta();
    }

    if (PHASES.has('restore') || PHASES.has('failover')) {
      // 3. Failover without a standby: B starts empty, A dies.
      // Without standbys the range split places both tasks on the member whose id sorts first,
      // which may be B. The instance holding task 0_0 is killed; the other takes it over with
      // an empty state directory: if that is A, its task directories are deleted first (A no
      // longer owns them; Kafka Streams' state cleaner does the same after state.cleanup.delay.ms).
      const b = launch('B', instanceConfig(dir(), 0));
      instances.push(b);
      await until('B joining the group', () => b.status().state === 'RUNNING' && a.status().state === 'RUNNING', 300_000);
      await sleep(3000);
      const holder = [a, b].find((x) => x.status().tasks.includes('0_0'));
      if (holder === undefined) throw new Error(`neither A nor B holds task 0_0 (A: ${a.status().tasks.join(',')}; B: ${b.status().tasks.join(',')})`);
      const survivor = holder === a ? b : a;
      if (survivor.status().tasks.length > 0) throw new Error(`${survivor.name} holds tasks ${survivor.status().tasks.join(',')} next to ${holder.name}: expected one instance to hold every task`);
      if (survivor === a) {
        for (const name of readdirSync(join(a.stateDir, applicationId))) if (/^\d+_\d+$/.test(name)) rmSync(join(a.stateDir, applicationId, name), { recursive: true, force: true });
        log(`B took every task when it joined: A's task directories deleted, B is killed and A takes over`);
      }
      const standby0 = await failover(admin, topics, holder, total, st);
      await until(`${survivor.name} running task 0_0`, () => survivor.status().tasks.includes('0_0') && survivor.status().state === 'RUNNING', DEADLINE_MS);
      const rf = restoreFigures(survivor.status().restores, '0_0');
      const restoreRecordsPerSec = rf.records / Math.max(1e-9, rf.seconds);
      const restoreMBPerSec = rf.bytes / 1e6 / Math.max(1e-9, rf.seconds);
      log(`failover without a standby: ${fmt(standby0)} ms; ${survivor.name} restored ${fmt(rf.records)} records (${(rf.bytes / 1e6).toFixed(1)} MB) in ${rf.seconds.toFixed(1)} s: ${fmt(restoreRecordsPerSec)} records/s, ${restoreMBPerSec.toFixed(1)} MB/s`);
      result.restoreRecordsPerSec = Math.round(restoreRecordsPerSec);
      result.restoreMBPerSec = round(restoreMBPerSec, 2);
      result.restoreRecords = rf.records;
      result.restoreSeconds = round(rf.seconds, 2);
      result.failoverMs = { standby0, standby1: null };
      result.runs.restoreFailover = runMeta();
      result.note = PHASES.has('failover') ? 'standby1 not measured: the run ended before the failover with a standby' : 'standby1 not measured: RIVULET_SCALE_PHASES did not include failover';
      save();
      const bDir = survivor.stateDir;

      // 4. Failover with one standby.
      if (PHASES.has('failover')) {
        if (!survivor.status().standbySupported) throw new Error('this rivulet has no StreamsConfig.numStandbyReplicas: the failover with a standby cannot be measured');
        await survivor.close();
        const b2 = launch('B2', instanceConfig(bDir, 1));
        const c = launch('C', instanceConfig(dir(), 1));
        instances.push(b2, c);
        await until('B2 and C running', () => b2.status().state === 'RUNNING' && c.status().state === 'RUNNING', DEADLINE_MS, () => `B2 ${b2.status().state} (${b2.status().tasks.join(',')}), C ${c.status().state} (${c.status().tasks.join(',')})`);
        await until('one of B2 and C holding task 0_0', () => [b2, c].some((x) => x.status().tasks.includes('0_0')), DEADLINE_MS);
        const holder = [b2, c].find((x) => x.status().tasks.includes('0_0')) as Instance;
        const standby = holder === b2 ? c : b2;
        const caughtUp = await standbyCaughtUp(admin, applicationId, standby, holder.status().tasks);
        const followStarted = Date.now();
        await until(`${standby.name}'s standby following the changelogs`, async () => (await caughtUp()).lag === 0, DEADLINE_MS, () => 'waiting');
        log(`${holder.name} holds ${holder.status().tasks.join(', ')}; ${standby.name}'s standby checkpoints reached the changelog ends (${((Date.now() - followStarted) / 1000).toFixed(1)} s)`);
        // Restores the standby instance made before (as an active task, when it held 0_0) are not the tail's.
        const restoredBefore = restoreFigures(standby.status().restores, '0_0').records;
        const standby1 = await failover(admin, topics, holder, total + TAIL, st);
        log(`failover with one standby: ${fmt(standby1)} ms (${standby.name} took over; restored ${fmt(restoreFigures(standby.status().restores, '0_0').records - restoredBefore)} tail records)`);
        result.failoverMs = { standby0, standby1 };
        delete result.note;
      }
      result.runs.restoreFailover = runMeta();
    }
    save();
    console.log(`\n${markdown(result)}`);
  } finally {
    clearInterval(loadTimer);
    for (const i of instances) if (!i.dead()) await i.kill().catch(() => undefined);
    await admin.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
