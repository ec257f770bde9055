/**
 * Seed 001's streaming word count: lines are split into words (explode), grouped
 * by word and counted; the console shows the whole count table after each
 * commit (Spark's complete output mode).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { EmbeddedBroker } from '../../src/transport/embedded/embedded-broker.js';
import type { Transport } from '../../src/transport/transport.js';

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

/**
 * Writes `lines` to the lines topic and counts every line there, then stops
 * (`runUntilCaughtUp`, Spark's availableNow). Returns the final counts as the
 * interactive query sees them. Without `brokers` it runs on an embedded broker.
 */
export async function runWordCount(lines: readonly string[], options: { brokers?: string[]; print?: (text: string) => void } = {}): Promise<Map<string, number>> {
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-wordcount-'));
  const broker = options.brokers === undefined ? new EmbeddedBroker() : undefined;
  const admin: Transport = broker?.transport() ?? createKafkaTransport({ brokers: options.brokers as string[] });
  const applicationId = `word-count-${Date.now()}`;
  try {
    await admin.connect();
    await admin.createTopics([{ topic: LINES_TOPIC, partitions: 1 }, { topic: COUNTS_TOPIC, partitions: 1 }]);
    const producer = await admin.producer();
    const enc = new TextEncoder();
    await producer.send(lines.map((l) => ({ topic: LINES_TOPIC, value: enc.encode(JSON.stringify(l)) })));
    await producer.close();
    const counts = new Map<string, number>();
    const app = new KafkaStreams(wordCountTopology(options.print ?? ((t) => void process.stdout.write(t))), {
      applicationId,
      stateDir,
      commitIntervalMs: 200,
      ...(broker === undefined ? { brokers: options.brokers as string[] } : { embeddedBroker: broker }),
    });
    // The store is read just before the instance closes, when it holds every count.
    app.onStateChange((next) => {
      if (next === 'PENDING_SHUTDOWN') for (const e of app.store<string, number>('word-counts').all()) counts.set(e.key, e.value);
    });
    await app.runUntilCaughtUp({ timeoutMs: 120_000 });
    return counts;
  } finally {
    await admin.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
