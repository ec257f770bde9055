/**
 * `npm run bench` (kernel part): the same deterministic workloads through the
 * WASM kernel (via the TS batch API, as the runtime calls it), the pure-TS
 * reference, and the same Rust kernel compiled natively — in one run.
 * Writes bench/results/kernel.json and bench/results/kernel.md. Measures only;
 * nothing here asserts a timing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import b from 'benny';
import { ReferenceKernel } from '../src/wasm/reference-kernel.js';
import { WasmWindowKernel } from '../src/wasm/wasm-window-kernel.js';
import type { WindowSpec, WindowStatsKernel } from '../src/wasm/window-stats-kernel.js';
import { benchPlan } from './bench-plan.js';
import { Progress } from './progress.js';
import { runPass } from './run-kernel.js';
import { encodeColumns, KERNEL_RECORDS, kernelWorkloads, type Workload } from './workloads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 10_000;
// The default run is at scale 0.02 (about a minute); RIVULET_BENCH_FULL=1 runs scale 1 (about
// 30 min on 2 cores: the TS reference needs minutes per pass on W2 and W3); RIVULET_BENCH_SCALE
// picks any scale (records and event-time span shrink together, density kept).
const plan = benchPlan(process.env);
const scale = plan.kernel.scale;

type Impl = 'wasm' | 'ts' | 'native';
interface Result {
  workload: string;
  impl: Impl;
  recordsPerSec: number;
}

const factories: Record<Exclude<Impl, 'native'>, (s: WindowSpec) => WindowStatsKernel> = {
  wasm: (s) => new WasmWindowKernel(s),
  ts: (s) => new ReferenceKernel(s),
};

/** Records of the untimed warm-up pass each JS implementation gets first. */
const WARMUP_RECORDS = 200_000;

/**
 * V8 first runs WASM through its baseline compiler and optimizes hot functions
 * later (and JITs the TS reference the same way), so a timed pass that starts
 * cold measures partly unoptimized code: up to 3x slower on W1 here. A
 * long-running processor runs optimized code, so each implementation first
 * processes a prefix of the workload untimed, as native code needs no warm-up.
 */
function warmUp(w: Workload, progress: Progress, at: { impl: string; done: number; of: number }): void {
  const m = Math.min(WARMUP_RECORDS, w.columns.keys.length);
  const prefix = { keys: w.columns.keys.subarray(0, m), timestamps: w.columns.timestamps.subarray(0, m), values: w.columns.values.subarray(0, m) };
  for (const impl of Object.keys(factories) as (keyof typeof factories)[]) {
    Object.assign(at, { impl: `${impl} warm-up`, done: 0, of: m });
    const k = factories[impl](w.spec);
    runPass(k, prefix, BATCH, (done) => {
      at.done = done;
      progress.tick();
    });
    k.close();
  }
}

async function measureJs(w: Workload): Promise<Result[]> {
  const n = w.columns.keys.length;
  const results: Result[] = [];
  const at = { impl: '', done: 0, of: n };
  const progress = new Progress(`kernel ${w.name}: wasm and ts reference over ${n.toLocaleString('en-US')} records`, () => `${at.impl}: ${at.done.toLocaleString('en-US')} of ${at.of.toLocaleString('en-US')} records of this pass`);
  warmUp(w, progress, at);
  const cases = (Object.keys(factories) as (keyof typeof factories)[]).map((impl) =>
    b.add(
      impl,
      () => {
        Object.assign(at, { impl, done: 0, of: n });
        const k = factories[impl](w.spec);
        runPass(k, w.columns, BATCH, (done) => {
          at.done = done;
          progress.tick();
        });
        k.close();
      },
      // A pass takes seconds (minutes for the TS reference on W2/W3): benchmark.js's
      // minimum of one sample after warm-up keeps the whole run bounded.
      { minSamples: 1, maxTime: 0, initCount: 1 },
    ),
  );
  await b.suite(
    `${w.name}: ${w.description}`,
    ...cases,
    b.cycle(),
    b.complete((summary) => {
      for (const r of summary.results) {
        // benny rounds ops/s to integers; the mean seconds per pass keeps precision for slow cases.
        results.push({ workload: w.name, impl: r.name as Impl, recordsPerSec: Math.round(n / r.details.mean) });
      }
    }),
  );
  console.log(`kernel ${w.name}: wasm and ts reference done in ${progress.stop().toFixed(0)} s`);
  return results;
}

function measureNative(w: Workload, bin: string): Result {
  const file = join(root, 'bench', '.data', `${w.name}.bin`);
  writeFileSync(file, encodeColumns(w.columns));
  const s = w.spec;
  const kind = { tumbling: 0, hopping: 1, sliding: 2 }[s.kind];
  const args = [file, String(kind), String(s.sizeMs), String(s.advanceMs ?? s.sizeMs), String(s.graceMs ?? 0), s.emit === 'final' ? '1' : '0', String(BATCH)];
  const out = execFileSync(bin, args, { encoding: 'utf8' });
  const line = out.trim().split('\n').pop() ?? '{}';
  const parsed = JSON.parse(line) as { recordsPerSec: number };
  console.log(`native ${w.name}: ${line}`);
  return { workload: w.name, impl: 'native', recordsPerSec: Math.round(parsed.recordsPerSec) };
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : 'n/a';
}

async function main(): Promise<void> {
  mkdirSync(join(root, 'bench', '.data'), { recursive: true });
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const bin = join(root, 'target', 'release', 'native-bench');
  const all: Result[] = [];
  for (const w of kernelWorkloads(scale)) {
    all.push(...(await measureJs(w)));
    all.push(measureNative(w, bin));
  }
  writeFileSync(join(root, 'bench', 'results', 'kernel.json'), `${JSON.stringify(all, null, 2)}\n`);

  const rate = (w: string, impl: Impl) => all.find((r) => r.workload === w && r.impl === impl)?.recordsPerSec;
  const fmt = (x: number | undefined) => (x === undefined ? 'n/a' : x.toLocaleString('en-US'));
  const lines = [
    `Kernel benchmark (records/s, batches of ${BATCH}, emit final, scale ${scale}: ${Math.round(KERNEL_RECORDS * scale).toLocaleString('en-US')} records per workload, JS implementations warmed up on ${Math.min(WARMUP_RECORDS, Math.round(KERNEL_RECORDS * scale)).toLocaleString('en-US')} records first; ${new Date().toISOString()}, node ${process.version})`,
    '',
    `${plan.label}${plan.full ? '' : ' The full run is at scale 1.'}`,
    '',
    '| workload | wasm | ts reference | native | wasm/ts | native/wasm |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...kernelWorkloads(0).map((w) => {
      const [wa, ts, na] = [rate(w.name, 'wasm'), rate(w.name, 'ts'), rate(w.name, 'native')];
      return `| ${w.name} | ${fmt(wa)} | ${fmt(ts)} | ${fmt(na)} | ${ratio(wa, ts)} | ${ratio(na, wa)} |`;
    }),
    '',
    `W2 per-record cost / W1 per-record cost (wasm): ${ratio(rate('W1', 'wasm'), rate('W2', 'wasm'))}`,
  ];
  const table = lines.join('\n');
  writeFileSync(join(root, 'bench', 'results', 'kernel.md'), `${table}\n`);
  console.log(`\n${table}`);
}

await main();
