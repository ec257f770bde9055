/**
 * Boundary tests of the pure-TS reference kernel against outputs worked out by
 * hand from wasm-core/README.md (the arithmetic is in the comments).
 *
 * Sliding windows close when their inclusive end is `< closeTime` (Kafka
 * Streams' `KStreamSlidingWindowAggregate`: a window is updated while
 * `windowEnd >= closeTime`; a record is dropped when `ts + 1 + D <= closeTime`).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceKernel } from '../../../src/wasm/reference-kernel.js';
import { toKernelSpec } from '../../../src/wasm/window-spec.js';
import {
  RecordStatus,
  deriveSpread,
  type WindowSpec,
  type WindowStats,
  type WindowStatsKernel,
} from '../../../src/wasm/window-stats-kernel.js';

const { APPLIED, LATE, INVALID_TIMESTAMP, INVALID_VALUE } = RecordStatus;

type Rec = readonly [key: number, ts: number, value: number];

function ingest(k: WindowStatsKernel, recs: readonly Rec[]): { statuses: number[]; z: number[] | undefined } {
  const cols = k.batch(recs.length);
  recs.forEach(([key, ts, value], i) => {
    cols.keys[i] = key;
    cols.timestamps[i] = ts;
    cols.values[i] = value;
  });
  const out = k.ingest(recs.length);
  return { statuses: Array.from(out.statuses), z: out.zScores && Array.from(out.zScores) };
}

/** Expected row: key, start, end and the moments, computed by hand. */
function w(
  key: number,
  start: number,
  end: number,
  s: { count: number; sum: number; min: number; max: number; mean: number; m2: number },
): WindowStats {
  return { key, start, end, ...s };
}

/** Statistics of a single value v: count 1, mean v, m2 0. */
function one(v: number): { count: number; sum: number; min: number; max: number; mean: number; m2: number } {
  return { count: 1, sum: v, min: v, max: v, mean: v, m2: 0 };
}

function expectRows(actual: readonly WindowStats[], expected: readonly WindowStats[]): void {
  expect(actual.map((r) => [r.key, r.start, r.end, r.count, r.min, r.max])).toEqual(
    expected.map((r) => [r.key, r.start, r.end, r.count, r.min, r.max]),
  );
  actual.forEach((r, i) => {
    const e = expected[i] as WindowStats;
    expect(r.sum).toBeCloseTo(e.sum, 12);
    expect(r.mean).toBeCloseTo(e.mean, 12);
    expect(r.m2).toBeCloseTo(e.m2, 12);
  });
}

const drain = (k: WindowStatsKernel): WindowStats[] => k.drain().toArray();

describe('toKernelSpec / spec validation', () => {
  it('applies the defaults', () => {
    expect(toKernelSpec({ kind: 'tumbling', sizeMs: 10 })).toEqual({
      kind: 'tumbling',
      sizeMs: 10,
      advanceMs: 10, // tumbling: advance = size
      graceMs: 0,
      retentionMs: 10, // size + grace
      emit: 'update',
      zscore: false,
    });
    // tumbling and sliding ignore a given advance
    expect(toKernelSpec({ kind: 'tumbling', sizeMs: 10, advanceMs: 3 }).advanceMs).toBe(10);
    expect(toKernelSpec({ kind: 'sliding', sizeMs: 5, advanceMs: 3, graceMs: 2 })).toMatchObject({
      advanceMs: 5,
      retentionMs: 7, // 5 + 2
    });
    expect(toKernelSpec({ kind: 'hopping', sizeMs: 10, advanceMs: 4, graceMs: 3 })).toMatchObject({
      advanceMs: 4,
      retentionMs: 13, // 10 + 3
    });
    // negative retention means "default", as on the WASM boundary
    expect(toKernelSpec({ kind: 'hopping', sizeMs: 10, advanceMs: 5, graceMs: 1, retentionMs: -1 }).retentionMs).toBe(11);
    expect(toKernelSpec({ kind: 'tumbling', sizeMs: 10, retentionMs: 100, emit: 'final', zscore: true })).toMatchObject({
      retentionMs: 100,
      emit: 'final',
      zscore: true,
    });
  });

  it('rejects invalid fields with messages naming the field and value', () => {
    const bad = (spec: unknown): (() => unknown) => () => toKernelSpec(spec as WindowSpec);
    expect(bad({ kind: 'hopping', sizeMs: 10000, advanceMs: 20000 })).toThrow(
      'TimeWindows: advance must be > 0 and <= size (size 10000 ms, got 20000 ms)',
    );
    expect(bad({ kind: 'hopping', sizeMs: 10, advanceMs: 0 })).toThrow(/advance.*got 0 ms/);
    expect(bad({ kind: 'hopping', sizeMs: 10, advanceMs: 2.5 })).toThrow(/advance.*got 2\.5 ms/);
    expect(bad({ kind: 'session', sizeMs: 10 })).toThrow(/kind .*got 'session'/);
    expect(bad({ kind: 'tumbling', sizeMs: 0 })).toThrow(/TimeWindows: size .*got 0 ms/);
    expect(bad({ kind: 'tumbling', sizeMs: 1.5 })).toThrow(/size .*got 1\.5 ms/);
    expect(bad({ kind: 'tumbling', sizeMs: Number.NaN })).toThrow(/size .*got NaN ms/);
    expect(bad({ kind: 'sliding', sizeMs: -5 })).toThrow(/SlidingWindows: size \(time difference\).*got -5 ms/);
    expect(bad({ kind: 'tumbling', sizeMs: 10, graceMs: -1 })).toThrow(/grace .*got -1 ms/);
    expect(bad({ kind: 'tumbling', sizeMs: 10, graceMs: 5, retentionMs: 12 })).toThrow(
      'TimeWindows: retention must be >= size + grace (size 10 ms, grace 5 ms, got 12 ms)',
    );
    expect(bad({ kind: 'tumbling', sizeMs: 10, emit: 'eager' })).toThrow(/emit .*got 'eager'/);
    expect(bad({ kind: 'tumbling', sizeMs: 10, zscore: 'yes' })).toThrow(/zscore .*got 'yes'/);
  });

  it('the constructor validates with the same rules', () => {
    expect(() => new ReferenceKernel({ kind: 'hopping', sizeMs: 10000, advanceMs: 20000 })).toThrow(
      'TimeWindows: advance must be > 0 and <= size (size 10000 ms, got 20000 ms)',
    );
    expect(new ReferenceKernel({ kind: 'sliding', sizeMs: 5 }).spec).toMatchObject({ advanceMs: 5, retentionMs: 5 });
  });
});

describe('tumbling and hopping window assignment', () => {
  it('tumbling: start inclusive, end exclusive, fractional timestamps floored', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, graceMs: 100 }); // nothing closes
    const { statuses } = ingest(k, [
      [1, 0, 1], // [0,10)   (start inclusive)
      [1, 9.999, 2], // floor 9 -> [0,10)
      [1, 10, 3], // [10,20)  (10 is the end of [0,10), exclusive)
      [1, 19, 4], // [10,20)
      [1, 20, 5], // [20,30)
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED, APPLIED, APPLIED, APPLIED]);
    expect(k.streamTime).toBe(20);
    expectRows(drain(k), [
      // {1,2}: mean 1.5, m2 = 0.5^2 + 0.5^2 = 0.5
      w(1, 0, 10, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }),
      // {3,4}: mean 3.5, m2 = 0.5
      w(1, 10, 20, { count: 2, sum: 7, min: 3, max: 4, mean: 3.5, m2: 0.5 }),
      w(1, 20, 30, one(5)),
    ]);
  });

  it('hopping size 10 advance 5: every window with start <= ts < start + size, start >= 0', () => {
    const k = new ReferenceKernel({ kind: 'hopping', sizeMs: 10, advanceMs: 5, graceMs: 100 });
    ingest(k, [
      [1, 4, 1], // [0,10) only ([-5,5) does not exist)
      [1, 5, 2], // [0,10), [5,15)
      [1, 10, 3], // [5,15), [10,20)  (not [0,10): end exclusive)
    ]);
    expectRows(drain(k), [
      w(1, 0, 10, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }), // {1,2}
      w(1, 5, 15, { count: 2, sum: 5, min: 2, max: 3, mean: 2.5, m2: 0.5 }), // {2,3}
      w(1, 10, 20, one(3)),
    ]);
  });

  it('hopping size 10 advance 4 (not a divisor)', () => {
    const k = new ReferenceKernel({ kind: 'hopping', sizeMs: 10, advanceMs: 4, graceMs: 100 });
    ingest(k, [
      [1, 9, 1], // starts 0, 4, 8   (start in (9-10, 9] = (-1, 9], multiple of 4)
      [1, 12, 2], // starts 4, 8, 12 (start in (2, 12])
      [1, 3, 3], // start 0 only     (start in (-7, 3])
    ]);
    expectRows(drain(k), [
      w(1, 0, 10, { count: 2, sum: 4, min: 1, max: 3, mean: 2, m2: 2 }), // {1,3}: m2 = 1 + 1
      w(1, 4, 14, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }), // {1,2}
      w(1, 8, 18, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }), // {1,2}
      w(1, 12, 22, one(2)),
    ]);
  });
});

describe('stream time, grace and lateness', () => {
  it('grace edge: end == closeTime + 1 is applied, end == closeTime is late', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, graceMs: 5, zscore: true });
    expect(k.streamTime).toBe(Number.NEGATIVE_INFINITY);
    const { statuses, z } = ingest(k, [
      [1, 14, 10], // ST 14, closeTime 9; [10,20)
      [1, 3, 20], // [0,10): end 10 == closeTime + 1 > 9 -> applied
      [1, 15, 30], // ST 15, closeTime 10: [0,10) closes (10 <= 10); applied to [10,20)
      [1, 2, 40], // [0,10): end 10 == closeTime 10 -> late
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED, APPLIED, LATE]);
    expect(Number.isNaN(z?.[3])).toBe(true); // late: z = NaN
    expect(k.lateRecords).toBe(1);
    expect(k.invalidRecords).toBe(0);
    expect(k.streamTime).toBe(15);
    // sealed first ([0,10) without the late 40), then open windows
    expectRows(drain(k), [
      w(1, 0, 10, one(20)),
      w(1, 10, 20, { count: 2, sum: 40, min: 10, max: 30, mean: 20, m2: 200 }), // {10,30}: m2 = 100 + 100
    ]);
  });

  it('a late record does not move stream time and changes no window', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    ingest(k, [[1, 25, 1]]); // ST 25, closeTime 25
    drain(k);
    const { statuses } = ingest(k, [
      [1, 19, 2], // [10,20): 20 <= 25 -> late
      [2, 0, 3], // another key: [0,10) closed too -> late
    ]);
    expect(statuses).toEqual([LATE, LATE]);
    expect(k.lateRecords).toBe(2);
    expect(k.streamTime).toBe(25);
    expect(drain(k)).toEqual([]);
    expect(k.fetch(1, 10)).toBeUndefined();
  });

  it('hopping partial lateness: applied to the open windows only', () => {
    const k = new ReferenceKernel({ kind: 'hopping', sizeMs: 10, advanceMs: 5, zscore: true });
    const { statuses, z } = ingest(k, [
      [1, 12, 1], // ST 12, closeTime 12: [5,15) and [10,20), both open
      [1, 9, 2], // [0,10) closed (10 <= 12), [5,15) open -> applied to [5,15) only
      [1, 4, 3], // newest window [0,10) closed -> late
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED, LATE]);
    // record 12: newest window [10,20) has count 1 -> z = 0
    // record 9: newest window [5,15) = {1,2}: mean 1.5, sample sd sqrt(0.5 / 1) = 0.70710678;
    //           z = (2 - 1.5) / 0.70710678 = 0.70710678
    expect(z?.[0]).toBe(0);
    expect(z?.[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(Number.isNaN(z?.[2])).toBe(true);
    expectRows(drain(k), [
      w(1, 5, 15, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }),
      w(1, 10, 20, one(1)),
    ]);
    expect(k.fetch(1, 0)).toBeUndefined(); // [0,10) never received a record: it does not exist
  });

  it('advanceStreamTime raises stream time like a record, never lowers it, and rejects bad timestamps', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, emit: 'final' });
    ingest(k, [[1, 3, 7]]);
    k.advanceStreamTime(9.9); // floor 9: [0,10) still open
    expect(k.streamTime).toBe(9);
    expect(drain(k)).toEqual([]);
    k.advanceStreamTime(10); // closeTime 10: [0,10) closes
    k.advanceStreamTime(4); // no effect
    expect(k.streamTime).toBe(10);
    expectRows(drain(k), [w(1, 0, 10, one(7))]);
    expect(() => k.advanceStreamTime(Number.NaN)).toThrow(/timestamp/);
    expect(() => k.advanceStreamTime(-1)).toThrow(/timestamp/);
    expect(k.invalidRecords).toBe(0);
  });
});

describe('sliding windows', () => {
  it('records at 10 and 12 with D = 5: [5,10] {10}, [7,12] {10,12}, [11,16] {12}', () => {
    const k = new ReferenceKernel({ kind: 'sliding', sizeMs: 5, zscore: true });
    const { statuses, z } = ingest(k, [
      [1, 10, 1], // ST 10, closeTime 10: left window [5,10] (end 10 >= 10: open)
      // ST 12, closeTime 12: [5,10] closes (10 < 12). Left window [7,12] = {10,12};
      // right window of 10, [11,16], exists because 10 < 12 <= 16: {12}; 12 has no right window.
      [1, 12, 3],
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED]);
    // z against the left window: 10 -> [5,10] count 1 -> 0;
    // 12 -> [7,12] = {1,3}: mean 2, sample sd sqrt(2 / 1) = 1.41421356, z = (3 - 2) / 1.41421356
    expect(z?.[0]).toBe(0);
    expect(z?.[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expectRows(drain(k), [
      w(1, 5, 10, one(1)), // sealed first
      w(1, 7, 12, { count: 2, sum: 4, min: 1, max: 3, mean: 2, m2: 2 }), // m2 = 1 + 1
      w(1, 11, 16, one(3)),
    ]);

    // Inclusive end: a record at 16 lands in [11,16] (which is also 16's left window).
    // ST 16, closeTime 16: [7,12] closes (12 < 16); right window of 12, [13,18], appears (12 < 16 <= 18).
    ingest(k, [[1, 16, 5]]);
    expectRows(drain(k), [
      // [7,12] closed but did not change since the last drain: not emitted again (update mode)
      w(1, 11, 16, { count: 2, sum: 8, min: 3, max: 5, mean: 4, m2: 2 }), // {3,5}
      w(1, 13, 18, one(5)),
    ]);
  });

  it('a window that would be created already closed is never created nor emitted', () => {
    const k = new ReferenceKernel({ kind: 'sliding', sizeMs: 5, emit: 'final', zscore: true });
    const { statuses, z } = ingest(k, [
      [1, 20, 1], // ST 20, closeTime 20: left window [15,20] = {20}
      // 16 + 5 = 21 >= 20: not late. Its left window [11,16] is closed (16 < 20): not created.
      // It joins [15,20] (open: 20 >= 20); its right window [17,22] appears (16 < 20 <= 22) = {20}.
      [1, 16, 2],
      [1, 14, 3], // 14 + 5 = 19 < 20: every window containing 14 is closed -> late
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED, LATE]);
    expect(z?.[0]).toBe(0);
    expect(Number.isNaN(z?.[1])).toBe(true); // applied, but its own (left) window is closed
    expect(Number.isNaN(z?.[2])).toBe(true);
    expect(drain(k)).toEqual([]); // final mode: nothing closed yet
    k.advanceStreamTime(100);
    expectRows(drain(k), [
      // closing order: [15,20] (end 20) before [17,22] (end 22); [11,16] never existed
      w(1, 15, 20, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 }),
      w(1, 17, 22, one(1)),
    ]);
    expect(k.fetch(1, 11)).toBeUndefined();
  });

  it('early records get left windows with negative starts', () => {
    const k = new ReferenceKernel({ kind: 'sliding', sizeMs: 5, graceMs: 10 });
    ingest(k, [
      [1, 2, 4], // left window [-3,2]
      [1, 3, 6], // left window [-2,3] = {2,3}; right window of 2: [3,8] = {3}
    ]);
    expectRows(drain(k), [
      w(1, -3, 2, one(4)),
      w(1, -2, 3, { count: 2, sum: 10, min: 4, max: 6, mean: 5, m2: 2 }),
      w(1, 3, 8, one(6)),
    ]);
  });
});

describe('emission', () => {
  it('final mode: each window exactly once, when it closes, in closing order (ties by key, then start)', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, emit: 'final' });
    ingest(k, [
      [2, 5, 1],
      [1, 7, 2],
      [1, 15, 3], // ST 15, closeTime 15: [0,10) of keys 1 and 2 close (same end: key order)
    ]);
    expectRows(drain(k), [w(1, 0, 10, one(2)), w(2, 0, 10, one(1))]);
    expect(drain(k)).toEqual([]);
    ingest(k, [[2, 25, 4]]); // closeTime 25: key 1 [10,20) closes
    expectRows(drain(k), [w(1, 10, 20, one(3))]);
    k.advanceStreamTime(1000);
    expectRows(drain(k), [w(2, 20, 30, one(4))]);
    k.advanceStreamTime(2000);
    expect(drain(k)).toEqual([]);
  });

  it('closing order sorts by end first when one advance closes several', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, graceMs: 20, emit: 'final' });
    ingest(k, [
      [1, 15, 1], // key 1 [10,20)
      [2, 5, 2], // key 2 [0,10)
    ]);
    k.advanceStreamTime(50); // closeTime 30: both close; [0,10) closes first (end 10 < 20)
    expectRows(drain(k), [w(2, 0, 10, one(2)), w(1, 10, 20, one(1))]);
  });

  it('update mode: changed windows once per drain, sealed ones with their sealed value first', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    ingest(k, [
      [1, 1, 1],
      [1, 2, 2],
    ]);
    expectRows(drain(k), [w(1, 0, 10, { count: 2, sum: 3, min: 1, max: 2, mean: 1.5, m2: 0.5 })]);
    expect(drain(k)).toEqual([]); // nothing changed
    ingest(k, [[1, 3, 3]]);
    // {1,2,3}: mean 2, m2 = 1 + 0 + 1 = 2
    expectRows(drain(k), [w(1, 0, 10, { count: 3, sum: 6, min: 1, max: 3, mean: 2, m2: 2 })]);
    const { statuses } = ingest(k, [
      [1, 4, 4], // [0,10) = {1,2,3,4}
      [1, 12, 5], // ST 12, closeTime 12: [0,10) closes; key 1 [10,20)
      [0, 13, 6], // key 0 [10,20)
      [1, 8, 100], // late: never reaches the sealed [0,10)
    ]);
    expect(statuses).toEqual([APPLIED, APPLIED, APPLIED, LATE]);
    expectRows(drain(k), [
      // sealed: {1,2,3,4}: mean 2.5, m2 = 2.25 + 0.25 + 0.25 + 2.25 = 5
      w(1, 0, 10, { count: 4, sum: 10, min: 1, max: 4, mean: 2.5, m2: 5 }),
      // open, by key then start
      w(0, 10, 20, one(6)),
      w(1, 10, 20, one(5)),
    ]);
    k.advanceStreamTime(100); // closes [10,20) of both keys, but they did not change since the drain
    expect(drain(k)).toEqual([]);
  });
});

describe('z-scores', () => {
  it('against the window including the record, with the sample stddev', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 100, zscore: true });
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const { z } = ingest(
      k,
      values.map((v, i) => [1, i, v] as const),
    );
    expect(z?.[0]).toBe(0); // count 1
    // {2,4}: mean 3, m2 = 1 + 1 = 2, sample var 2 / 1, sd 1.41421356; z = (4 - 3) / 1.41421356 = 0.70710678
    expect(z?.[1]).toBeCloseTo(0.7071067811865476, 12);
    // {2,4,4}: mean 10/3, m2 = (4/3)^2 + 2 (2/3)^2 = 16/9 + 8/9 = 8/3, sample var 4/3, sd 1.15470054;
    // z = (4 - 10/3) / 1.15470054 = 0.66666667 / 1.15470054 = 0.57735027
    expect(z?.[2]).toBeCloseTo(0.5773502691896258, 12);
    // all 8: mean 40/8 = 5, m2 = 9+1+1+1+0+0+4+16 = 32, sample var 32/7 = 4.57142857, sd 2.13808994;
    // z = (9 - 5) / 2.13808994 = 1.87082869
    expect(z?.[7]).toBeCloseTo(1.8708286933869707, 12);
    const [row] = drain(k);
    expect(row).toBeDefined();
    expect(deriveSpread(row as WindowStats).varianceSample).toBeCloseTo(32 / 7, 12);
    expect(deriveSpread(row as WindowStats).variancePop).toBeCloseTo(4, 12);
  });

  it('is 0 when the sample stddev is 0, NaN for records not applied, absent when off', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10, zscore: true });
    const { z } = ingest(k, [
      [1, 1, 3],
      [1, 2, 3], // {3,3}: sd 0 -> z 0
      [1, 3, Number.NaN], // invalid value
      [1, -1, 3], // invalid timestamp
    ]);
    expect(z?.slice(0, 2)).toEqual([0, 0]);
    expect(z?.slice(2).every(Number.isNaN)).toBe(true);
    const off = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    expect(ingest(off, [[1, 1, 3]]).z).toBeUndefined();
  });
});

describe('invalid records', () => {
  it('NaN and ±Infinity values are INVALID_VALUE: counted, not applied, stream time unchanged', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    const { statuses } = ingest(k, [
      [1, 50, Number.NaN],
      [1, 60, Number.POSITIVE_INFINITY],
      [1, 70, Number.NEGATIVE_INFINITY],
    ]);
    expect(statuses).toEqual([INVALID_VALUE, INVALID_VALUE, INVALID_VALUE]);
    expect(k.invalidRecords).toBe(3);
    expect(k.lateRecords).toBe(0);
    expect(k.streamTime).toBe(Number.NEGATIVE_INFINITY);
    expect(drain(k)).toEqual([]);
  });

  it('negative, non-finite and > 2^53 timestamps are INVALID_TIMESTAMP: counted, stream time unchanged', () => {
    const k = new ReferenceKernel({ kind: 'sliding', sizeMs: 10 });
    ingest(k, [[1, 5, 1]]);
    const { statuses } = ingest(k, [
      [1, -1, 1],
      [1, -0.5, 1],
      [1, Number.NaN, 1],
      [1, Number.POSITIVE_INFINITY, 1],
      [1, 2 ** 53 + 2, 1],
      [1, Number.NaN, Number.NaN], // both invalid: the timestamp is checked first
      [1, 0, 2], // valid: ts 0 is fine
    ]);
    expect(statuses).toEqual([
      INVALID_TIMESTAMP,
      INVALID_TIMESTAMP,
      INVALID_TIMESTAMP,
      INVALID_TIMESTAMP,
      INVALID_TIMESTAMP,
      INVALID_TIMESTAMP,
      APPLIED,
    ]);
    expect(k.invalidRecords).toBe(6);
    expect(k.streamTime).toBe(5);
    // 2^53 itself is a valid timestamp
    expect(ingest(k, [[1, 2 ** 53, 1]]).statuses).toEqual([APPLIED]);
    expect(k.streamTime).toBe(2 ** 53);
  });
});

describe('numerics', () => {
  it('values near 1e9 with variance 1e-2 keep 6+ significant digits of variance', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    const xs = [1e9 + 0.1, 1e9 + 0.2, 1e9 + 0.3];
    ingest(
      k,
      xs.map((x, i) => [1, i, x] as const),
    );
    const [row] = drain(k);
    if (row === undefined) throw new Error('no row');
    // mean 1e9 + 0.2; deviations ±0.1, 0: m2 = 0.01 + 0 + 0.01 = 0.02; sample variance 0.02 / 2 = 0.01
    const variance = deriveSpread(row).varianceSample;
    expect(Math.abs(variance - 0.01) / 0.01).toBeLessThan(1e-6);
    // Exactly, the doubles stored are 1e9 + k·2^-23 for k = 838861, 1677722, 2516582 (the nearest
    // multiples of the ulp of 1e9, 2^-23); their sample variance, computed in exact integer
    // arithmetic, is within 1e-9 of what the kernel reports.
    const ks = xs.map((x) => BigInt(Math.round((x - 1e9) * 2 ** 23)));
    expect(ks).toEqual([838861n, 1677722n, 2516582n]);
    const n = BigInt(xs.length);
    const sum = ks.reduce((a, b) => a + b, 0n);
    const sumSq = ks.reduce((a, b) => a + b * b, 0n);
    const exact = Number(n * sumSq - sum * sum) / Number(n * (n - 1n)) / 2 ** 46;
    expect(Math.abs(variance - exact) / exact).toBeLessThan(1e-9);
    expect(row.mean).toBeCloseTo(1e9 + 0.2, 6);
    expect(row.sum).toBeCloseTo(3e9 + 0.6, 5);
  });
});

describe('protocol', () => {
  it('batch() reuses its columns while they fit and grows them otherwise; ingest(n) checks capacity', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    const a = k.batch(4);
    expect(a.keys.length).toBeGreaterThanOrEqual(4);
    expect(k.batch(2).keys).toBe(a.keys);
    const b = k.batch(1000);
    expect(b.values.length).toBeGreaterThanOrEqual(1000);
    expect(() => k.ingest(b.values.length + 1)).toThrow(/capacity/);
    expect(() => k.batch(-1)).toThrow(/capacity/);
    expect(k.ingest(0).statuses.length).toBe(0);
  });

  it('exportState/importState round-trips mid-stream; another spec is refused', () => {
    const spec: WindowSpec = { kind: 'sliding', sizeMs: 5, graceMs: 2, zscore: true };
    const a = new ReferenceKernel(spec);
    ingest(a, [
      [1, 10, 1],
      [1, 12, 3],
      [2, 11, 4],
    ]);
    const b = new ReferenceKernel(spec);
    b.importState(a.exportState());
    expect(b.streamTime).toBe(12);
    const next: Rec[] = [
      [1, 16, 5],
      [2, 9, 1],
      [1, 3, 9],
    ];
    expect(ingest(b, next)).toEqual(ingest(a, next));
    expect(drain(b)).toEqual(drain(a));
    expect(b.lateRecords).toBe(a.lateRecords);
    expect(() => new ReferenceKernel({ ...spec, graceMs: 3 }).importState(a.exportState())).toThrow(/STATE_MISMATCH/);
    expect(() => b.importState(new TextEncoder().encode('nope'))).toThrow(/STATE_CORRUPT/);
  });

  it('fetch answers open windows and closed ones within retention', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 }); // retention 10
    ingest(k, [[1, 5, 1]]);
    expect(k.fetch(1, 0)).toEqual(w(1, 0, 10, one(1)));
    k.advanceStreamTime(10); // closeTime 10: [0,10) sealed; kept while start 0 >= closeTime - retention = 0
    expect(k.fetch(1, 0)).toEqual(w(1, 0, 10, one(1)));
    k.advanceStreamTime(11); // 0 < 11 - 10: evicted
    expect(k.fetch(1, 0)).toBeUndefined();
  });

  it('close() makes further calls throw', () => {
    const k = new ReferenceKernel({ kind: 'tumbling', sizeMs: 10 });
    k.close();
    expect(() => k.batch(1)).toThrow(/closed/);
    expect(() => k.ingest(0)).toThrow(/closed/);
    expect(() => k.drain()).toThrow(/closed/);
    expect(() => k.streamTime).toThrow(/closed/);
    expect(() => k.exportState()).toThrow(/closed/);
  });
});
