import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import type { BatchInfo, BatchRow } from '../../../src/processors/foreach-batch.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, produceJson } from '../../support/embedded-io.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function topology(fn: (rows: BatchRow<string, number>[], batch: BatchInfo) => void | Promise<void>, retries = 0) {
  const b = new StreamsBuilder();
  b.stream<string, number>('in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).foreachBatch(fn, { name: 'sink', retries, backoffMs: 1 });
  return b.build();
}

describe('KStream.foreachBatch', () => {
  it('hands every record over once, in order, in batches numbered from 0', async () => {
    const seen: { id: number; values: number[] }[] = [];
    const d = new TopologyTestDriver(
      topology(async (rows, batch) => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push({ id: batch.batchId, values: rows.map((r) => r.value) });
      }),
    );
    const input = d.createInputTopic('in', Serdes.string(), Serdes.json<number>());
    for (let i = 0; i < 10; i++) input.pipeInput('k', i, i);
    await d.settle();
    d.close();
    expect(seen.map((b) => b.id)).toEqual(seen.map((_, i) => i));
    expect(seen.flatMap((b) => b.values)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a batch that failed comes back after a restart with the same id: a sink replacing by id holds every row exactly once', async () => {
    const broker = new EmbeddedBroker();
    const admin = broker.transport();
    await admin.connect();
    await admin.createTopics([{ topic: 'in', partitions: 1 }]);
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-batch-'));
    dirs.push(dir);
    // The external system: what was written per batch id (replaced on a repeat).
    const sink = new Map<number, number[]>();
    const attempts: number[] = [];
    let failBatch: number | undefined = 1;
    const fn = (rows: BatchRow<string, number>[], batch: BatchInfo) => {
      attempts.push(batch.batchId);
      sink.set(batch.batchId, rows.map((r) => r.value));
      if (batch.batchId === failBatch) throw new Error('warehouse unavailable');
    };
    const newApp = () => new KafkaStreams(topology(fn), { applicationId: 'batches', stateDir: dir, embeddedBroker: broker, commitIntervalMs: 50 });
    const first = newApp();
    await first.start();
    await produceJson(admin, 'in', Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: i })));
    await eventually(() => attempts.includes(0), 10_000, 'batch 0');
    await produceJson(admin, 'in', Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: 5 + i })));
    await eventually(() => first.state() === 'ERROR', 10_000, 'the failed batch stopping the instance');
    expect(String((first.error() as Error).message)).toMatch(/batch 1 of task .* failed after 1 attempts: warehouse unavailable; it is retried with the same id/);
    await first.close();

    failBatch = undefined;
    const second = newApp();
    await second.start();
    await produceJson(admin, 'in', Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: 10 + i })));
    await eventually(() => [...sink.values()].flat().length === 15, 10_000, 'all 15 rows written');
    await second.close();
    expect([...sink.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(attempts.filter((id) => id === 1).length).toBeGreaterThanOrEqual(2);
    await admin.close();
  });
});
