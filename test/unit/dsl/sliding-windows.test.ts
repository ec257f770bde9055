import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Suppressed } from '../../../src/dsl/suppressed.js';
import type { TimeWindowedKStream } from '../../../src/dsl/time-windowed-kstream.js';
import { SlidingWindows, type Windowed } from '../../../src/dsl/windows.js';
import type { WindowStatistics } from '../../../src/processors/window-stats.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

// count/reduce/aggregate over Kafka Streams sliding windows (KIP-450): windows
// [start, start + D], both ends inclusive; a record at t has the left window
// [t - D, t], and a right window [t + 1, t + 1 + D] exists once a record of the
// key lies in (t, t + 1 + D]. A window takes records while end >= streamTime - grace.

const str = Serdes.string();
const num = Serdes.json<number>();
const list = Serdes.json<number[]>();
const wkey = Serdes.json<Windowed<string>>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

function sliding<VA>(windows: SlidingWindows, wire: (w: TimeWindowedKStream<string, number>) => { toStream(): { to(topic: string, p: object): void } }, valueSerde: object = num) {
  const b = new StreamsBuilder();
  const windowed = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().windowedBy(windows);
  wire(windowed).toStream().to('out', { keySerde: wkey, valueSerde });
  return b.build() as ReturnType<StreamsBuilder['build']> & { __va?: VA };
}

const row = (r: { key: Windowed<string> | null; value: unknown }) => `${r.key?.key}@[${r.key?.window.start},${r.key?.window.end}]=${JSON.stringify(r.value)}`;

/** Final store contents as `start=value`, ascending. */
function storeRows(d: TopologyTestDriver, store: string, key: string): string[] {
  return d
    .getWindowStore<string, unknown>(store)
    .fetchRange(key, -1e15, 1e15)
    .map((e) => `${e.windowStart}=${JSON.stringify(e.value)}`);
}

describe('sliding windows: count', () => {
  it('creates the left window of each record and the right window of the previous one, in order', () => {
    // D = 10. t=15: left [5,15] = {15}.
    // t=22: left [12,22] = {15,22}; 22 lies in 15's right window [16,26] -> created with {22}.
    // t=30: left [20,30] = {22,30}; 30 lies in 22's right window [23,33] -> {30}; [16,26], [12,22] miss 30.
    const d = (driver = new TopologyTestDriver(sliding(SlidingWindows.ofTimeDifferenceAndGrace(10, 100), (w) => w.count({ storeName: 'counts' }))));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('s', 0, 15);
    input.pipeInput('s', 0, 22);
    input.pipeInput('s', 0, 30);
    expect(d.createOutputTopic('out', wkey, num).readKeyValuesToList().map(row)).toEqual([
      's@[5,15]=1',
      's@[16,26]=1',
      's@[12,22]=2',
      's@[23,33]=1',
      's@[20,30]=2',
    ]);
    expect(storeRows(d, 'counts', 's')).toEqual(['5=1', '12=2', '16=1', '20=2', '23=1']);
  });

  it('out-of-order records end with exactly the windows and counts of the definition', () => {
    // D = 10, records 20, 10, 25, 15. Left windows: [0,10]={10}, [5,15]={10,15}, [10,20]={10,15,20},
    // [15,25]={15,20,25}. Right windows [y+1,y+11] where some record is in (y, y+11]:
    // y=10 -> [11,21]={15,20}; y=15 -> [16,26]={20,25}; y=20 -> [21,31]={25}; y=25 -> none.
    const d = (driver = new TopologyTestDriver(sliding(SlidingWindows.ofTimeDifferenceAndGrace(10, 100), (w) => w.count({ storeName: 'counts' }))));
    const input = d.createInputTopic('in', str, num);
    for (const t of [20, 10, 25, 15]) input.pipeInput('k', 0, t);
    expect(storeRows(d, 'counts', 'k')).toEqual(['0=1', '5=2', '10=3', '11=2', '15=3', '16=2', '21=1']);
  });

  it('accepts a record while a window that can hold it is open and drops it as late once t + 1 + D <= streamTime - grace', () => {
    // D = 10, grace 0. t=20 -> [10,20]={20}; stream time 20, close time 20.
    // t=10: 10 + 11 = 21 > 20 -> on time. Its left window [0,10] ends before 20: never created.
    //   It joins [10,20] -> 2 and, since 20 lies in (10, 21], its right window [11,21] = {20} appears.
    // t=9: 9 + 11 = 20 <= 20 -> late.
    const d = (driver = new TopologyTestDriver(sliding(SlidingWindows.ofTimeDifferenceWithNoGrace(10), (w) => w.count({ storeName: 'counts' }))));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('s', 0, 20);
    input.pipeInput('s', 0, 10);
    input.pipeInput('s', 0, 9);
    expect(d.createOutputTopic('out', wkey, num).readKeyValuesToList().map(row)).toEqual(['s@[10,20]=1', 's@[10,20]=2', 's@[11,21]=1']);
    expect(d.metrics().dropped.late).toBe(1);
  });

  it('allows windows before time zero for early records (as the WASM kernel; Kafka Streams folds them into [0, D])', () => {
    const d = (driver = new TopologyTestDriver(sliding(SlidingWindows.ofTimeDifferenceAndGrace(10, 100), (w) => w.count({ storeName: 'counts' }))));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('e', 0, 3);
    input.pipeInput('e', 0, 8);
    // [-7,3]={3}, [-2,8]={3,8}, 3's right window [4,14]={8}.
    expect(storeRows(d, 'counts', 'e')).toEqual(['-7=1', '-2=2', '4=1']);
  });
});

describe('sliding windows: reduce and aggregate', () => {
  it('reduce sums the values of each window', () => {
    const d = (driver = new TopologyTestDriver(sliding(SlidingWindows.ofTimeDifferenceAndGrace(10, 100), (w) => w.reduce((a, b) => a + b, { storeName: 'sums' }))));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('s', 1, 15);
    input.pipeInput('s', 3, 22);
    input.pipeInput('s', 5, 30);
    // [5,15]={1}, [12,22]={1,3}, [16,26]={3}, [20,30]={3,5}, [23,33]={5}.
    expect(storeRows(d, 'sums', 's')).toEqual(['5=1', '12=4', '16=3', '20=8', '23=5']);
  });

  it('aggregate with an aggregator that mutates its accumulator still gives every window its own records', () => {
    const topology = sliding(
      SlidingWindows.ofTimeDifferenceAndGrace(10, 100),
      (w) =>
        w.aggregate<number[]>(
          () => [],
          (_k, v, agg) => {
            agg.push(v);
            return agg;
          },
          { storeName: 'lists', valueSerde: list },
        ),
      list,
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    // Values name their timestamps; arrival order 20, 10, 25, 15 (see the count test for the windows).
    for (const t of [20, 10, 25, 15]) input.pipeInput('k', t, t);
    expect(storeRows(d, 'lists', 'k')).toEqual(['0=[10]', '5=[10,15]', '10=[20,10,15]', '11=[20,15]', '15=[20,25,15]', '16=[20,25]', '21=[25]']);
  });
});

describe('sliding windows: suppress(untilWindowCloses())', () => {
  it('emits each window once, after stream time passes end + grace (the end is inclusive)', () => {
    const topology = sliding(SlidingWindows.ofTimeDifferenceAndGrace(10, 5), (w) => w.count({ storeName: 'counts' }).suppress(Suppressed.untilWindowCloses()));
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    const out = d.createOutputTopic('out', wkey, num);
    input.pipeInput('s', 0, 15);
    input.pipeInput('s', 0, 22);
    input.pipeInput('s', 0, 30);
    // Close time 30 - 5 = 25: [5,15] (end 15 < 25) is final; [12,22] too; [16,26] is not (26 >= 25).
    expect(out.readKeyValuesToList().map(row)).toEqual(['s@[5,15]=1', 's@[12,22]=2']);
    input.pipeInput('s', 0, 31); // close time 26: [16,26] still open (26 >= 26)
    expect(out.readKeyValuesToList().map(row)).toEqual([]);
    input.pipeInput('s', 0, 32); // close time 27: [16,26] final
    expect(out.readKeyValuesToList().map(row)).toEqual(['s@[16,26]=1']);
  });
});

describe('sliding windows: count agrees with the WASM kernel', () => {
  it('on 200 random keyed streams with disorder up to the grace period, every window count equals stats().count', () => {
    const next = seededRandom(450);
    const rnd = { int: (n: number) => Math.floor(next() * n) };
    for (let run = 0; run < 200; run++) {
      const timeDifference = 1 + rnd.int(20);
      const grace = rnd.int(15);
      const b = new StreamsBuilder();
      const windowed = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(timeDifference, grace));
      windowed.count({ storeName: 'counts' }).toStream().to('counts-out', { keySerde: wkey, valueSerde: num });
      windowed.stats((v) => v, { storeName: 'stats' }).toStream().to('stats-out', { keySerde: wkey, valueSerde: Serdes.json<WindowStatistics>() });
      const d = new TopologyTestDriver(b.build());
      try {
        const input = d.createInputTopic('in', str, num);
        // Each record at most `grace` behind stream time, so its own left window is open on arrival.
        let t = 30;
        let streamTime = 0;
        for (let i = 0, n = 5 + rnd.int(40); i < n; i++) {
          t += rnd.int(6);
          const ts = Math.max(0, Math.max(streamTime, t) - rnd.int(grace + 1));
          streamTime = Math.max(streamTime, ts);
          input.pipeInput(`k${rnd.int(3)}`, i, ts);
        }
        const last = (topic: string, count: (v: unknown) => number) => {
          const m = new Map<string, number>();
          for (const r of d.createOutputTopic(topic, wkey, Serdes.json<unknown>()).readKeyValuesToList()) {
            m.set(`${r.key?.key}@${r.key?.window.start}`, count(r.value));
          }
          return [...m.entries()].sort();
        };
        const fromCount = last('counts-out', (v) => v as number);
        const fromKernel = last('stats-out', (v) => (v as WindowStatistics).count);
        expect(fromCount, `run ${run}: D=${timeDifference} grace=${grace}`).toEqual(fromKernel);
      } finally {
        d.close();
      }
    }
  });
});

describe('sliding windows: where the generic aggregate and stats() differ', () => {
  it('a record whose own windows are all closed on arrival is kept by the kernel for later windows, not by count() (Kafka Streams)', () => {
    // D = 10, grace 0. Stream time 30 (from key x). t=25 for key k: 25 + 11 = 36 > 30, not late; its
    // left window [15,25] is closed and no window of k exists yet, so count() has nowhere to keep it
    // (Kafka Streams' algorithm remembers records only through windows). t=32: left window [22,32]
    // contains 25 by definition, and 25's right window [26,36] holds 32. The kernel holds 25 as an atom:
    // [22,32] = 2 and [26,36] = 1. count() knows neither 25 nor its right window: [22,32] = 1.
    const b = new StreamsBuilder();
    const windowed = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().windowedBy(SlidingWindows.ofTimeDifferenceWithNoGrace(10));
    windowed.count({ storeName: 'counts' });
    windowed.stats((v) => v, { storeName: 'stats' }).toStream().to('stats-out', { keySerde: wkey, valueSerde: Serdes.json<WindowStatistics>() });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('x', 0, 30);
    input.pipeInput('k', 0, 25);
    input.pipeInput('k', 0, 32);
    expect(storeRows(d, 'counts', 'k')).toEqual(['22=1']);
    const kernel = d.createOutputTopic('stats-out', wkey, Serdes.json<WindowStatistics>()).readKeyValuesToList().filter((r) => r.key?.key === 'k');
    expect(kernel.map((r) => `${r.key?.window.start}=${r.value?.count}`)).toEqual(['22=2', '26=1']);
    expect(d.metrics().dropped.late).toBe(0);
  });
});
