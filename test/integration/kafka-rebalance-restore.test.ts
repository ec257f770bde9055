/**
 * test/support/rebalance-restore.ts on Apache Kafka: under exactly-once a second
 * instance joins and leaves; the first restores kept tasks from their checkpoints
 * and returning tasks only from what the second changed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { latestByKey, readAll } from '../support/embedded-io.js';
import { rebalanceRestoresFromCheckpoints } from '../support/rebalance-restore.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const newStateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-rebalance-'));
  dirs.push(d);
  return d;
};

describe.skipIf(brokers.length === 0)('rebalance under exactly-once on Apache Kafka', () => {
  it('restores kept tasks from their checkpoints and returning tasks only from what the other instance changed', async () => {
    const id = `rebalance-${randomUUID().slice(0, 8)}`;
    const admin = await createBrokerTransport({ brokers });
    await admin.connect();
    try {
      await admin.createTopics([{ topic: `${id}-in`, partitions: 4 }]);
      const stateDir = newStateDir();
      const newApp = (options: Partial<KafkaStreamsOptions> = {}) => {
        const b = new StreamsBuilder();
        b.stream<string, unknown>(`${id}-in`, { valueSerde: Serdes.json() })
          .groupByKey()
          .count({ storeName: 'counts' })
          .toStream()
          .to(`${id}-out`, { valueSerde: Serdes.json<number>() });
        return new KafkaStreams(b.build(), { applicationId: id, brokers, stateDir, commitIntervalMs: 100, sessionTimeoutMs: 10_000, ...options });
      };
      const counts = async () => latestByKey(await readAll(admin, `${id}-out`, 'read_committed'));
      await rebalanceRestoresFromCheckpoints({ admin, input: `${id}-in`, newApp, counts, newStateDir }, 60_000);
    } finally {
      await admin.close();
    }
  }, 240_000);
});
