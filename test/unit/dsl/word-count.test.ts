import { describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

describe('word count (seed 001)', () => {
  it('counts words across lines, emitting each updated count', () => {
    const b = new StreamsBuilder();
    b.stream<string | null, string>('lines', { valueSerde: Serdes.string() })
      .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter((w) => w.length > 0))
      .groupBy((_k, word) => word)
      .count({ storeName: 'counts' })
      .toStream()
      .to('word-counts', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
    const driver = new TopologyTestDriver(b.build());
    const input = driver.createInputTopic('lines', Serdes.string(), Serdes.string());
    const output = driver.createOutputTopic('word-counts', Serdes.string(), Serdes.json<number>());

    input.pipeValue('the quick fox', 1);
    input.pipeValue('The lazy dog and the fox', 2);
    // Worked out by hand: the(1,2,3) quick(1) fox(1,2) lazy(1) dog(1) and(1); one commit per line.
    expect(output.readKeyValuesToList()).toEqual([
      { key: 'the', value: 1 },
      { key: 'quick', value: 1 },
      { key: 'fox', value: 1 },
      { key: 'the', value: 3 },
      { key: 'lazy', value: 1 },
      { key: 'dog', value: 1 },
      { key: 'and', value: 1 },
      { key: 'fox', value: 2 },
    ]);
    expect(driver.getKeyValueStore<string, number>('counts').get('the')).toBe(3);
    expect(driver.getKeyValueStore<string, number>('counts').all().map((e) => e.key)).toEqual(['"and"', '"dog"', '"fox"', '"lazy"', '"quick"', '"the"'].map((s) => JSON.parse(s)));
    driver.close();
  });
});
