import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { latestByKey, produceJson, readAll } from '../../support/embedded-io.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function app(broker: EmbeddedBroker, dir: string): KafkaStreams {
  const b = new StreamsBuilder();
  // Counting by a field repartitions: the run must drain the repartition topic too.
  b.stream<string, { word: string }>('words', { keySerde: Serdes.string(), valueSerde: Serdes.json() })
    .groupBy((_k, v) => v.word)
    .count({ storeName: 'counts' })
    .toStream()
    .to('counts', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
  return new KafkaStreams(b.build(), { applicationId: 'backfill', stateDir: dir, embeddedBroker: broker, commitIntervalMs: 100 });
}

it('runUntilCaughtUp processes exactly the records present when called, then returns closed; the next run takes the rest', async () => {
  const broker = new EmbeddedBroker();
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: 'words', partitions: 3 }, { topic: 'counts', partitions: 3 }]);
  const words = ['a', 'b', 'c', 'd'];
  await produceJson(admin, 'words', Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: { word: words[i % 4] } })));
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-backfill-'));
  dirs.push(dir);

  const first = app(broker, dir);
  // More records arrive once the run has begun; they are not part of it.
  const late = new Promise<void>((resolve) => first.onStateChange((s) => s === 'REBALANCING' && resolve()));
  const progress: { done: number; total: number }[] = [];
  const run = first.runUntilCaughtUp({ timeoutMs: 30_000, onProgress: (p) => void progress.push(p) });
  await late;
  await produceJson(admin, 'words', Array.from({ length: 200 }, (_, i) => ({ key: `late${i}`, value: { word: 'a' } })));
  await run;
  expect(first.state()).toBe('NOT_RUNNING');
  // Progress counts the 1 000 source records present at the call, and ends complete.
  expect(progress.at(-1)).toMatchObject({ done: 1000, total: 1000 });
  expect(Object.fromEntries(latestByKey(await readAll(admin, 'counts')))).toEqual({ a: 250, b: 250, c: 250, d: 250 });

  const second = app(broker, dir);
  await second.runUntilCaughtUp({ timeoutMs: 30_000 });
  expect(Object.fromEntries(latestByKey(await readAll(admin, 'counts')))).toEqual({ a: 450, b: 250, c: 250, d: 250 });
  await admin.close();
});
