/**
 * test/support/interactive-queries.ts on Apache Kafka: three (then four, then
 * three) instances; a router asks a random instance for a key's metadata and
 * reads the key from the instance it names.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { queriesFollowTheKeys } from '../support/interactive-queries.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(brokers.length === 0)('interactive queries across instances on Apache Kafka', () => {
  it('routes every key to the instance holding it, before, during and after a rebalance', async () => {
    const id = `iq-${randomUUID().slice(0, 8)}`;
    const admin = createKafkaTransport({ brokers });
    await admin.connect();
    try {
      await admin.createTopics([{ topic: `${id}-in`, partitions: 6 }]);
      await queriesFollowTheKeys(
        {
          admin,
          input: `${id}-in`,
          newApp: (options) => {
            const b = new StreamsBuilder();
            b.stream<string, unknown>(`${id}-in`, { valueSerde: Serdes.json() }).groupByKey().count({ storeName: 'counts' }).toStream().to(`${id}-out`, { valueSerde: Serdes.json<number>() });
            const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-iq-'));
            dirs.push(stateDir);
            return new KafkaStreams(b.build(), { applicationId: id, brokers, stateDir, commitIntervalMs: 100, sessionTimeoutMs: 10_000, ...options });
          },
        },
        90_000,
      );
    } finally {
      await admin.close();
    }
  }, 300_000);
});
