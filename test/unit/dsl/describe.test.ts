import { describe, expect, it } from 'vitest';
import { TopologyError } from '../../../src/errors.js';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { TimeWindows } from '../../../src/dsl/windows.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import { Topology } from '../../../src/topology/topology.js';

// Topology.describe() in Kafka Streams' text format, its Mermaid rendering,
// naming warnings and topology construction errors.

function wordCount(): Topology {
  const b = new StreamsBuilder();
  b.stream<string | null, string>('lines', { valueSerde: Serdes.string() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/))
    .groupBy((_k, word) => word)
    .count({ storeName: 'counts' })
    .toStream()
    .to('word-counts');
  return b.build();
}

function clicksPerMinute(): Topology {
  const b = new StreamsBuilder();
  const clicks = b.stream<string, { user: string }>('clicks', { name: 'clicks-source' });
  clicks
    .filter((_k, v) => v.user !== '', { name: 'valid' })
    .selectKey((_k, v) => v.user)
    .repartition({ name: 'by-user' })
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeWithNoGrace('1m'))
    .count({ storeName: 'clicks-per-minute' })
    .toStream()
    .to('per-minute');
  clicks.peek(() => undefined, { name: 'audit' });
  return b.build();
}

/** Throws-assertion on class and code, as STYLE.md asks. */
function expectTopologyError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TopologyError);
  expect((caught as TopologyError).code).toBe(code);
}

describe('describe() text', () => {
  it('word count: golden text, two sub-topologies split at the repartition topic', () => {
    // Generated names count up per operator: source 0, flatMapValues 1, groupBy's key selector 2,
    // the aggregate 3 (its store is named, so it takes no number), toStream 4, sink 5. The
    // repartition nodes are named after the store: counts-repartition-sink / -source.
    const expected = [
      'Topologies:',
      '   Sub-topology: 0',
      '    Source: KSTREAM-SOURCE-0000000000 (topics: [lines])',
      '      --> KSTREAM-FLATMAPVALUES-0000000001',
      '    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])',
      '      --> KSTREAM-KEY-SELECT-0000000002',
      '      <-- KSTREAM-SOURCE-0000000000',
      '    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])',
      '      --> counts-repartition-sink',
      '      <-- KSTREAM-FLATMAPVALUES-0000000001',
      '    Sink: counts-repartition-sink (topic: counts-repartition)',
      '      <-- KSTREAM-KEY-SELECT-0000000002',
      '',
      '  Sub-topology: 1',
      '    Source: counts-repartition-source (topics: [counts-repartition])',
      '      --> KSTREAM-AGGREGATE-0000000003',
      '    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts])',
      '      --> KTABLE-TOSTREAM-0000000004',
      '      <-- counts-repartition-source',
      '    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])',
      '      --> KSTREAM-SINK-0000000005',
      '      <-- KSTREAM-AGGREGATE-0000000003',
      '    Sink: KSTREAM-SINK-0000000005 (topic: word-counts)',
      '      <-- KTABLE-TOSTREAM-0000000004',
      '',
      '',
    ].join('\n');
    expect(wordCount().describe().toString()).toBe(expected);
  });

  it('explicit repartition + windowed count + a second child of the source: golden text', () => {
    // Named operators keep their names; unnamed ones count up: selectKey 0, aggregate 1,
    // toStream 2, sink 3. The source has two children (valid, audit) in the order they were added.
    const expected = [
      'Topologies:',
      '   Sub-topology: 0',
      '    Source: clicks-source (topics: [clicks])',
      '      --> valid, audit',
      '    Processor: valid (stores: [])',
      '      --> KSTREAM-KEY-SELECT-0000000000',
      '      <-- clicks-source',
      '    Processor: KSTREAM-KEY-SELECT-0000000000 (stores: [])',
      '      --> by-user-repartition-sink',
      '      <-- valid',
      '    Sink: by-user-repartition-sink (topic: by-user-repartition)',
      '      <-- KSTREAM-KEY-SELECT-0000000000',
      '    Processor: audit (stores: [])',
      '      --> none',
      '      <-- clicks-source',
      '',
      '  Sub-topology: 1',
      '    Source: by-user-repartition-source (topics: [by-user-repartition])',
      '      --> KSTREAM-AGGREGATE-0000000001',
      '    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [clicks-per-minute])',
      '      --> KTABLE-TOSTREAM-0000000002',
      '      <-- by-user-repartition-source',
      '    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])',
      '      --> KSTREAM-SINK-0000000003',
      '      <-- KSTREAM-AGGREGATE-0000000001',
      '    Sink: KSTREAM-SINK-0000000003 (topic: per-minute)',
      '      <-- KTABLE-TOSTREAM-0000000002',
      '',
      '',
    ].join('\n');
    expect(clicksPerMinute().describe().toString()).toBe(expected);
  });

  it('a sink with a TopicNameExtractor is described by its extractor', () => {
    const b = new StreamsBuilder();
    b.stream('in').to(() => 'somewhere', { name: 'dynamic' });
    expect(b.build().describe().toString()).toContain('    Sink: dynamic (extractor class: TopicNameExtractor)\n      <-- KSTREAM-SOURCE-0000000000\n');
  });
});

describe('describe().toMermaid()', () => {
  it('draws sub-topologies, nodes, topics, edges and stores', () => {
    const m = clicksPerMinute().describe().toMermaid();
    const lines = m.split('\n');
    expect(lines[0]).toBe('flowchart TD');
    for (const line of [
      '  subgraph sub0["Sub-topology 0"]',
      '  subgraph sub1["Sub-topology 1"]',
      // sources and sinks are stadium-shaped, processors boxes
      '    clicks_source(["clicks-source"])',
      '    valid["valid"]',
      '    by_user_repartition_sink(["by-user-repartition-sink"])',
      '    KSTREAM_AGGREGATE_0000000001["KSTREAM-AGGREGATE-0000000001"]',
      // topic -> source, parent -> child, sink -> topic
      '  topic_clicks --> clicks_source',
      '  clicks_source --> valid',
      '  clicks_source --> audit',
      '  valid --> KSTREAM_KEY_SELECT_0000000000',
      '  by_user_repartition_sink --> topic_by_user_repartition',
      '  topic_by_user_repartition --> by_user_repartition_source',
      '  KSTREAM_SINK_0000000003 --> topic_per_minute',
      // the store hangs off its processor
      '  KSTREAM_AGGREGATE_0000000001 -.- store_clicks_per_minute[("clicks-per-minute")]',
      // each topic declared once with its real name
      '  topic_clicks{{"clicks"}}',
      '  topic_by_user_repartition{{"by-user-repartition"}}',
      '  topic_per_minute{{"per-minute"}}',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.filter((l) => l.startsWith('  topic_per_minute{{'))).toHaveLength(1);
  });
});

describe('warnings', () => {
  it('a stateful operator without a store name adds a warning naming the generated store', () => {
    const b = new StreamsBuilder();
    const grouped = b.stream<string, number>('in').groupByKey();
    grouped.count(); // source 0, aggregate 1, store 2
    grouped.count({ storeName: 'named' }); // named: no warning
    const t = b.build();
    expect(t.warnings).toHaveLength(1);
    expect(t.warnings[0]).toContain('KGroupedStream.aggregate: store "KSTREAM-AGGREGATE-STATE-STORE-0000000002" has a generated name');
  });

  it('stateless topologies and fully named stateful ones have no warnings', () => {
    expect(wordCount().warnings).toEqual([]);
    expect(clicksPerMinute().warnings).toEqual([]);
  });
});

describe('topology errors', () => {
  it('duplicate node names: RIVULET_TOPOLOGY_DUPLICATE_NAME', () => {
    const b = new StreamsBuilder();
    const s = b.stream('in');
    s.filter(() => true, { name: 'x' });
    expectTopologyError(() => s.mapValues((v) => v, { name: 'x' }), 'RIVULET_TOPOLOGY_DUPLICATE_NAME');
  });

  it('unknown parents: RIVULET_TOPOLOGY_UNKNOWN_NODE; no parent: RIVULET_TOPOLOGY_NO_PARENT; a sink as parent: RIVULET_TOPOLOGY_SINK_PARENT', () => {
    const t = new Topology().addSource('src', 'in').addSink('out', 'out-topic', {}, 'src');
    const noop = () => ({ process: () => undefined });
    expectTopologyError(() => t.addProcessor('p', noop, 'missing'), 'RIVULET_TOPOLOGY_UNKNOWN_NODE');
    expectTopologyError(() => t.addProcessor('p', noop), 'RIVULET_TOPOLOGY_NO_PARENT');
    expectTopologyError(() => t.addProcessor('p', noop, 'out'), 'RIVULET_TOPOLOGY_SINK_PARENT');
  });

  it('a topic read twice: RIVULET_TOPOLOGY_TOPIC_READ_TWICE', () => {
    const b = new StreamsBuilder();
    b.stream('orders');
    expectTopologyError(() => b.stream('orders'), 'RIVULET_TOPOLOGY_TOPIC_READ_TWICE');
    expectTopologyError(() => b.stream(['payments', 'orders']), 'RIVULET_TOPOLOGY_TOPIC_READ_TWICE');
  });

  it('two aggregations with the same store name: RIVULET_TOPOLOGY_DUPLICATE_STORE', () => {
    const b = new StreamsBuilder();
    const g = b.stream('in').groupByKey();
    g.count({ storeName: 's' });
    expectTopologyError(() => g.count({ storeName: 's' }), 'RIVULET_TOPOLOGY_DUPLICATE_STORE');
  });

  it('process() naming a store that was never added: RIVULET_TOPOLOGY_UNKNOWN_STORE', () => {
    const b = new StreamsBuilder();
    expectTopologyError(() => b.stream('in').process(() => ({ process: () => undefined }), { stores: ['ghost'] }), 'RIVULET_TOPOLOGY_UNKNOWN_STORE');
  });

  it('merging streams of different builders: RIVULET_TOPOLOGY_FOREIGN_STREAM', () => {
    const a = new StreamsBuilder().stream('a');
    const other = new StreamsBuilder().stream('b');
    expectTopologyError(() => a.merge(other), 'RIVULET_TOPOLOGY_FOREIGN_STREAM');
  });

  it('piping into a topic no source reads: RIVULET_TOPOLOGY_UNKNOWN_TOPIC', () => {
    const driver = new TopologyTestDriver(wordCount());
    try {
      expectTopologyError(() => driver.createInputTopic('nope', Serdes.string(), Serdes.string()).pipeValue('x'), 'RIVULET_TOPOLOGY_UNKNOWN_TOPIC');
    } finally {
      driver.close();
    }
  });
});
