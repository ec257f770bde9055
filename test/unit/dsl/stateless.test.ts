import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { StateError } from '../../../src/errors.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// Stateless KStream operators through the TopologyTestDriver. Every expected
// output below is derived by hand from the operator's Kafka Streams semantics.

const str = Serdes.string();
const num = Serdes.json<number>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

function run(b: StreamsBuilder): TopologyTestDriver {
  driver = new TopologyTestDriver(b.build());
  return driver;
}

describe('filter / filterNot', () => {
  it('keeps records whose predicate holds (filter) or fails (filterNot)', () => {
    const b = new StreamsBuilder();
    const s = b.stream<string, number>('in', { keySerde: str, valueSerde: num });
    s.filter((_k, v) => v % 2 === 0).to('even', { keySerde: str, valueSerde: num });
    s.filterNot((_k, v) => v % 2 === 0).to('odd', { keySerde: str, valueSerde: num });
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    for (const [i, v] of [1, 2, 3, 4, 6].entries()) input.pipeInput(`k${i}`, v, 10 * i);
    // Even values 2, 4, 6 (keys k1, k3, k4) pass filter; 1, 3 (k0, k2) pass filterNot.
    expect(d.createOutputTopic('even', str, num).readRecordsToList()).toEqual([
      { key: 'k1', value: 2, timestamp: 10, headers: {} },
      { key: 'k3', value: 4, timestamp: 30, headers: {} },
      { key: 'k4', value: 6, timestamp: 40, headers: {} },
    ]);
    expect(d.createOutputTopic('odd', str, num).readKeyValuesToList()).toEqual([
      { key: 'k0', value: 1 },
      { key: 'k2', value: 3 },
    ]);
  });
});

describe('map / mapValues / selectKey', () => {
  it('map replaces key and value, mapValues the value, selectKey the key; timestamps are kept', () => {
    const b = new StreamsBuilder();
    const s = b.stream<string, number>('in', { keySerde: str, valueSerde: num });
    s.map((k, v) => ({ key: `${k}!`, value: v * 10 })).to('mapped', { keySerde: str, valueSerde: num });
    s.mapValues((v, k) => `${k}=${v}`).to('values', { keySerde: str, valueSerde: str });
    s.selectKey((_k, v): string => (v > 1 ? 'big' : 'small')).to('rekeyed', { keySerde: str, valueSerde: num });
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 100);
    input.pipeInput('b', 2, 200);
    // map: a->a!, 1->10; b->b!, 2->20.
    expect(d.createOutputTopic('mapped', str, num).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['a!', 10, 100],
      ['b!', 20, 200],
    ]);
    // mapValues: "key=value", key unchanged.
    expect(d.createOutputTopic('values', str, str).readKeyValuesToList()).toEqual([
      { key: 'a', value: 'a=1' },
      { key: 'b', value: 'b=2' },
    ]);
    // selectKey: 1 is not > 1 -> small; 2 -> big. Values unchanged.
    expect(d.createOutputTopic('rekeyed', str, num).readKeyValuesToList()).toEqual([
      { key: 'small', value: 1 },
      { key: 'big', value: 2 },
    ]);
  });
});

describe('flatMap / flatMapValues', () => {
  it('emits zero or more records per input, in mapper order', () => {
    const b = new StreamsBuilder();
    const s = b.stream<string, string>('in', { keySerde: str, valueSerde: str });
    s.flatMap((k, v) => [...v].map((ch, i) => ({ key: `${k}${i}`, value: ch }))).to('chars', { keySerde: str, valueSerde: str });
    s.flatMapValues((v) => v.split(' ').filter((w) => w.length > 0)).to('words', { keySerde: str, valueSerde: str });
    const d = run(b);
    const input = d.createInputTopic('in', str, str);
    input.pipeInput('x', 'ab', 1);
    input.pipeInput('y', '', 2); // no characters, no words: nothing emitted for y
    input.pipeInput('z', 'c d', 3);
    // flatMap: x -> (x0,a),(x1,b); y -> nothing; z -> (z0,c),(z1, ' '),(z2,d).
    expect(d.createOutputTopic('chars', str, str).readKeyValuesToList()).toEqual([
      { key: 'x0', value: 'a' },
      { key: 'x1', value: 'b' },
      { key: 'z0', value: 'c' },
      { key: 'z1', value: ' ' },
      { key: 'z2', value: 'd' },
    ]);
    // flatMapValues: x -> ab; y -> nothing; z -> c, d (same key).
    expect(d.createOutputTopic('words', str, str).readKeyValuesToList()).toEqual([
      { key: 'x', value: 'ab' },
      { key: 'z', value: 'c' },
      { key: 'z', value: 'd' },
    ]);
  });
});

describe('peek / foreach', () => {
  it('peek sees every record and forwards it; foreach sees every record and is terminal', () => {
    const peeked: string[] = [];
    const each: string[] = [];
    const b = new StreamsBuilder();
    const s = b.stream<string, string>('in', { keySerde: str, valueSerde: str });
    s.peek((k, v) => peeked.push(`${k}:${v}`)).to('out', { keySerde: str, valueSerde: str });
    s.foreach((k, v) => each.push(`${k}:${v}`));
    const d = run(b);
    const input = d.createInputTopic('in', str, str);
    input.pipeInput('a', '1', 1);
    input.pipeInput('b', '2', 2);
    expect(peeked).toEqual(['a:1', 'b:2']);
    expect(each).toEqual(['a:1', 'b:2']);
    expect(d.createOutputTopic('out', str, str).readValuesToList()).toEqual(['1', '2']);
  });
});

describe('split / branch', () => {
  function build(withDefault: boolean) {
    const b = new StreamsBuilder();
    const split = b
      .stream<string, number>('in', { keySerde: str, valueSerde: num })
      .split({ name: 'route-' })
      .branch((_k, v) => v < 0, { name: 'neg' })
      .branch((_k, v) => v < 10, { name: 'small' }); // also true for negatives: first match wins
    const branches = withDefault ? split.defaultBranch({ name: 'other' }) : split.noDefaultBranch();
    for (const [name, stream] of Object.entries(branches)) stream.to(name, { keySerde: str, valueSerde: num });
    return { b, names: Object.keys(branches) };
  }

  it('routes each record to the first matching branch, else to the default branch', () => {
    const { b, names } = build(true);
    // Branch names are the split prefix plus the branch name (Kafka Streams' naming).
    expect(names).toEqual(['route-neg', 'route-small', 'route-other']);
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    [-5, 3, 42, -1, 9, 10].forEach((v, i) => input.pipeInput(`k${i}`, v, i));
    // -5, -1: neg (not small, although < 10). 3, 9: small. 42, 10: default.
    expect(d.createOutputTopic('route-neg', str, num).readValuesToList()).toEqual([-5, -1]);
    expect(d.createOutputTopic('route-small', str, num).readValuesToList()).toEqual([3, 9]);
    expect(d.createOutputTopic('route-other', str, num).readValuesToList()).toEqual([42, 10]);
  });

  it('noDefaultBranch drops records matching no predicate', () => {
    const { b, names } = build(false);
    expect(names).toEqual(['route-neg', 'route-small']);
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    [-5, 3, 42].forEach((v, i) => input.pipeInput(`k${i}`, v, i));
    expect(d.createOutputTopic('route-neg', str, num).readValuesToList()).toEqual([-5]);
    expect(d.createOutputTopic('route-small', str, num).readValuesToList()).toEqual([3]);
    // 42 went nowhere: no topic received it.
    expect(d.recordsOf('route-other')).toEqual([]);
    expect(d.metrics().processed).toBe(3);
  });

  it('unnamed branches are numbered from 1 and the default branch is 0', () => {
    const b = new StreamsBuilder();
    const branches = b
      .stream<string, number>('in', { keySerde: str, valueSerde: num })
      .split({ name: 's-' })
      .branch((_k, v) => v > 0)
      .branch((_k, v) => v < 0)
      .defaultBranch();
    expect(Object.keys(branches)).toEqual(['s-1', 's-2', 's-0']);
  });
});

describe('merge', () => {
  it('interleaves two streams in processing order', () => {
    const b = new StreamsBuilder();
    const left = b.stream<string, string>('left', { keySerde: str, valueSerde: str });
    const right = b.stream<string, string>('right', { keySerde: str, valueSerde: str });
    left.merge(right).mapValues((v) => v.toUpperCase()).to('out', { keySerde: str, valueSerde: str });
    const d = run(b);
    const l = d.createInputTopic('left', str, str);
    const r = d.createInputTopic('right', str, str);
    l.pipeInput('1', 'a', 1);
    r.pipeInput('2', 'b', 2);
    l.pipeInput('3', 'c', 3);
    expect(d.createOutputTopic('out', str, str).readKeyValuesToList()).toEqual([
      { key: '1', value: 'A' },
      { key: '2', value: 'B' },
      { key: '3', value: 'C' },
    ]);
  });
});

describe('to()', () => {
  it('with a TopicNameExtractor writes each record to the topic it picks', () => {
    const seen: { topic?: string; partition: number }[] = [];
    const b = new StreamsBuilder();
    b.stream<string, number>('events', { keySerde: str, valueSerde: num }).to(
      (key, value, context) => {
        seen.push(context);
        return value >= 100 ? `${key}-large` : `${key}-small`;
      },
      { keySerde: str, valueSerde: num },
    );
    const d = run(b);
    const input = d.createInputTopic('events', str, num);
    input.pipeInput('eu', 5, 1);
    input.pipeInput('us', 500, 2);
    input.pipeInput('eu', 100, 3);
    // eu/5 -> eu-small; us/500 -> us-large; eu/100 -> eu-large (>= 100).
    expect(d.createOutputTopic('eu-small', str, num).readValuesToList()).toEqual([5]);
    expect(d.createOutputTopic('us-large', str, num).readValuesToList()).toEqual([500]);
    expect(d.createOutputTopic('eu-large', str, num).readValuesToList()).toEqual([100]);
    // The extractor sees the source topic and the task's partition (the driver has one: 0).
    expect(seen).toEqual([
      { topic: 'events', partition: 0 },
      { topic: 'events', partition: 0 },
      { topic: 'events', partition: 0 },
    ]);
  });

  it('with a custom partitioner sends each record to the partition it returns', () => {
    const calls: unknown[][] = [];
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).to('out', {
      keySerde: str,
      valueSerde: num,
      partitioner: (topic, key, value, numPartitions) => {
        calls.push([topic, key, value, numPartitions]);
        return value % numPartitions;
      },
    });
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 7, 1);
    input.pipeInput('b', 8, 2);
    // The driver's topics have one partition, so numPartitions is 1 and every value % 1 == 0.
    expect(calls).toEqual([
      ['out', 'a', 7, 1],
      ['out', 'b', 8, 1],
    ]);
    expect(d.recordsOf('out').map((r) => r.partition)).toEqual([0, 0]);
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'a', value: 7 },
      { key: 'b', value: 8 },
    ]);
  });
});

describe('repartition()', () => {
  it('writes through <app>-<name>-repartition and continues in a new sub-topology', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num })
      .selectKey((_k, v): string => (v % 2 === 0 ? 'even' : 'odd'))
      .repartition({ name: 'by-parity', keySerde: str, valueSerde: num })
      .mapValues((v) => v + 1)
      .to('out', { keySerde: str, valueSerde: num });
    const topology = b.build();
    expect(topology.subTopologies().map((s) => s.sourceTopics)).toEqual([['in'], ['by-parity-repartition']]);
    const d = (driver = new TopologyTestDriver(topology, { applicationId: 'app' }));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('x', 1, 5);
    input.pipeInput('y', 2, 6);
    // The internal topic carries the re-keyed records unchanged: (odd,1), (even,2).
    expect(d.createOutputTopic('app-by-parity-repartition', str, num).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['odd', 1, 5],
      ['even', 2, 6],
    ]);
    // Downstream of the repartition: value + 1.
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'odd', value: 2 },
      { key: 'even', value: 3 },
    ]);
  });
});

describe('TopologyTestDriver basics', () => {
  it('input topics auto-advance timestamps from their start time', () => {
    const b = new StreamsBuilder();
    b.stream<string, string>('in', { keySerde: str, valueSerde: str }).to('out', { keySerde: str, valueSerde: str });
    const d = run(b);
    const input = d.createInputTopic('in', str, str, 1000, 10);
    input.pipeValue('a'); //        1000
    input.pipeValue('b'); //        1010
    input.advanceTime(100); //      next 1120
    input.pipeValue('c'); //        1120
    input.pipeValue('d', 5); //     explicit: 5, the clock is not moved
    input.pipeRecordList([{ key: 'k', value: 'e' }]); // 1130
    const out = d.createOutputTopic('out', str, str);
    expect(out.readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      [null, 'a', 1000],
      [null, 'b', 1010],
      [null, 'c', 1120],
      [null, 'd', 5],
      ['k', 'e', 1130],
    ]);
  });

  it('readKeyValuesToMap keeps the latest value per key and removes tombstoned keys', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).to('out', { keySerde: str, valueSerde: num });
    const d = run(b);
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 1);
    input.pipeInput('b', 2, 2);
    input.pipeInput('a', 3, 3);
    input.pipeInput('b', null, 4);
    expect(d.createOutputTopic('out', str, num).readKeyValuesToMap()).toEqual(new Map([['a', 3]]));
  });

  it('reading an empty output topic, a missing store and a closed driver fail with StateError codes', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().count({ storeName: 'c' }).toStream().to('out', { keySerde: str, valueSerde: num });
    const d = run(b);
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(StateError);
        return (e as StateError).code;
      }
      return undefined;
    };
    expect(codeOf(() => d.createOutputTopic('out', str, num).readRecord())).toBe('RIVULET_STATE_EMPTY_TOPIC');
    expect(codeOf(() => d.getKeyValueStore('nope'))).toBe('RIVULET_STATE_UNKNOWN_STORE');
    expect(codeOf(() => d.getWindowStore('c'))).toBe('RIVULET_STATE_UNKNOWN_STORE'); // c is a key-value store
    d.close();
    expect(codeOf(() => d.createInputTopic('in', str, num).pipeInput('a', 1))).toBe('RIVULET_STATE_CLOSED');
    expect(codeOf(() => d.advanceWallClockTime(1))).toBe('RIVULET_STATE_CLOSED');
  });
});
