import { afterEach, describe, expect, it } from 'vitest';
import { TopologyError } from '../../../src/errors.js';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// Stream–global table joins: each stream record looks up the table's current value
// under a key computed from the record; table updates emit nothing.

const str = Serdes.string();
interface Report {
  readonly state: string | null;
  readonly text: string;
}
const reports = Serdes.json<Report>();
const region = Serdes.json<string>();
const out = Serdes.json<{ text: string; region: string | null }>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

function enrich(left: boolean) {
  const b = new StreamsBuilder();
  const regions = b.globalTable<string, string>('regions', { keySerde: str, valueSerde: region }, { storeName: 'regions' });
  const stream = b.stream<string, Report>('reports', { keySerde: str, valueSerde: reports });
  const joiner = (r: Report, reg: string | undefined) => ({ text: r.text, region: reg ?? null });
  (left ? stream.leftJoin(regions, (_k, r) => r.state, joiner) : stream.join(regions, (_k, r) => r.state as string, joiner)).to('enriched', { keySerde: str, valueSerde: out });
  return b.build();
}

describe('KStream.join(GlobalKTable)', () => {
  it('joins with the value current when the record arrives; misses and null join keys emit nothing', () => {
    const d = (driver = new TopologyTestDriver(enrich(false)));
    const table = d.createInputTopic('regions', str, region);
    const input = d.createInputTopic('reports', str, reports);
    const output = d.createOutputTopic('enriched', str, out);
    table.pipeInput('CA', 'west');
    table.pipeInput('NY', 'east');
    input.pipeInput('r1', { state: 'CA', text: 'smoke' });
    input.pipeInput('r2', { state: 'TX', text: 'flood' }); // no row: dropped by the inner join
    input.pipeInput('r3', { state: null, text: 'spill' }); // no join key: dropped
    table.pipeInput('CA', 'pacific'); // an update emits nothing by itself
    input.pipeInput('r4', { state: 'CA', text: 'fire' });
    table.pipeInput('NY', null); // tombstone: the row is gone
    input.pipeInput('r5', { state: 'NY', text: 'storm' });
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'r1', value: { text: 'smoke', region: 'west' } },
      { key: 'r4', value: { text: 'fire', region: 'pacific' } },
    ]);
    expect(d.getKeyValueStore<string, string>('regions').all()).toEqual([{ key: 'CA', value: 'pacific' }]);
  });

  it('leftJoin emits every record, with undefined where the table has no row', () => {
    const d = (driver = new TopologyTestDriver(enrich(true)));
    d.createInputTopic('regions', str, region).pipeInput('CA', 'west');
    const input = d.createInputTopic('reports', str, reports);
    input.pipeInput('r1', { state: 'CA', text: 'smoke' });
    input.pipeInput('r2', { state: 'TX', text: 'flood' });
    input.pipeInput('r3', { state: null, text: 'spill' });
    expect(d.createOutputTopic('enriched', str, out).readKeyValuesToList()).toEqual([
      { key: 'r1', value: { text: 'smoke', region: 'west' } },
      { key: 'r2', value: { text: 'flood', region: null } },
      { key: 'r3', value: { text: 'spill', region: null } },
    ]);
  });

  it('a table record that does not deserialize is dead-lettered and counted; the table keeps its other rows', () => {
    const d = (driver = new TopologyTestDriver(enrich(true)));
    const raw = d.createInputTopic('regions', str, Serdes.bytes());
    raw.pipeInput('CA', new TextEncoder().encode('"west"'));
    raw.pipeInput('NY', new TextEncoder().encode('{not json'));
    raw.pipeInput(null, new TextEncoder().encode('"north"'));
    expect(d.getKeyValueStore<string, string>('regions').all()).toEqual([{ key: 'CA', value: 'west' }]);
    const dlq = d.createOutputTopic('test-dlq', str, Serdes.bytes()).readRecordsToList();
    expect(dlq.map((r) => r.key)).toEqual(['NY']);
    const stage = dlq[0]?.headers['rivulet.error.stage'];
    expect(typeof stage === 'string' ? stage : new TextDecoder().decode(stage)).toBe('deserialization');
    expect(d.metrics().deadLettered).toBe(1);
    expect(d.metrics().dropped['null-key']).toBe(1);
  });
});

describe('globalTable in the topology', () => {
  it('is described as a global-store sub-topology that generates no tasks', () => {
    const text = enrich(false).describe().toString();
    expect(text).toContain('Sub-topology: 1 for global store (will not generate tasks)\n    Source: KSTREAM-SOURCE-0000000000 (topics: [regions])\n      --> KTABLE-SOURCE-0000000001\n    Processor: KTABLE-SOURCE-0000000001 (stores: [regions])\n      --> none\n      <-- KSTREAM-SOURCE-0000000000\n');
    expect(enrich(false).describe().toMermaid()).toContain('subgraph global0["Global store regions"]');
  });

  it('rejects a topic read both as a stream and as a global table, and joins with a table of another builder', () => {
    const b = new StreamsBuilder();
    b.stream('regions');
    expect(() => b.globalTable('regions')).toThrow(TopologyError);
    expect(() => b.globalTable('regions')).toThrow(/topic "regions" is already read by source "KSTREAM-SOURCE-0000000000"/);
    const other = new StreamsBuilder().globalTable('users', {}, { storeName: 'users' });
    expect(() => b.stream('clicks').join(other, (k) => k, (v) => v)).toThrow(/"users" is not a global table of this builder/);
  });
});

describe('StreamsBuilder.globalTableFrom (static rows)', () => {
  function topology(rows: Parameters<StreamsBuilder['globalTableFrom']>[1]) {
    const b = new StreamsBuilder();
    const regions = b.globalTableFrom<string, string>('state-regions', rows as Iterable<readonly [string, string]>);
    b.stream<string, Report>('reports', { keySerde: str, valueSerde: reports })
      .leftJoin(regions, (_k, r) => r.state, (r, reg) => ({ text: r.text, region: reg ?? null }))
      .to('enriched', { keySerde: str, valueSerde: out });
    return b.build();
  }

  it('joins against rows the service provides, without any topic', () => {
    const d = (driver = new TopologyTestDriver(topology([['CA', 'west'], ['NY', 'east']])));
    const input = d.createInputTopic('reports', str, reports);
    input.pipeInput('r1', { state: 'NY', text: 'storm' });
    input.pipeInput('r2', { state: 'TX', text: 'heat' });
    expect(d.createOutputTopic('enriched', str, out).readKeyValuesToList()).toEqual([
      { key: 'r1', value: { text: 'storm', region: 'east' } },
      { key: 'r2', value: { text: 'heat', region: null } },
    ]);
    expect(d.getKeyValueStore<string, string>('state-regions').approximateNumEntries()).toBe(2);
  });

  it('the test driver asks for synchronous rows, naming the table', () => {
    expect(() => new TopologyTestDriver(topology(async () => [['CA', 'west'] as const]))).toThrow(/static table "state-regions" loads asynchronously/);
  });
});
