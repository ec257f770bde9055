import { describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

const header = (n: number) => `-------------------------------------------\nBatch: ${n}\n-------------------------------------------\n`;

function wordCount(mode: 'update' | 'complete', printed: string[]) {
  const b = new StreamsBuilder();
  b.stream<string | null, string>('lines', { valueSerde: Serdes.json<string>() })
    .flatMapValues((line) => line.split(' '))
    .groupBy((_k, w) => w)
    .count({ storeName: 'counts' })
    .toConsole({ mode, print: (t) => void printed.push(t) });
  return b.build();
}

describe('toConsole (Spark console sink)', () => {
  it('complete mode prints the whole table at each commit', () => {
    const printed: string[] = [];
    const d = new TopologyTestDriver(wordCount('complete', printed));
    const input = d.createInputTopic('lines', Serdes.string(), Serdes.json<string>());
    input.pipeInput(null, 'a b a');
    input.pipeInput(null, 'b c');
    d.close();
    expect(printed).toEqual([
      `${header(0)}+---+-----+\n|key|value|\n+---+-----+\n|a  |    2|\n|b  |    1|\n+---+-----+\n`,
      `${header(1)}+---+-----+\n|key|value|\n+---+-----+\n|a  |    2|\n|b  |    2|\n|c  |    1|\n+---+-----+\n`,
    ]);
  });

  it('update mode prints only the rows the commit changed', () => {
    const printed: string[] = [];
    const d = new TopologyTestDriver(wordCount('update', printed));
    const input = d.createInputTopic('lines', Serdes.string(), Serdes.json<string>());
    input.pipeInput(null, 'a b a');
    input.pipeInput(null, 'b c');
    d.close();
    expect(printed[1]).toBe(`${header(1)}+---+-----+\n|key|value|\n+---+-----+\n|b  |    2|\n|c  |    1|\n+---+-----+\n`);
  });

  it('a stream prints its new records (append), objects by field', () => {
    const printed: string[] = [];
    const b = new StreamsBuilder();
    b.stream<string, { device: string; temp: number }>('readings', { valueSerde: Serdes.json() }).toConsole({ title: 'readings', print: (t) => void printed.push(t) });
    const d = new TopologyTestDriver(b.build());
    d.createInputTopic('readings', Serdes.string(), Serdes.json<{ device: string; temp: number }>()).pipeInput('d1', { device: 'd1', temp: 21.5 });
    d.close();
    expect(printed).toEqual([
      `-------------------------------------------\nBatch: 0 (readings, task 0_0)\n-------------------------------------------\n+---+------+------+\n|key|device|temp  |\n+---+------+------+\n|d1 |d1    |21.500|\n+---+------+------+\n`,
    ]);
  });
});
