/**
 * Differential property tests: two `WindowStatsKernel` implementations must agree
 * on every observable result over thousands of random streams.
 *
 * - ReferenceKernel vs BruteForceKernel (an independent, recompute-everything
 *   oracle in test/support): always.
 * - WasmWindowKernel vs ReferenceKernel: whenever src/wasm/wasm-window-kernel.ts
 *   exists (a failure to load it fails the suite).
 *
 * Streams come from a seeded PRNG (mulberry32); a failure message names the seed
 * and the step, and `runStream(seed, kind, index, ...)` replays exactly that stream.
 */
import { describe, expect, it } from 'vitest';
import type { WindowSpec, WindowStats, WindowStatsKernel } from '../../src/wasm/window-stats-kernel.js';
import { ReferenceKernel } from '../../src/wasm/reference-kernel.js';
import { BruteForceKernel } from '../support/brute-force-kernel.js';
import { makeKernelFactories, type KernelFactory } from '../support/kernels.js';
import { seededRandom as mulberry32 } from '../../src/testing/seeded-random.js';

// ------------------------------------------------------------------ PRNG


class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
}

// ------------------------------------------------------------- generators

type Kind = WindowSpec['kind'];

/** Stream `index` of a kind cycles through emit mode × zscore × (grace 0 | grace > 0). */
function randomSpec(rng: Rng, kind: Kind, index: number): WindowSpec {
  const emit = index % 2 === 0 ? 'update' : 'final';
  const zscore = (index >> 1) % 2 === 1;
  const grace = (index >> 2) % 2 === 0 ? 0 : rng.int(1, 8);
  let sizeMs: number;
  let advanceMs: number | undefined;
  if (kind === 'tumbling') {
    sizeMs = rng.int(1, 12);
  } else if (kind === 'hopping') {
    if (rng.chance(0.2)) {
      sizeMs = 10;
      advanceMs = 4; // not a divisor of the size
    } else {
      sizeMs = rng.int(2, 12);
      advanceMs = rng.int(1, sizeMs);
    }
  } else {
    sizeMs = rng.int(1, 8);
  }
  const spec: { -readonly [K in keyof WindowSpec]: WindowSpec[K] } = { kind, sizeMs, graceMs: grace, emit, zscore };
  if (advanceMs !== undefined) spec.advanceMs = advanceMs;
  if (rng.chance(0.3)) spec.retentionMs = sizeMs + grace + rng.int(0, 20);
  return spec;
}

interface Rec {
  key: number;
  ts: number;
  value: number;
}

type Step =
  | { op: 'batch'; records: Rec[]; capacity: number }
  | { op: 'advance'; ts: number }
  | { op: 'drain' }
  | { op: 'roundtrip' };

const INVALID_TS = [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53 + 2];
const INVALID_VALUES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

function randomSteps(rng: Rng): Step[] {
  const keyPool = [0, 1, 2, 7, 4294967295];
  const keys = Array.from({ length: rng.int(1, 3) }, () => rng.pick(keyPool));
  const disorder = rng.pick([0, 2, 5, 12]);
  let cursor = rng.int(0, 20);
  const steps: Step[] = [];
  const batches = rng.int(2, 6);
  for (let b = 0; b < batches; b++) {
    const n = rng.int(0, 16);
    const records: Rec[] = [];
    for (let i = 0; i < n; i++) {
      let ts = Math.max(0, cursor + rng.int(-disorder, 3));
      if (rng.chance(0.1)) ts += 0.5; // fractional: floored
      if (rng.chance(0.03)) ts = rng.pick(INVALID_TS);
      let value = rng.chance(0.5) ? rng.int(-5, 5) : Math.round((rng.float() * 200 - 100) * 100) / 100;
      if (rng.chance(0.03)) value = rng.pick(INVALID_VALUES);
      records.push({ key: rng.pick(keys), ts, value });
      cursor += rng.int(0, 2);
    }
    steps.push({ op: 'batch', records, capacity: n + (rng.chance(0.5) ? 0 : rng.int(1, 40)) });
    if (rng.chance(0.3)) steps.push({ op: 'advance', ts: Math.max(0, cursor + rng.int(-5, 10)) });
    if (rng.chance(0.1)) steps.push({ op: 'roundtrip' });
    if (rng.chance(0.6)) steps.push({ op: 'drain' });
  }
  steps.push({ op: 'advance', ts: 1_000_000 }, { op: 'drain' });
  return steps;
}

// ------------------------------------------------------------- comparison

function near(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

const TOL = 1e-9;

function sameRow(a: WindowStats, b: WindowStats): boolean {
  return (
    a.key === b.key &&
    a.start === b.start &&
    a.end === b.end &&
    a.count === b.count &&
    a.min === b.min &&
    a.max === b.max &&
    near(a.sum, b.sum, TOL) &&
    near(a.mean, b.mean, TOL) &&
    near(a.m2, b.m2, TOL)
  );
}

const byKeyStart = (a: WindowStats, b: WindowStats): number => a.key - b.key || a.start - b.start;

/** Exclusive end of a window: sliding windows' `end` is inclusive (closed when `end < closeTime`). */
function closesAt(kind: Kind, end: number): number {
  return kind === 'sliding' ? end + 1 : end;
}

/** README drain order: sealed windows by (end, key, start), then open ones by (key, start). */
function drainOrderProblem(rows: readonly WindowStats[], kind: Kind, closeTime: number, emit: string): string | undefined {
  let seenOpen = false;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as WindowStats;
    const closed = closesAt(kind, r.end) <= closeTime;
    if (closed && seenOpen) return `row ${i} is closed but follows an open row`;
    if (!closed) {
      if (emit === 'final') return `row ${i} is still open in final mode`;
      seenOpen = true;
    }
    const p = rows[i - 1];
    if (p === undefined) continue;
    const pClosed = closesAt(kind, p.end) <= closeTime;
    if (closed && pClosed && (p.end - r.end || p.key - r.key || p.start - r.start) >= 0) {
      return `sealed rows ${i - 1} and ${i} are not in closing order`;
    }
    if (!closed && !pClosed && byKeyStart(p, r) >= 0) return `open rows ${i - 1} and ${i} are not sorted by key, start`;
  }
  return undefined;
}

class Mismatch extends Error {}

/** What the compared streams exercised, so the suite can assert it is not vacuous. */
interface Coverage {
  applied: number;
  late: number;
  invalid: number;
  nonZeroZ: number;
  sealedRows: number;
  openRows: number;
  roundtrips: number;
}

function emptyCoverage(): Coverage {
  return { applied: 0, late: 0, invalid: 0, nonZeroZ: 0, sealedRows: 0, openRows: 0, roundtrips: 0 };
}

/** Runs one stream through two kernels and throws a `Mismatch` describing the first difference. */
function runStream(
  seed: number,
  kind: Kind,
  index: number,
  makeA: KernelFactory,
  makeB: KernelFactory,
  cov: Coverage = emptyCoverage(),
): Coverage {
  const rng = new Rng(seed);
  const spec = randomSpec(rng, kind, index);
  const steps = randomSteps(rng);
  let a: WindowStatsKernel = makeA(spec);
  let b: WindowStatsKernel = makeB(spec);
  const grace = a.spec.graceMs;
  const emittedA = new Set<string>();
  const emittedB = new Set<string>();
  const fail = (step: number, what: string): never => {
    throw new Mismatch(
      `seed ${seed} (${kind} #${index}) step ${step}: ${what}\nspec ${JSON.stringify(spec)}\nsteps ${JSON.stringify(
        steps.slice(0, step + 1),
      )}`,
    );
  };
  try {
    steps.forEach((step, s) => {
      switch (step.op) {
        case 'batch': {
          const outs = [a, b].map((k) => {
            const cols = k.batch(step.capacity);
            step.records.forEach((r, i) => {
              cols.keys[i] = r.key;
              cols.timestamps[i] = r.ts;
              cols.values[i] = r.value;
            });
            const out = k.ingest(step.records.length);
            return { statuses: Array.from(out.statuses), z: out.zScores && Array.from(out.zScores) };
          });
          const [oa, ob] = outs as [(typeof outs)[0], (typeof outs)[0]];
          if (oa.statuses.length !== step.records.length) fail(s, `A returned ${oa.statuses.length} statuses`);
          for (const st of oa.statuses) {
            if (st === 0) cov.applied++;
            else if (st === 1) cov.late++;
            else cov.invalid++;
          }
          for (const z of oa.z ?? []) if (z !== 0 && !Number.isNaN(z)) cov.nonZeroZ++;
          for (let i = 0; i < step.records.length; i++) {
            if (oa.statuses[i] !== ob.statuses[i]) {
              fail(s, `record ${i} ${JSON.stringify(step.records[i])}: status ${oa.statuses[i]} vs ${ob.statuses[i]}`);
            }
          }
          if (spec.zscore) {
            if (oa.z === undefined || ob.z === undefined) fail(s, 'zScores missing with zscore on');
            for (let i = 0; i < step.records.length; i++) {
              const za = oa.z?.[i] as number;
              const zb = ob.z?.[i] as number;
              if (!near(za, zb, TOL)) fail(s, `record ${i} ${JSON.stringify(step.records[i])}: z ${za} vs ${zb}`);
            }
          } else if (oa.z !== undefined || ob.z !== undefined) {
            fail(s, 'zScores present with zscore off');
          }
          break;
        }
        case 'advance':
          a.advanceStreamTime(step.ts);
          b.advanceStreamTime(step.ts);
          break;
        case 'roundtrip': {
          const ra = makeA(spec);
          ra.importState(a.exportState());
          a.close();
          a = ra;
          const rb = makeB(spec);
          rb.importState(b.exportState());
          b.close();
          b = rb;
          cov.roundtrips++;
          break;
        }
        case 'drain': {
          const closeTime = a.streamTime - grace;
          const da = a.drain().toArray();
          const db = b.drain().toArray();
          for (const [label, rows] of [['A', da], ['B', db]] as const) {
            const problem = drainOrderProblem(rows, kind, closeTime, spec.emit ?? 'update');
            if (problem !== undefined) fail(s, `${label} drain order: ${problem}: ${JSON.stringify(rows)}`);
          }
          const sa = [...da].sort(byKeyStart);
          const sb = [...db].sort(byKeyStart);
          if (sa.length !== sb.length || sa.some((r, i) => !sameRow(r, sb[i] as WindowStats))) {
            fail(s, `drained rows differ:\nA ${JSON.stringify(sa)}\nB ${JSON.stringify(sb)}`);
          }
          for (let i = 1; i < sa.length; i++) {
            if (byKeyStart(sa[i - 1] as WindowStats, sa[i] as WindowStats) === 0) fail(s, 'a window drained twice');
          }
          if (spec.emit === 'final') {
            for (const [set, rows] of [[emittedA, sa], [emittedB, sb]] as const) {
              for (const r of rows) {
                const id = `${r.key}:${r.start}`;
                if (set.has(id)) fail(s, `final mode emitted ${id} twice`);
                set.add(id);
              }
            }
          }
          // Open windows are fetched exactly by both.
          for (const r of sa) {
            if (closesAt(kind, r.end) <= closeTime) continue;
            const fa = a.fetch(r.key, r.start);
            const fb = b.fetch(r.key, r.start);
            if (fa === undefined || fb === undefined || !sameRow(fa, fb)) {
              fail(s, `fetch(${r.key}, ${r.start}): ${JSON.stringify(fa)} vs ${JSON.stringify(fb)}`);
            }
          }
          for (const r of sa) {
            if (closesAt(kind, r.end) <= closeTime) cov.sealedRows++;
            else cov.openRows++;
          }
          break;
        }
      }
      if (a.streamTime !== b.streamTime) fail(s, `streamTime ${a.streamTime} vs ${b.streamTime}`);
      if (a.lateRecords !== b.lateRecords) fail(s, `lateRecords ${a.lateRecords} vs ${b.lateRecords}`);
      if (a.invalidRecords !== b.invalidRecords) fail(s, `invalidRecords ${a.invalidRecords} vs ${b.invalidRecords}`);
    });
  } finally {
    a.close();
    b.close();
  }
  return cov;
}

const STREAMS_PER_KIND = 1000; // × 3 kinds = 3000 streams per pair of kernels
const KINDS: readonly Kind[] = ['tumbling', 'hopping', 'sliding'];
const BASE_SEED: Readonly<Record<Kind, number>> = { tumbling: 0x1000, hopping: 0x2000, sliding: 0x3000 };

function runMany(kind: Kind, makeA: KernelFactory, makeB: KernelFactory): Coverage {
  const cov = emptyCoverage();
  for (let i = 0; i < STREAMS_PER_KIND; i++) runStream(BASE_SEED[kind] + i, kind, i, makeA, makeB, cov);
  return cov;
}

/** Every category of behaviour shows up often enough for the comparison to mean something. */
function expectCoverage(cov: Coverage): void {
  expect(cov.applied).toBeGreaterThan(10 * STREAMS_PER_KIND);
  expect(cov.late).toBeGreaterThan(STREAMS_PER_KIND / 2);
  expect(cov.invalid).toBeGreaterThan(STREAMS_PER_KIND / 4);
  expect(cov.nonZeroZ).toBeGreaterThan(STREAMS_PER_KIND);
  expect(cov.sealedRows).toBeGreaterThan(STREAMS_PER_KIND);
  expect(cov.openRows).toBeGreaterThan(STREAMS_PER_KIND / 2);
  expect(cov.roundtrips).toBeGreaterThan(STREAMS_PER_KIND / 10);
}

// ----------------------------------------------------------------- suites

const loaded = await makeKernelFactories().then(
  (factories) => ({ factories, error: undefined }),
  (error: unknown) => ({ factories: undefined, error }),
);

describe('ReferenceKernel vs BruteForceKernel (independent oracle)', () => {
  for (const kind of KINDS) {
    it(`${kind}: ${STREAMS_PER_KIND} random streams agree`, () => {
      const cov = runMany(kind, (s) => new ReferenceKernel(s), (s) => new BruteForceKernel(s));
      expectCoverage(cov);
    });
  }
});

describe.skipIf(loaded.factories !== undefined && loaded.factories.wasm === undefined)(
  'WasmWindowKernel vs ReferenceKernel',
  () => {
    it('the WASM kernel module loads', () => {
      if (loaded.error !== undefined) throw loaded.error;
      expect(loaded.factories?.wasm).toBeTypeOf('function');
    });
    for (const kind of KINDS) {
      it(`${kind}: ${STREAMS_PER_KIND} random streams agree`, () => {
        const f = loaded.factories;
        if (f?.wasm === undefined) throw loaded.error ?? new Error('WASM kernel factory missing');
        expectCoverage(runMany(kind, f.wasm, f.reference));
      });
    }
  },
);
