import { afterEach, describe, expect, it } from 'vitest';
import { TopologyError } from '../../../src/errors.js';
import { internalSerde } from '../../../src/dsl/builder-context.js';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import type { ProcessorContext, ProcessorSupplier } from '../../../src/processors/processor.js';
import { Serdes } from '../../../src/serde/serdes.js';
import type { KeyValueStore } from '../../../src/state/store-api.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import type { StoreDefinition } from '../../../src/topology/store-definition.js';

// KStream.process / processValues with Processor API processors, a store added
// with StreamsBuilder.addStateStore, and stream-time and wall-clock punctuation.

const str = Serdes.string();
const num = Serdes.json<number>();

/** A key-value store definition filled in as BuilderContext.addStore fills one. */
function kvStore(name: string): StoreDefinition {
  return {
    name,
    type: 'key-value',
    persistent: false,
    changelog: true,
    keySerde: str as never,
    valueSerde: internalSerde,
    generatedName: false,
  };
}

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

describe('process() with a state store', () => {
  /** Sums values per key in the store and forwards `key -> running sum` as `sum:<key>`. */
  const summer: ProcessorSupplier<string, number, string, number> = () => {
    let ctx!: ProcessorContext<string, number>;
    let store!: KeyValueStore<string, number>;
    return {
      init: (c) => {
        ctx = c;
        store = c.getStateStore<KeyValueStore<string, number>>('sums');
      },
      process: (r) => {
        const next = (store.get(r.key) ?? 0) + r.value;
        store.put(r.key, next);
        ctx.forward({ ...r, key: `sum:${r.key}`, value: next });
      },
    };
  };

  it('reads and writes the connected store and may change the key', () => {
    const b = new StreamsBuilder();
    b.addStateStore(kvStore('sums'));
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).process(summer, { name: 'summer', stores: ['sums'] }).to('out', { keySerde: str, valueSerde: num });
    const topology = b.build();
    expect(topology.node('summer')).toMatchObject({ kind: 'processor', stores: ['sums'] });
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 1);
    input.pipeInput('b', 10, 2);
    input.pipeInput('a', 2, 3);
    // a: 1, then 1 + 2 = 3; b: 10.
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'sum:a', value: 1 },
      { key: 'sum:b', value: 10 },
      { key: 'sum:a', value: 3 },
    ]);
    const store = d.getKeyValueStore<string, number>('sums');
    expect(store.get('a')).toBe(3);
    expect(store.get('b')).toBe(10);
  });

  it('processValues keeps the key; a later groupByKey needs no repartition', () => {
    const doubler: ProcessorSupplier<string, number, string, number> = () => {
      let ctx!: ProcessorContext<string, number>;
      return { init: (c) => void (ctx = c), process: (r) => ctx.forward({ ...r, value: r.value * 2 }) };
    };
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num })
      .processValues(doubler, { name: 'doubler' })
      .groupByKey()
      .count({ storeName: 'n' })
      .toStream()
      .to('out', { keySerde: str, valueSerde: num });
    const topology = b.build();
    // One sub-topology: no repartition topic was inserted.
    expect(topology.subTopologies()).toHaveLength(1);
    const d = (driver = new TopologyTestDriver(topology));
    d.createInputTopic('in', str, num).pipeInput('a', 4, 1);
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([{ key: 'a', value: 1 }]);
  });

  it('getStateStore on a store the processor is not connected to throws RIVULET_TOPOLOGY_STORE_NOT_CONNECTED', () => {
    const b = new StreamsBuilder();
    b.addStateStore(kvStore('sums'));
    b.addStateStore(kvStore('other'));
    const greedy: ProcessorSupplier<string, number, string, number> = () => ({
      init: (c) => void c.getStateStore('other'),
      process: () => undefined,
    });
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).process(greedy, { name: 'greedy', stores: ['sums'] });
    let caught: unknown;
    try {
      driver = new TopologyTestDriver(b.build());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TopologyError);
    expect((caught as TopologyError).code).toBe('RIVULET_TOPOLOGY_STORE_NOT_CONNECTED');
  });
});

describe('punctuation', () => {
  /** Records every punctuation as `<type>@<timestamp>` and forwards the count of records seen so far. */
  function ticking(type: 'stream-time' | 'wall-clock', intervalMs: number, log: string[]): ProcessorSupplier<string, number, string, number> {
    return () => {
      let ctx!: ProcessorContext<string, number>;
      let seen = 0;
      return {
        init: (c) => {
          ctx = c;
          c.schedule(intervalMs, type, (ts) => {
            log.push(`${type}@${ts}`);
            ctx.forward({ key: 'seen', value: seen, timestamp: ts });
          });
        },
        process: () => void seen++,
      };
    };
  }

  it('stream-time punctuation fires as stream time crosses each multiple of the interval, once per crossing', () => {
    // Kafka Streams aligns stream-time schedules to 0: due at 0, 10, 20, ...; a jump over
    // several intervals fires once and the next one is the next multiple.
    const log: string[] = [];
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).process(ticking('stream-time', 10, log)).to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('k', 0, 3); //  stream time 3  >= 0  -> fires @3, next due 10
    input.pipeInput('k', 0, 9); //  stream time 9  <  10 -> nothing
    input.pipeInput('k', 0, 12); // stream time 12 >= 10 -> fires @12, next due 20
    input.pipeInput('k', 0, 5); //  out of order: stream time stays 12 -> nothing
    input.pipeInput('k', 0, 47); // 47 >= 20 -> fires once @47 (20, 30, 40 coalesce), next due 50
    input.pipeInput('k', 0, 50); // 50 >= 50 -> fires @50
    expect(log).toEqual(['stream-time@3', 'stream-time@12', 'stream-time@47', 'stream-time@50']);
    // The punctuator runs after the record is processed: seen = 1, 3, 5, 6.
    expect(d.createOutputTopic('out', str, num).readRecordsToList().map((r) => [r.value, r.timestamp])).toEqual([
      [1, 3],
      [3, 12],
      [5, 47],
      [6, 50],
    ]);
    expect(d.metrics().punctuations).toBe(4);
  });

  it('wall-clock punctuation fires on driver.advanceWallClockTime, aligned to the schedule time', () => {
    // Scheduled at wall-clock 1000 with interval 100: due 1100, 1200, ... Kafka Streams keeps
    // that grid: after firing late at 1150 the next is due at 1200, not 1250.
    const log: string[] = [];
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).process(ticking('wall-clock', 100, log)).to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 1000 }));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('k', 1, 5_000_000); // stream time does not drive wall-clock punctuation
    expect(log).toEqual([]);
    d.advanceWallClockTime(99); //  1099 < 1100 -> nothing
    expect(log).toEqual([]);
    d.advanceWallClockTime(51); //  1150 >= 1100 -> fires @1150, next due 1200
    d.advanceWallClockTime(50); //  1200 >= 1200 -> fires @1200, next due 1300
    d.advanceWallClockTime(350); // 1550: fires once (1300..1500 coalesce), next due 1600
    d.advanceWallClockTime(49); //  1599 -> nothing
    expect(log).toEqual(['wall-clock@1150', 'wall-clock@1200', 'wall-clock@1550']);
    // Records forwarded by a punctuator reach the sink.
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'seen', value: 1 },
      { key: 'seen', value: 1 },
      { key: 'seen', value: 1 },
    ]);
  });

  it('a cancelled punctuation no longer fires', () => {
    const log: string[] = [];
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).process(() => {
      let n = 0;
      return {
        init: (c) => {
          const handle = c.schedule(10, 'wall-clock', (ts) => {
            log.push(`tick@${ts}`);
            if (++n === 2) handle.cancel();
          });
        },
        process: () => undefined,
      };
    });
    const d = (driver = new TopologyTestDriver(b.build()));
    for (let i = 0; i < 5; i++) d.advanceWallClockTime(10);
    // Due 10, 20 -> fires twice, then cancelled.
    expect(log).toEqual(['tick@10', 'tick@20']);
  });
});
