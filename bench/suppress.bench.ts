/**
 * `npm run bench` (suppress part; alone: `RIVULET_BENCH=suppress npm run bench`):
 * count() on hopping 60 s / 1 s windows with and without
 * suppress(untilWindowCloses()), side by side in one run: through KafkaStreams
 * on the embedded broker (commits every second) with buffers of about 6.5 K and
 * 65 K open windows, and through the TopologyTestDriver (a commit per record:
 * every window update reaches the buffer). Writes bench/results/suppress.json
 * and suppress.md. Measures only; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamsBuilder } from '../src/dsl/streams-builder.js';
import { Suppressed } from '../src/dsl/suppressed.js';
import { TimeWindows } from '../src/dsl/windows.js';
import { Serdes } from '../src/serde/serdes.js';
import { KafkaStreams } from '../src/runtime/kafka-streams.js';
import { TopologyTestDriver } from '../src/testing/topology-test-driver.js';
import { EmbeddedBroker } from '../src/transport/embedded/embedded-broker.js';
import { benchPlan } from './bench-plan.js';
import { withProgress } from './progress.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WINDOWS = TimeWindows.ofSizeAndGrace('60s', '5s').advanceBy('1s');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const enc = new TextEncoder();

type Mode = 'runtime' | 'driver';
interface Result {
  /** `runtime`: KafkaStreams on the embedded broker, commits every second (updates coalesce per commit). `driver`: TopologyTestDriver, a commit per record (every window update reaches the buffer and its store). */
  readonly mode: Mode;
  readonly passes: number;
  readonly keys: number;
  readonly records: number;
  readonly countRecordsPerSec: number;
  readonly suppressRecordsPerSec: number;
  readonly countUsPerRecord: number;
  readonly suppressUsPerRecord: number;
  /** Cost of count() + suppress over count() alone. */
  readonly costRatio: number;
  /** Final windows emitted by the suppressed run. */
  readonly finalWindows: number;
}

function topology(suppress: boolean, sink: () => void) {
  const b = new StreamsBuilder();
  const counts = b.stream<string, number>('in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).groupByKey().windowedBy(WINDOWS).count();
  (suppress ? counts.suppress(Suppressed.untilWindowCloses()) : counts).toStream().foreach(sink);
  return b.build();
}

/** Each key one record per second of event time, keys interleaved. */
const timestampOf = (i: number, keys: number): number => Math.floor(i / keys) * 1000 + (i % keys);

function driverPass(suppress: boolean, keys: number, records: number): { ms: number; outputs: number } {
  let outputs = 0;
  const d = new TopologyTestDriver(topology(suppress, () => outputs++));
  try {
    const input = d.createInputTopic('in', Serdes.string(), Serdes.json<number>());
    const names = Array.from({ length: keys }, (_, i) => `device-${i}`);
    // CPU time, as the runtime mode: other processes on the machine do not count.
    const t0 = process.cpuUsage();
    for (let i = 0; i < records; i++) input.pipeInput(names[i % keys] as string, 1, timestampOf(i, keys));
    const used = process.cpuUsage(t0);
    return { ms: (used.user + used.system) / 1000, outputs };
  } finally {
    d.close();
  }
}

async function runtimePass(suppress: boolean, keys: number, records: number): Promise<{ ms: number; outputs: number }> {
  let outputs = 0;
  const broker = new EmbeddedBroker();
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-bench-suppress-'));
  try {
    const admin = broker.transport();
    await admin.connect();
    await admin.createTopics([{ topic: 'in', partitions: 1 }]);
    const producer = await admin.producer();
    const value = enc.encode('1');
    const names = Array.from({ length: keys }, (_, i) => enc.encode(`device-${i}`));
    for (let i = 0; i < records; i += 5000) {
      const n = Math.min(5000, records - i);
      await producer.send(Array.from({ length: n }, (_, j) => ({ topic: 'in', key: names[(i + j) % keys] as Uint8Array, value, timestamp: timestampOf(i + j, keys) })));
    }
    await producer.close();
    const app = new KafkaStreams(topology(suppress, () => outputs++), { applicationId: 'bench-suppress', stateDir, embeddedBroker: broker, logger: quiet });
    // CPU time, not wall time: a run also waits for its group to form and for the last commit, idle time the same for both.
    const t0 = process.cpuUsage();
    await app.runUntilCaughtUp({ timeoutMs: 300_000 });
    const used = process.cpuUsage(t0);
    return { ms: (used.user + used.system) / 1000, outputs };
  } finally {
    broker.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** `passes` timed passes per variant, alternating so that load on the machine hits both alike; the median is reported. */
async function measure(mode: Mode, keys: number, records: number, passes: number): Promise<Result> {
  const pass = (suppress: boolean, n: number) => (mode === 'driver' ? Promise.resolve(driverPass(suppress, keys, n)) : runtimePass(suppress, keys, n));
  await pass(true, Math.min(records, 5_000)); // warm-up: JIT the shared and the suppression path
  const count: number[] = [];
  const sup: number[] = [];
  let finalWindows = 0;
  const what = `suppress bench (${mode}, ${keys} keys, ${records} records)`;
  for (let p = 0; p < passes; p++) {
    count.push((await withProgress(`${what}: pass ${p + 1}/${passes}, count()`, () => pass(false, records))).ms);
    const s = await withProgress(`${what}: pass ${p + 1}/${passes}, count() + suppress`, () => pass(true, records));
    sup.push(s.ms);
    finalWindows = s.outputs;
  }
  const [c, s] = [median(count), median(sup)];
  return {
    mode,
    passes,
    keys,
    records,
    countRecordsPerSec: Math.round((records / c) * 1000),
    suppressRecordsPerSec: Math.round((records / s) * 1000),
    countUsPerRecord: Number(((c * 1000) / records).toFixed(1)),
    suppressUsPerRecord: Number(((s * 1000) / records).toFixed(1)),
    costRatio: Number((s / c).toFixed(2)),
    finalWindows,
  };
}

// mode:keys:records:passes; each case runs past 65 s of event time (records / keys), so windows close steadily.
// One pass per runtime case in the default run (about a minute), three with RIVULET_BENCH_FULL=1
// (about two minutes on this machine).
const plan = benchPlan(process.env);
const cases = plan.suppress.cases
  .split(',')
  .map((c) => c.split(':'))
  .map(([mode, keys, records, passes]) => [mode as Mode, Number(keys), Number(records), Number(passes ?? 3)] as const);
const results: Result[] = [];
for (const [mode, keys, records, passes] of cases) {
  const r = await measure(mode, keys, records, passes);
  console.log(`suppress bench (${mode}): ${keys} keys, ${records} records: count ${r.countRecordsPerSec} rec/s, count+suppress ${r.suppressRecordsPerSec} rec/s, ratio ${r.costRatio}`);
  results.push(r);
}
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'suppress.json'), `${JSON.stringify(results, null, 2)}\n`);
const fmt = (n: number) => n.toLocaleString('en-US');
const md = [
  `count() + suppress(untilWindowCloses()) vs count() alone, hopping 60 s / 1 s windows with 5 s grace, each key one record per second of event time; median of alternating passes (count, count + suppress, ...); ${new Date().toISOString()}, node ${process.version}`,
  '',
  `${plan.label}${plan.full ? '' : ' The full run makes 3 passes of every case.'}`,
  '',
  '- runtime: KafkaStreams on the embedded broker (in process), LevelDB stores, a commit every second (window updates coalesce per commit before they reach the buffer); CPU time of the process from start to caught up, so the rates are records per CPU-second.',
  '- driver: TopologyTestDriver, a commit after every record: all 60 window updates of a record reach the buffer and its store (the worst case); CPU time as well.',
  '',
  '| mode | passes | keys | records | windows open | count() rec/s | count()+suppress rec/s | count() µs/rec | +suppress µs/rec | cost ratio |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...results.map((r) => `| ${r.mode} | ${r.passes} | ${fmt(r.keys)} | ${fmt(r.records)} | ${fmt(r.keys * 65)} | ${fmt(r.countRecordsPerSec)} | ${fmt(r.suppressRecordsPerSec)} | ${r.countUsPerRecord} | ${r.suppressUsPerRecord} | ${r.costRatio} |`),
  '',
  'Cost ratio: time of count() + suppress over time of count() alone (goal: at most 2). The buffer is indexed by window end, so a record costs O(log n) in buffered windows; it is held in memory and logged to its changelog at commit (binary entries). Windows open: about 65 per key (60 containing stream time plus 5 s of grace).',
  '',
];
writeFileSync(join(dir, 'suppress.md'), md.join('\n'));
console.log(`suppress bench: wrote ${join(dir, 'suppress.json')} and suppress.md`);
