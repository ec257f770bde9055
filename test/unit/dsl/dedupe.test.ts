import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

const str = Serdes.string();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

describe('KStream.dedupe', () => {
  it('by key: passes the first sighting and drops records within `within` of a kept one, in either time direction', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: Serdes.json<number>() }).dedupe({ within: 10, name: 'dedupe' }).to('out', { keySerde: str, valueSerde: Serdes.json<number>() });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, Serdes.json<number>());
    input.pipeInput('a', 1, 0); //  kept
    input.pipeInput('a', 2, 5); //  5 - 0 <= 10: duplicate
    input.pipeInput('b', 3, 3); //  other key: kept
    input.pipeInput('a', 4, 11); // 11 - 0 > 10 (the dropped 5 does not count): kept
    input.pipeInput('a', 5, 1); //  within 10 of 0 and of 11: duplicate
    expect(d.createOutputTopic('out', str, Serdes.json<number>()).readRecordsToList().map((r) => `${r.key}@${r.timestamp}=${r.value}`)).toEqual(['a@0=1', 'b@3=3', 'a@11=4']);
    expect(d.metrics().dropped.duplicate).toBe(2);
  });

  it('by id: repartitions by the id so duplicates meet, and the kept records keep their own keys and values', () => {
    interface Report {
      readonly text: string;
      readonly n: number;
    }
    const b = new StreamsBuilder();
    b.stream<string, Report>('reports', { keySerde: str, valueSerde: Serdes.json<Report>() })
      .dedupe({ within: '1m', id: (_k, r) => r.text, name: 'same-text' })
      .to('unique', { keySerde: str, valueSerde: Serdes.json<Report>() });
    const topology = b.build();
    expect(topology.describe().toString()).toContain('same-text-repartition');
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('reports', str, Serdes.json<Report>());
    input.pipeInput('r1', { text: 'fire at A', n: 1 }, 0);
    input.pipeInput('r2', { text: 'fire at A', n: 2 }, 30_000); // same text 30 s later: duplicate
    input.pipeInput('r3', { text: 'flood', n: 3 }, 40_000);
    input.pipeInput('r4', { text: 'fire at A', n: 4 }, 70_000); // 70 s after the kept one: new
    expect(d.createOutputTopic('unique', str, Serdes.json<Report>()).readKeyValuesToList()).toEqual([
      { key: 'r1', value: { text: 'fire at A', n: 1 } },
      { key: 'r3', value: { text: 'flood', n: 3 } },
      { key: 'r4', value: { text: 'fire at A', n: 4 } },
    ]);
    expect(d.metrics().dropped.duplicate).toBe(1);
  });
});
