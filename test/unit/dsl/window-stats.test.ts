import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Suppressed } from '../../../src/dsl/suppressed.js';
import { SlidingWindows, TimeWindows, type Windowed } from '../../../src/dsl/windows.js';
import type { Anomaly, WindowStatistics } from '../../../src/processors/window-stats.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// The WASM-backed stats() and anomalies() through the driver. Expected values are
// computed by hand: mean = sum / n, m2 = sum((x - mean)^2), sample variance
// m2 / (n - 1) (NaN for n = 1), population variance m2 / n. Outputs use msgpack,
// which keeps NaN (JSON would turn it into null).

interface Reading {
  readonly v: number | string | null;
}
const str = Serdes.string();
const readings = Serdes.json<Reading>();
const wkey = Serdes.msgpack<Windowed<string>>();
const statsSerde = Serdes.msgpack<WindowStatistics>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

/** Expected statistics from a list of values, spelled out (no shared code with the kernel). */
function expectStats(actual: WindowStatistics | null | undefined, e: { n: number; sum: number; mean: number; min: number; max: number; m2: number }): void {
  expect(actual).toBeDefined();
  const a = actual as WindowStatistics;
  expect(a.count).toBe(e.n);
  expect(a.sum).toBeCloseTo(e.sum, 9);
  expect(a.mean).toBeCloseTo(e.mean, 9);
  expect(a.min).toBe(e.min);
  expect(a.max).toBe(e.max);
  expect(a.variancePop).toBeCloseTo(e.m2 / e.n, 9);
  expect(a.stddevPop).toBeCloseTo(Math.sqrt(e.m2 / e.n), 9);
  if (e.n < 2) {
    expect(a.variance).toBeNaN();
    expect(a.stddev).toBeNaN();
  } else {
    expect(a.variance).toBeCloseTo(e.m2 / (e.n - 1), 9);
    expect(a.stddev).toBeCloseTo(Math.sqrt(e.m2 / (e.n - 1)), 9);
  }
}

function statsTopology(windows: TimeWindows | SlidingWindows, final = false) {
  const b = new StreamsBuilder();
  const table = b
    .stream<string, Reading>('readings', { keySerde: str, valueSerde: readings })
    .groupByKey()
    .windowedBy(windows as TimeWindows)
    .stats((r) => Number(r.v), { storeName: 'stats' });
  (final ? table.suppress(Suppressed.untilWindowCloses()) : table).toStream().to('stats', { keySerde: wkey, valueSerde: statsSerde });
  return b.build();
}

const win = (r: { key: Windowed<string> | null }) => `${r.key?.key}@${r.key?.window.start}..${r.key?.window.end}`;

describe('stats() over tumbling windows', () => {
  it('emits the updated window statistics after each record', () => {
    const d = (driver = new TopologyTestDriver(statsTopology(TimeWindows.ofSizeAndGrace(10, 100))));
    const input = d.createInputTopic('readings', str, readings);
    const out = d.createOutputTopic('stats', wkey, statsSerde);
    input.pipeInput('d', { v: 2 }, 1);
    input.pipeInput('d', { v: 4 }, 3);
    input.pipeInput('d', { v: 9 }, 5);
    input.pipeInput('d', { v: 7 }, 12);
    const rs = out.readRecordsToList();
    expect(rs.map(win)).toEqual(['d@0..10', 'd@0..10', 'd@0..10', 'd@10..20']);
    // Results carry the last instant of their window: end - 1.
    expect(rs.map((r) => r.timestamp)).toEqual([9, 9, 9, 19]);
    // {2}: n 1, mean 2, m2 0.
    expectStats(rs[0]?.value, { n: 1, sum: 2, mean: 2, min: 2, max: 2, m2: 0 });
    // {2, 4}: mean 3, m2 = 1 + 1 = 2 -> sample variance 2, stddev sqrt 2; population variance 1.
    expectStats(rs[1]?.value, { n: 2, sum: 6, mean: 3, min: 2, max: 4, m2: 2 });
    // {2, 4, 9}: mean 5, m2 = 9 + 1 + 16 = 26 -> sample variance 13.
    expectStats(rs[2]?.value, { n: 3, sum: 15, mean: 5, min: 2, max: 9, m2: 26 });
    // t = 12 opens [10,20): {7}.
    expectStats(rs[3]?.value, { n: 1, sum: 7, mean: 7, min: 7, max: 7, m2: 0 });
  });

  it('dead-letters values that are not finite numbers and skips null values, without crashing', () => {
    const d = (driver = new TopologyTestDriver(statsTopology(TimeWindows.ofSizeAndGrace(10, 100))));
    const input = d.createInputTopic('readings', str, readings);
    const out = d.createOutputTopic('stats', wkey, statsSerde);
    input.pipeInput('d', { v: 3 }, 1);
    input.pipeInput('d', { v: 'abc' }, 2); // Number('abc') = NaN
    input.pipeInput('d', { v: null }, 3); //  Number(null) = 0 -> a valid 0!
    input.pipeInput('d', null, 4); //         null value -> skipped as null-value, as every aggregation
    input.pipeInput('d', { v: 5 }, 5);
    const rs = out.readRecordsToList();
    // Emitted after the records that changed the window: 3, null (as 0), 5.
    expect(rs.map(win)).toEqual(['d@0..10', 'd@0..10', 'd@0..10']);
    // {3, 0, 5}: sum 8, mean 8/3, m2 = (1/3)^2 + (8/3)^2 + (7/3)^2 = (1 + 64 + 49) / 9 = 114/9.
    expectStats(rs[2]?.value, { n: 3, sum: 8, mean: 8 / 3, min: 0, max: 5, m2: 114 / 9 });
    expect(d.metrics().dropped['invalid-value']).toBe(1);
    expect(d.metrics().dropped['null-value']).toBe(1);
    expect(d.recordsOf('test-dlq')).toHaveLength(1);
    expect(d.metrics().processed).toBe(5);
  });
});

describe('stats() over hopping windows', () => {
  it('updates every window containing the record', () => {
    // size 10, advance 5: t=2 in [0,10); t=7 in [0,10) and [5,15); t=12 in [5,15) and [10,20).
    const d = (driver = new TopologyTestDriver(statsTopology(TimeWindows.ofSizeAndGrace(10, 100).advanceBy(5))));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('h', { v: 1 }, 2);
    input.pipeInput('h', { v: 3 }, 7);
    input.pipeInput('h', { v: 8 }, 12);
    const rs = d.createOutputTopic('stats', wkey, statsSerde).readRecordsToList();
    expect(rs.map(win)).toEqual(['h@0..10', 'h@0..10', 'h@5..15', 'h@5..15', 'h@10..20']);
    expectStats(rs[0]?.value, { n: 1, sum: 1, mean: 1, min: 1, max: 1, m2: 0 });
    // [0,10) = {1, 3}: mean 2, m2 2.
    expectStats(rs[1]?.value, { n: 2, sum: 4, mean: 2, min: 1, max: 3, m2: 2 });
    expectStats(rs[2]?.value, { n: 1, sum: 3, mean: 3, min: 3, max: 3, m2: 0 });
    // [5,15) = {3, 8}: mean 5.5, m2 = 2.5^2 * 2 = 12.5.
    expectStats(rs[3]?.value, { n: 2, sum: 11, mean: 5.5, min: 3, max: 8, m2: 12.5 });
    expectStats(rs[4]?.value, { n: 1, sum: 8, mean: 8, min: 8, max: 8, m2: 0 });
  });
});

describe('stats() over sliding windows', () => {
  it('maintains left windows [t - D, t] and the right windows records create (KIP-450)', () => {
    // D = 10. Records at 15 (v 1), 22 (v 3), 30 (v 5); ends inclusive.
    // t=15: left [5,15] = {1}.
    // t=22: left [12,22] = {15, 22} -> {1, 3}; 22 lies in 15's right window [16,26] -> {3}.
    // t=30: left [20,30] = {22, 30} -> {3, 5}; 30 lies in 22's right window [23,33] -> {5};
    //       [16,26] and [12,22] do not contain 30: unchanged, not re-emitted.
    const d = (driver = new TopologyTestDriver(statsTopology(SlidingWindows.ofTimeDifferenceAndGrace(10, 100))));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('s', { v: 1 }, 15);
    input.pipeInput('s', { v: 3 }, 22);
    input.pipeInput('s', { v: 5 }, 30);
    const rs = d.createOutputTopic('stats', wkey, statsSerde).readRecordsToList();
    expect(rs.map(win)).toEqual(['s@5..15', 's@12..22', 's@16..26', 's@20..30', 's@23..33']);
    // Sliding results carry their (inclusive) end as timestamp.
    expect(rs.map((r) => r.timestamp)).toEqual([15, 22, 26, 30, 33]);
    expectStats(rs[0]?.value, { n: 1, sum: 1, mean: 1, min: 1, max: 1, m2: 0 });
    expectStats(rs[1]?.value, { n: 2, sum: 4, mean: 2, min: 1, max: 3, m2: 2 });
    expectStats(rs[2]?.value, { n: 1, sum: 3, mean: 3, min: 3, max: 3, m2: 0 });
    expectStats(rs[3]?.value, { n: 2, sum: 8, mean: 4, min: 3, max: 5, m2: 2 });
    expectStats(rs[4]?.value, { n: 1, sum: 5, mean: 5, min: 5, max: 5, m2: 0 });
  });
});

describe('stats() over sliding windows: lateness', () => {
  it('accepts an out-of-order record while some window containing it is open, drops it when ts + D < streamTime - grace', () => {
    // D = 10, grace 0. t=20: left window [10,20] = {1}. Stream time 20, close time 20.
    // t=10 (v 3): 10 + 10 = 20 is not < 20 -> on time. Its own left window [0,10] ended before
    //   the close time and is never created; it joins [10,20] -> {1, 3}; its right window
    //   [11,21] exists because 20 lies in (10, 21] -> {1}.
    // t=9: 9 + 10 = 19 < 20 -> late.
    const d = (driver = new TopologyTestDriver(statsTopology(SlidingWindows.ofTimeDifferenceWithNoGrace(10))));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('s', { v: 1 }, 20);
    input.pipeInput('s', { v: 3 }, 10);
    input.pipeInput('s', { v: 5 }, 9);
    const rs = d.createOutputTopic('stats', wkey, statsSerde).readRecordsToList();
    expect(rs.map(win)).toEqual(['s@10..20', 's@10..20', 's@11..21']);
    expectStats(rs[0]?.value, { n: 1, sum: 1, mean: 1, min: 1, max: 1, m2: 0 });
    expectStats(rs[1]?.value, { n: 2, sum: 4, mean: 2, min: 1, max: 3, m2: 2 });
    expectStats(rs[2]?.value, { n: 1, sum: 1, mean: 1, min: 1, max: 1, m2: 0 });
    expect(d.metrics().dropped.late).toBe(1);
  });
});

describe('stats().suppress(untilWindowCloses())', () => {
  it('emits each window once, when stream time reaches end + grace; late records are counted', () => {
    // Tumbling 10, grace 5: [0,10) closes at stream time 15, [10,20) at 25.
    const d = (driver = new TopologyTestDriver(statsTopology(TimeWindows.ofSizeAndGrace(10, 5), true)));
    const input = d.createInputTopic('readings', str, readings);
    const out = d.createOutputTopic('stats', wkey, statsSerde);
    input.pipeInput('d', { v: 2 }, 1);
    input.pipeInput('d', { v: 4 }, 4);
    input.pipeInput('d', { v: 10 }, 12);
    input.pipeInput('d', { v: 1 }, 14); // stream time 14: close time 9 < 10, [0,10) open
    input.pipeInput('d', { v: 6 }, 9); //  still in grace: applied to [0,10)
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('d', { v: 3 }, 15); // close time 10: [0,10) closes -> emitted once
    const first = out.readRecordsToList();
    expect(first.map(win)).toEqual(['d@0..10']);
    // {2, 4, 6}: mean 4, m2 = 4 + 0 + 4 = 8.
    expectStats(first[0]?.value, { n: 3, sum: 12, mean: 4, min: 2, max: 6, m2: 8 });
    input.pipeInput('d', { v: 100 }, 3); // [0,10) closed: late
    input.pipeInput('d', { v: 5 }, 24); //  close time 19 < 20: [10,20) open
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('d', { v: 5 }, 40); //  close time 35: [10,20) closes; [20,30) closes too (5 at 24)
    const second = out.readRecordsToList();
    expect(second.map(win)).toEqual(['d@10..20', 'd@20..30']);
    // [10,20) = {10, 1, 3}: sum 14, mean 14/3, m2 = sum x^2 - n mean^2 = 110 - 196/3 = 134/3.
    expectStats(second[0]?.value, { n: 3, sum: 14, mean: 14 / 3, min: 1, max: 10, m2: 134 / 3 });
    expectStats(second[1]?.value, { n: 1, sum: 5, mean: 5, min: 5, max: 5, m2: 0 });
    expect(d.metrics().dropped.late).toBe(1);
    d.advanceWallClockTime(1000); // more commits: nothing is emitted twice
    expect(out.isEmpty()).toBe(true);
  });
});

describe('stats().suppress(untilWindowCloses()) with several keys', () => {
  it('emits windows closing together in closing order (by end, then key, then start)', () => {
    // Tumbling 10, no grace. Keys interned in arrival order: b first, then a.
    const d = (driver = new TopologyTestDriver(statsTopology(TimeWindows.ofSizeWithNoGrace(10), true)));
    const input = d.createInputTopic('readings', str, readings);
    const out = d.createOutputTopic('stats', wkey, statsSerde);
    input.pipeInput('b', { v: 1 }, 1);
    input.pipeInput('a', { v: 2 }, 2);
    input.pipeInput('a', { v: 4 }, 3);
    input.pipeInput('b', { v: 5 }, 9);
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('b', { v: 7 }, 10); // closes [0,10) of a and b
    input.pipeInput('a', { v: 8 }, 11);
    input.pipeInput('c', { v: 0 }, 35); // closes [10,20) of b and a
    const rs = out.readRecordsToList();
    // Ties in closing time are ordered by key id (b = 0, a = 1).
    expect(rs.map(win)).toEqual(['b@0..10', 'a@0..10', 'b@10..20', 'a@10..20']);
    expectStats(rs[0]?.value, { n: 2, sum: 6, mean: 3, min: 1, max: 5, m2: 8 });
    expectStats(rs[1]?.value, { n: 2, sum: 6, mean: 3, min: 2, max: 4, m2: 2 });
    expectStats(rs[2]?.value, { n: 1, sum: 7, mean: 7, min: 7, max: 7, m2: 0 });
    expectStats(rs[3]?.value, { n: 1, sum: 8, mean: 8, min: 8, max: 8, m2: 0 });
  });
});

describe("stats() with emitStrategy('onWindowClose')", () => {
  it('emits final statistics, like suppress(untilWindowCloses())', () => {
    const b = new StreamsBuilder();
    b.stream<string, Reading>('readings', { keySerde: str, valueSerde: readings })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(10))
      .emitStrategy('onWindowClose')
      .stats((r) => Number(r.v), { storeName: 'stats' })
      .toStream()
      .to('stats', { keySerde: wkey, valueSerde: statsSerde });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('readings', str, readings);
    const out = d.createOutputTopic('stats', wkey, statsSerde);
    input.pipeInput('k', { v: 1 }, 0);
    input.pipeInput('k', { v: 2 }, 9);
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('k', { v: 3 }, 10); // no grace: stream time 10 closes [0,10)
    const rs = out.readRecordsToList();
    expect(rs.map(win)).toEqual(['k@0..10']);
    // {1, 2}: mean 1.5, m2 0.5.
    expectStats(rs[0]?.value, { n: 2, sum: 3, mean: 1.5, min: 1, max: 2, m2: 0.5 });
  });
});

describe('anomalies()', () => {
  it('flags a record whose z-score against its window exceeds the threshold', () => {
    const b = new StreamsBuilder();
    b.stream<string, Reading>('readings', { keySerde: str, valueSerde: readings })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(1000))
      .anomalies((r) => Number(r.v), { threshold: 2, storeName: 'z' })
      .to('alerts', { keySerde: str, valueSerde: Serdes.msgpack<Anomaly<Reading>>() });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('readings', str, readings);
    // Nine readings of 10: z = 0 (n < 2, then stddev 0).
    for (let t = 1; t <= 9; t++) input.pipeInput('dev', { v: 10 }, t);
    // The tenth, 40: window {10 x 9, 40}: mean 13, m2 = 9 * 3^2 + 27^2 = 810,
    // sample stddev sqrt(810 / 9) = sqrt(90); z = 27 / sqrt(90) = 9 / sqrt(10) = 2.846 > 2.
    input.pipeInput('dev', { v: 40 }, 10);
    // Then 11: window {10 x 9, 40, 11}: mean 141/11 = 12.818; z < 0 and small -> not flagged.
    input.pipeInput('dev', { v: 11 }, 11);
    const alerts = d.createOutputTopic('alerts', str, Serdes.msgpack<Anomaly<Reading>>()).readRecordsToList();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.key).toBe('dev');
    expect(alerts[0]?.timestamp).toBe(10);
    expect(alerts[0]?.value?.value).toEqual({ v: 40 });
    expect(alerts[0]?.value?.zScore).toBeCloseTo(9 / Math.sqrt(10), 9);
  });
});
