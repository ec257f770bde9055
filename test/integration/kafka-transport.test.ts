/**
 * The transport contract against a real Apache Kafka broker, through each
 * Kafka client (kafkajs and @platformatic/kafka). Needs `KAFKA_BROKERS` (e.g.
 * from `npm run test:integration`, which starts a broker with
 * scripts/kafka/with-kafka.sh); without it the file is skipped.
 * RIVULET_KAFKAJS_LOG=<kafkajs logLevel number, e.g. 4 = INFO> turns on kafkajs logs.
 */
import { describe, it } from 'vitest';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { createPlatformaticTransport } from '../../src/transport/platformatic/platformatic-transport.js';
import { describeTransport } from '../support/transport-contract.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];

if (brokers.length === 0) {
  console.log('test/integration/kafka-transport.test.ts: KAFKA_BROKERS is not set, skipping (run `npm run test:integration`)');
  describe.skip('Transport contract: kafkajs on Apache Kafka (KAFKA_BROKERS not set)', () => {
    it('needs a broker', () => undefined);
  });
} else {
  describeTransport('kafkajs on Apache Kafka', () => ({ newTransport: () => createKafkaTransport({ brokers, ...(process.env['RIVULET_KAFKAJS_LOG'] ? { logLevel: Number(process.env['RIVULET_KAFKAJS_LOG']) } : {}) }) }), { waitMs: 30_000 });
  describeTransport('@platformatic/kafka on Apache Kafka', () => ({ newTransport: () => createPlatformaticTransport({ brokers }) }), { waitMs: 30_000 });
}
