import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, TopologyError } from '../../../src/errors.js';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { BufferConfig, Suppressed } from '../../../src/dsl/suppressed.js';
import type { TimeWindowedKStream } from '../../../src/dsl/time-windowed-kstream.js';
import { TimeWindows, type Windowed } from '../../../src/dsl/windows.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import { TaskFailure } from '../../../src/runtime/error-handling.js';

// Tumbling and hopping time windows: epoch-aligned [start, start + size), start
// inclusive, end exclusive. A record is late when every window containing it has
// end <= streamTime - grace (Kafka Streams' KStreamWindowAggregate).

const str = Serdes.string();
const num = Serdes.json<number>();
const wkey = Serdes.json<Windowed<string>>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

/** `key@[start,end)=value` for compact, readable expectations. */
function rows(records: { key: Windowed<string> | null; value: number | null }[]): string[] {
  return records.map((r) => `${r.key?.key}@[${r.key?.window.start},${r.key?.window.end})=${r.value}`);
}

/** `in` (string keys, number values) grouped by key and windowed; `wire` adds the rest. */
function windowedCount(windows: TimeWindows, wire: (w: TimeWindowedKStream<string, number>) => unknown) {
  const b = new StreamsBuilder();
  const windowed = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().windowedBy(windows);
  wire(windowed);
  return b.build();
}

describe('tumbling windows', () => {
  it('assign records by [start, end) and drop a record exactly at the grace boundary as late', () => {
    const topology = windowedCount(TimeWindows.ofSizeAndGrace(10, 5), (w) =>
      w.count({ storeName: 'counts' }).toStream().to('out', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 0, 1); //  [0,10)  -> 1                     stream time 1
    input.pipeInput('a', 0, 9); //  [0,10)  -> 2 (9 < 10)             stream time 9
    input.pipeInput('a', 0, 10); // [10,20) -> 1 (start inclusive)    stream time 10
    input.pipeInput('a', 0, 14); // [10,20) -> 2                      stream time 14, close time 14 - 5 = 9
    input.pipeInput('a', 0, 4); //  [0,10): end 10 == 9 + 1 > 9 -> still open: 3
    input.pipeInput('a', 0, 15); // [10,20) -> 3                      stream time 15, close time 10
    input.pipeInput('a', 0, 3); //  [0,10): end 10 <= 10 -> late, dropped
    input.pipeInput('b', 0, 2); //  [0,10) of b: end 10 <= 10 -> late as well (stream time is per task)
    expect(rows(d.createOutputTopic('out', wkey, num).readKeyValuesToList())).toEqual([
      'a@[0,10)=1',
      'a@[0,10)=2',
      'a@[10,20)=1',
      'a@[10,20)=2',
      'a@[0,10)=3',
      'a@[10,20)=3',
    ]);
    expect(d.metrics().dropped.late).toBe(2);
    const store = d.getWindowStore<string, number>('counts');
    expect(store.fetch('a', 0)).toBe(3);
    expect(store.fetch('a', 10)).toBe(3);
    expect(store.fetch('b', 0)).toBeUndefined();
  });

  it('with no grace, a record for a window whose end equals stream time is late', () => {
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) => w.count().toStream().to('out', { keySerde: wkey, valueSerde: num }));
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 0, 10); // [10,20) -> 1; stream time 10 = end of [0,10)
    input.pipeInput('a', 0, 9); //  [0,10): 10 <= 10 - 0 -> late
    expect(rows(d.createOutputTopic('out', wkey, num).readKeyValuesToList())).toEqual(['a@[10,20)=1']);
    expect(d.metrics().dropped.late).toBe(1);
  });

  it('sends late records to lateRecordsTopic when configured, with the reason in a header', () => {
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) => w.count().toStream().to('out', { keySerde: wkey, valueSerde: num }));
    const d = (driver = new TopologyTestDriver(topology, { lateRecordsTopic: 'late' }));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 20);
    input.pipeInput('a', 2, 5); // [0,10) closed at stream time 20: late
    const late = d.createOutputTopic('late', str, num).readRecordsToList();
    expect(late.map((r) => [r.key, r.value, r.timestamp])).toEqual([['a', 2, 5]]);
    expect(String(late[0]?.headers['rivulet.error.reason'])).toContain('every window containing timestamp 5 closed');
  });

  it('skips null values but counts them', () => {
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) => w.count().toStream().to('out', { keySerde: wkey, valueSerde: num }));
    const d = (driver = new TopologyTestDriver(topology));
    d.createInputTopic('in', str, num).pipeInput('a', null, 1);
    expect(d.createOutputTopic('out', wkey, num).isEmpty()).toBe(true);
    expect(d.metrics().dropped['null-value']).toBe(1);
  });
});

describe('hopping windows', () => {
  it('apply each record to every window containing it that is still open', () => {
    // size 10, advance 5: windows [0,10), [5,15), [10,20), ...
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), (w) =>
      w
        .aggregate(() => 0, (_k, v: number, sum: number) => sum + v, { storeName: 'sums' })
        .toStream()
        .to('out', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 7); //  in [0,10) and [5,15): 1, 1
    input.pipeInput('a', 2, 12); // in [5,15) and [10,20): 3, 2        stream time 12 (no grace: close time 12)
    input.pipeInput('a', 4, 9); //  in [0,10) (end 10 <= 12: closed, skipped) and [5,15): 7 -> not late
    input.pipeInput('a', 8, 4); //  only in [0,10) (4 < 5), closed -> late
    input.pipeInput('a', 16, 15); // in [10,20) and [15,25): 18, 16; 15 is the start of [15,25), not in [5,15)
    expect(rows(d.createOutputTopic('out', wkey, num).readKeyValuesToList())).toEqual([
      'a@[0,10)=1',
      'a@[5,15)=1',
      'a@[5,15)=3',
      'a@[10,20)=2',
      'a@[5,15)=7',
      'a@[10,20)=18',
      'a@[15,25)=16',
    ]);
    expect(d.metrics().dropped.late).toBe(1);
    expect(d.getWindowStore<string, number>('sums').fetchRange('a', 0, 100).map((e) => [e.windowStart, e.value])).toEqual([
      [0, 1],
      [5, 7],
      [10, 18],
      [15, 16],
    ]);
  });

  it('rejects an advance larger than the size', () => {
    let caught: unknown;
    try {
      TimeWindows.ofSizeWithNoGrace(10).advanceBy(20);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe('RIVULET_CONFIG_INVALID_WINDOW');
  });
});

describe('suppress / emit on window close', () => {
  // Tumbling 10 ms with 5 ms grace: [0,10) closes when stream time reaches 10 + 5 = 15.
  const script: [string, number][] = [
    ['a', 1],
    ['a', 5],
    ['b', 8],
    ['a', 12], // [10,20)
    ['a', 14], // stream time 14 < 15: [0,10) still open
    ['a', 15], // stream time 15: [0,10) closes -> a=2, b=1 emitted (end 10 <= 15 - 5)
    ['a', 3], //  late for [0,10): dropped, nothing re-emitted
    ['a', 16],
    ['b', 24], // stream time 24 < 25: [10,20) still open
    ['a', 30], // stream time 30: [10,20) closes (20 <= 25) -> a=4 (12, 14, 15, 16); [20,30) of b: 30 <= 25? no
  ];
  const expected = ['a@[0,10)=2', 'b@[0,10)=1', 'a@[10,20)=4'];

  it('suppress(untilWindowCloses) emits each window once, only after stream time passes end + grace', () => {
    const topology = windowedCount(TimeWindows.ofSizeAndGrace(10, 5), (w) =>
      w.count({ storeName: 'c' }).suppress(Suppressed.untilWindowCloses()).toStream().to('final', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    const out = d.createOutputTopic('final', wkey, num);
    for (const [k, t] of script.slice(0, 5)) input.pipeInput(k, 0, t);
    expect(out.isEmpty()).toBe(true); // nothing closed yet at stream time 14
    for (const [k, t] of script.slice(5)) input.pipeInput(k, 0, t);
    expect(rows(out.readKeyValuesToList())).toEqual(expected);
    // Results carry the timestamp of the last update of the window.
    expect(d.recordsOf('final').map((r) => r.timestamp)).toEqual([5, 8, 16]);
    expect(d.metrics().dropped.late).toBe(1);
    // Advancing wall-clock time (more commits) emits nothing more: each window once.
    d.advanceWallClockTime(1000);
    expect(out.isEmpty()).toBe(true);
  });

  it("emitStrategy('onWindowClose') gives the same final results", () => {
    const topology = windowedCount(TimeWindows.ofSizeAndGrace(10, 5), (w) =>
      w.emitStrategy('onWindowClose').count({ storeName: 'c' }).toStream().to('final', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    for (const [k, t] of script) input.pipeInput(k, 0, t);
    expect(rows(d.createOutputTopic('final', wkey, num).readKeyValuesToList())).toEqual(expected);
  });

  it('suppress(untilTimeLimit) emits a key’s latest value once the time limit passed since its first buffered update', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num })
      .groupByKey()
      .count({ storeName: 'c' })
      .suppress(Suppressed.untilTimeLimit(10))
      .toStream()
      .to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    const out = d.createOutputTopic('out', str, num);
    input.pipeInput('a', 0, 0); //  a buffered at 0 (count 1)
    input.pipeInput('a', 0, 3); //  a count 2; still buffered since 0 (the first update fixes the deadline)
    input.pipeInput('b', 0, 5); //  b buffered at 5
    input.pipeInput('x', 0, 9); //  x buffered at 9; 9 - 0 < 10: nothing due
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('a', 0, 10); // a count 3; 10 - 0 >= 10 -> a=3
    expect(out.readKeyValuesToList()).toEqual([{ key: 'a', value: 3 }]);
    input.pipeInput('b', 0, 15); // b count 2; 15 - 5 >= 10 -> b=2
    expect(out.readKeyValuesToList()).toEqual([{ key: 'b', value: 2 }]);
    input.pipeInput('a', 0, 18); // a count 4 buffered at 18; x: 18 - 9 < 10
    expect(out.isEmpty()).toBe(true);
    input.pipeInput('c', 0, 19); // x: 19 - 9 >= 10 -> x=1; c buffered at 19
    expect(out.readKeyValuesToList()).toEqual([{ key: 'x', value: 1 }]);
  });

  it('a full suppression buffer (maxRecords) emits its oldest entry early when emitEarlyWhenFull was chosen', () => {
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) =>
      w.count().suppress(Suppressed.untilWindowCloses(BufferConfig.maxRecords(2).emitEarlyWhenFull())).toStream().to('out', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 0, 1);
    input.pipeInput('b', 0, 2);
    input.pipeInput('a', 0, 3); // a updated in place: still 2 entries
    input.pipeInput('c', 0, 4); // 3 entries > 2: the oldest (a, count 2) is emitted early
    expect(rows(d.createOutputTopic('out', wkey, num).readKeyValuesToList())).toEqual(['a@[0,10)=2']);
  });

  it('untilWindowCloses with a bounded buffer and no choice never emits early: a full buffer fails the task (RIVULET_STATE_BUFFER_FULL), even under skip handling', () => {
    const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) =>
      w.count().suppress(Suppressed.untilWindowCloses({ maxRecords: 2 })).toStream().to('out', { keySerde: wkey, valueSerde: num }),
    );
    const d = (driver = new TopologyTestDriver(topology, { processingErrorHandling: 'skip' }));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 0, 1);
    input.pipeInput('b', 0, 2);
    input.pipeInput('a', 0, 3);
    let caught: unknown;
    try {
      input.pipeInput('c', 0, 4);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TaskFailure);
    expect((caught as TaskFailure).code).toBe('RIVULET_STATE_BUFFER_FULL');
    expect((caught as Error).message).toMatch(/suppression buffer full \(3 records > maxRecords 2\); raise the limit in BufferConfig, use BufferConfig.unbounded\(\), or choose emitEarlyWhenFull\(\)/);
    expect(d.createOutputTopic('out', wkey, num).isEmpty()).toBe(true);
  });

  it('BufferConfig.maxBytes(...).shutDownWhenFull() fails the task once the buffered bytes pass the limit; unbounded() does not', () => {
    const run = (buffer: BufferConfig): unknown => {
      const topology = windowedCount(TimeWindows.ofSizeWithNoGrace(10), (w) =>
        w.count().suppress(Suppressed.untilWindowCloses(buffer)).toStream().to('out', { keySerde: wkey, valueSerde: num }),
      );
      const d = new TopologyTestDriver(topology);
      try {
        const input = d.createInputTopic('in', str, num);
        for (let i = 0; i < 100; i++) input.pipeInput(`key-${i}`, 0, 1);
        return d.createOutputTopic('out', wkey, num).getQueueSize();
      } catch (e) {
        return e;
      } finally {
        d.close();
      }
    };
    const failed = run(BufferConfig.maxBytes(1000).shutDownWhenFull());
    expect((failed as TaskFailure).code).toBe('RIVULET_STATE_BUFFER_FULL');
    expect((failed as Error).message).toMatch(/bytes > maxBytes 1000/);
    expect(run(BufferConfig.unbounded())).toBe(0);
  });

  it('untilTimeLimit with maxRecords emits its oldest key early by default, and maxBytes bounds it too', () => {
    const run = (buffer: BufferConfig): unknown[] => {
      const b = new StreamsBuilder();
      b.stream<string, number>('in', { keySerde: str, valueSerde: num })
        .groupByKey()
        .count({ storeName: 'c' })
        .suppress(Suppressed.untilTimeLimit(1000, buffer))
        .toStream()
        .to('out', { keySerde: str, valueSerde: num });
      const d = new TopologyTestDriver(b.build());
      const input = d.createInputTopic('in', str, num);
      for (const k of ['a', 'b', 'a', 'c', 'd']) input.pipeInput(k, 0, 1);
      const out = d.createOutputTopic('out', str, num).readKeyValuesToList();
      d.close();
      return out;
    };
    expect(run({ maxRecords: 2 })).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    // An entry counts its key and value bytes plus 16: 18 bytes here, so a third key passes 50 bytes.
    expect(run(BufferConfig.maxBytes(50))).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    expect(run(BufferConfig.unbounded())).toEqual([]);
  });

  it('suppress(untilWindowCloses) on a table that is not windowed is rejected when building (as Kafka Streams)', () => {
    const b = new StreamsBuilder();
    const counts = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().count({ storeName: 'c' });
    let caught: unknown;
    try {
      counts.suppress(Suppressed.untilWindowCloses());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TopologyError);
    expect((caught as TopologyError).code).toBe('RIVULET_TOPOLOGY_NOT_WINDOWED');
  });
});
