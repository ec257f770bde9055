import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { DLQ_HEADERS, DLQ_MAX_RECORD_BYTES, type ErrorHandling } from '../../../src/runtime/error-handling.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, produceJson, readAll } from '../../support/embedded-io.js';

// An output record larger than a producer may send, through a running application on the
// embedded broker (which refuses what Kafka refuses): by default it is dead-lettered as a cut
// copy and the application keeps committing; without the check it failed every commit.

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const dec = new TextDecoder();

let seq = 0;
async function run(productionErrorHandling: ErrorHandling) {
  const id = `prod-${++seq}-${Date.now()}`;
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: `${id}-in`, partitions: 1 }]);
  const b = new StreamsBuilder();
  b.stream<string, string>(`${id}-in`, { valueSerde: Serdes.json<string>() })
    .mapValues((v) => (v === 'big' ? 'x'.repeat(1_500_000) : v))
    .to(`${id}-out`, { valueSerde: Serdes.json<string>() });
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-prod-'));
  dirs.push(stateDir);
  const app = new KafkaStreams(b.build(), { applicationId: id, stateDir, embeddedBroker: broker, commitIntervalMs: 30, productionErrorHandling, processingGuarantee: 'exactly_once' });
  await app.start();
  await produceJson(admin, `${id}-in`, [
    { key: 'a', value: 'small' },
    { key: 'b', value: 'big' },
    { key: 'c', value: 'after' },
  ]);
  return { app, admin, id };
}

describe('an output record over the producer limit in a running application', () => {
  it('is dead-lettered by default; the other outputs commit and the application keeps running', async () => {
    const { app, admin, id } = await run('dead-letter');
    await eventually(async () => (await readAll(admin, `${id}-out`, 'read_committed')).length === 2, 10_000, 'both small outputs committed');
    const dlq = await readAll(admin, `${id}-dlq`, 'read_committed');
    expect(dlq).toHaveLength(1);
    expect(dec.decode(dlq[0]?.headers?.[DLQ_HEADERS.code])).toBe('RIVULET_TRANSPORT_RECORD_TOO_LARGE');
    expect(dlq[0]?.value?.length).toBeLessThanOrEqual(DLQ_MAX_RECORD_BYTES);
    expect(app.state()).toBe('RUNNING');
    expect(app.metrics().dropped.unproducible).toBe(1);
    await app.close();
  });

  it("with 'fail' the application stops with RIVULET_RECORD_FAILED instead of retrying a commit the broker refuses", async () => {
    const { app } = await run('fail');
    await eventually(() => app.state() === 'ERROR', 10_000, 'the application failed');
    await app.close();
  });
});
