/**
 * Seed 001's streaming word count: lines are split into words (explode), grouped
 * by word and counted; the console shows the whole count table after each
 * commit (Spark's complete output mode).
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { runOnce, type RunOnceOptions } from '../shared/run-once.js';

export const LINES_TOPIC = 'lines';
export const COUNTS_TOPIC = 'word-counts';

/** Lower-cased words of a line; punctuation separates words. */
export function words(line: string): string[] {
  return line.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter((w) => w.length > 0);
}

export function wordCountTopology(print: (text: string) => void): Topology {
  const b = new StreamsBuilder();
  const counts = b
    .stream<string | null, string>(LINES_TOPIC, { valueSerde: Serdes.json<string>() })
    .flatMapValues(words)
    .groupBy((_k, word) => word, { name: 'words' })
    .count({ storeName: 'word-counts' });
  counts.toConsole({ mode: 'complete', title: 'word counts', maxRows: 10, print });
  counts.toStream().to(COUNTS_TOPIC, { valueSerde: Serdes.json<number>() });
  return b.build();
}

/** Counts every line once and returns the final counts (see `runOnce`). */
export function runWordCount(lines: readonly string[], options: RunOnceOptions & { print?: (text: string) => void } = {}): Promise<Map<string, number>> {
  return runOnce(
    {
      name: 'word-count',
      topology: wordCountTopology(options.print ?? ((t) => void process.stdout.write(t))),
      topic: LINES_TOPIC,
      records: lines.map((l) => ({ value: l })),
      collect: (app) => new Map(app.store<string, number>('word-counts').all().map((e) => [e.key, e.value])),
    },
    options,
  );
}
