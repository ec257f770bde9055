import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Suppressed } from '../../src/dsl/suppressed.js';
import { TimeWindows, type Windowed } from '../../src/dsl/windows.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import type { ConsumerRecord } from '../../src/transport/transport.js';

/**
 * The application of the crash scenarios, shared by in-process instances and
 * the child-process runner (crash-runner.ts) so both run the same topology.
 */
export interface CrashTopics {
  readonly input: string;
  /** Running aggregate per key: one record per input record. */
  readonly aggregates: string;
  /** Final count per (key, window), keyed `<key>@<window start>`. */
  readonly windows: string;
}

export const WINDOW_MS = 5_000;

export interface Agg {
  readonly n: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

export interface Reading {
  readonly v: number;
}

export function crashTopology(t: CrashTopics): Topology {
  const b = new StreamsBuilder();
  // An asynchronous UDF first, with latencies that make calls finish out of order: the running
  // aggregates downstream are only exact if it keeps input order and commits nothing in flight.
  const input = b
    .stream<string, Reading>(t.input, { keySerde: Serdes.string(), valueSerde: Serdes.json<Reading>() })
    .mapValuesAsync(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, r.v % 3));
      return r;
    }, { concurrency: 16, name: 'async-udf' });
  const grouped = input.groupByKey();
  grouped
    .aggregate<Agg>(
      () => ({ n: 0, sum: 0, min: Number.MAX_SAFE_INTEGER, max: Number.MIN_SAFE_INTEGER }),
      (_k, r, a) => ({ n: a.n + 1, sum: a.sum + r.v, min: Math.min(a.min, r.v), max: Math.max(a.max, r.v) }),
      // No caching: every input record yields exactly one output record.
      { storeName: 'agg-store', cachingEnabled: false },
    )
    .toStream()
    .to(t.aggregates, { keySerde: Serdes.string(), valueSerde: Serdes.json<Agg>() });
  grouped
    .windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW_MS))
    .count({ storeName: 'window-store' })
    .suppress(Suppressed.untilWindowCloses(), { name: 'final-counts' })
    .toStream()
    .map((wk: Windowed<string>, n: number) => ({ key: `${wk.key}@${wk.window.start}`, value: n }))
    .to(t.windows, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
  return b.build();
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Values are distinct and unordered so sums, mins and maxes tell records apart. */
export function dataset(n: number, keys: number, baseTs: number, stepMs: number): { key: string; value: Reading; timestamp: number }[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `k-${(i * 7919) % keys}`,
    value: { v: ((i * 104_729) % 1_000_003) - 500_000 },
    timestamp: baseTs + i * stepMs,
  }));
}

export const keyOf = (r: ConsumerRecord): string => (r.key === null ? 'null' : dec.decode(r.key));
export const jsonOf = <T>(r: ConsumerRecord): T => JSON.parse(dec.decode(r.value ?? enc.encode('null'))) as T;

function byPartition(records: readonly ConsumerRecord[]): Map<number, ConsumerRecord[]> {
  const m = new Map<number, ConsumerRecord[]>();
  for (const r of records) {
    let l = m.get(r.partition);
    if (l === undefined) m.set(r.partition, (l = []));
    l.push(r);
  }
  for (const l of m.values()) l.sort((a, b) => a.offset - b.offset);
  return m;
}

function step(a: Agg | undefined, v: number): Agg {
  const p = a ?? { n: 0, sum: 0, min: Number.MAX_SAFE_INTEGER, max: Number.MIN_SAFE_INTEGER };
  return { n: p.n + 1, sum: p.sum + v, min: Math.min(p.min, v), max: Math.max(p.max, v) };
}
const show = (k: string, a: Agg): string => `${k} n=${a.n} sum=${a.sum} min=${a.min} max=${a.max}`;

/**
 * Exactly-once check of the aggregates: output partition p must be the running
 * aggregate after each input record of partition p, in order (output and
 * input are co-partitioned by key). Returns the problems (empty: exact).
 */
export function checkAggregatesExact(input: readonly ConsumerRecord[], output: readonly ConsumerRecord[]): string[] {
  const problems: string[] = [];
  const inParts = byPartition(input);
  const outParts = byPartition(output);
  for (const p of new Set([...inParts.keys(), ...outParts.keys()])) {
    const ins = inParts.get(p) ?? [];
    const outs = outParts.get(p) ?? [];
    const state = new Map<string, Agg>();
    const expected = ins.map((r) => {
      const k = keyOf(r);
      const a = step(state.get(k), jsonOf<Reading>(r).v);
      state.set(k, a);
      return show(k, a);
    });
    const actual = outs.map((r) => show(keyOf(r), jsonOf<Agg>(r)));
    if (expected.length !== actual.length) problems.push(`partition ${p}: ${actual.length} output records, expected ${expected.length}`);
    const i = expected.findIndex((e, j) => actual[j] !== e);
    if (i >= 0) problems.push(`partition ${p}: first difference at #${i}: got "${actual[i] ?? '(missing)'}", expected "${expected[i]}"`);
  }
  return problems;
}

/** At-least-once check: per key, how the final aggregate compares and how many records are extra. */
export function checkAggregatesAtLeastOnce(input: readonly ConsumerRecord[], output: readonly ConsumerRecord[]): {
  lost: string[];
  inflatedKeys: number;
  duplicates: number;
  keys: number;
} {
  const want = new Map<string, Agg>();
  for (const r of [...input].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) want.set(keyOf(r), step(want.get(keyOf(r)), jsonOf<Reading>(r).v));
  const last = new Map<string, Agg>();
  const seen = new Map<string, Set<number>>();
  for (const l of byPartition(output).values()) {
    for (const r of l) {
      const a = jsonOf<Agg>(r);
      last.set(keyOf(r), a);
      let s = seen.get(keyOf(r));
      if (s === undefined) seen.set(keyOf(r), (s = new Set()));
      s.add(a.n);
    }
  }
  const lost: string[] = [];
  let inflated = 0;
  for (const [k, w] of want) {
    const got = last.get(k);
    // Every n from 1 to the expected count must have been emitted, and the final count can only be higher.
    const s = seen.get(k) ?? new Set<number>();
    let missing = 0;
    for (let n = 1; n <= w.n; n++) if (!s.has(n)) missing++;
    if (got === undefined || got.n < w.n || missing > 0) lost.push(`${k}: final ${got === undefined ? 'none' : show(k, got)}, expected ${show(k, w)}, ${missing} counts never emitted`);
    else if (got.n !== w.n || got.sum !== w.sum || got.min !== w.min || got.max !== w.max) inflated++;
  }
  return { lost, inflatedKeys: inflated, duplicates: output.length - input.length, keys: want.size };
}

/**
 * Windowed counts: every (key, window) that closed — its end is at or before
 * the stream time of its input partition — has the right count, once.
 */
export function checkWindows(input: readonly ConsumerRecord[], output: readonly ConsumerRecord[]): { missing: string[]; wrong: string[]; duplicates: number; unexpected: string[]; expected: number } {
  const want = new Map<string, number>();
  for (const l of byPartition(input).values()) {
    const streamTime = Math.max(...l.map((r) => r.timestamp));
    for (const r of l) {
      const start = r.timestamp - (r.timestamp % WINDOW_MS);
      if (start + WINDOW_MS > streamTime) continue;
      const id = `${keyOf(r)}@${start}`;
      want.set(id, (want.get(id) ?? 0) + 1);
    }
  }
  const got = new Map<string, number[]>();
  for (const r of output) {
    const l = got.get(keyOf(r)) ?? [];
    l.push(jsonOf<number>(r));
    got.set(keyOf(r), l);
  }
  const missing: string[] = [];
  const wrong: string[] = [];
  let duplicates = 0;
  for (const [id, n] of want) {
    const g = got.get(id);
    if (g === undefined) missing.push(id);
    else {
      duplicates += g.length - 1;
      if (g.some((x) => x !== n)) wrong.push(`${id}: got ${g.join(',')}, expected ${n}`);
    }
  }
  const unexpected = [...got.keys()].filter((id) => !want.has(id));
  return { missing, wrong, duplicates, unexpected, expected: want.size };
}
