import { describe, it } from 'vitest';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { describeRuntimeScenarios } from '../support/runtime-scenarios.js';

const brokers = process.env['KAFKA_BROKERS'];

if (brokers === undefined || brokers === '') {
  describe('KafkaStreams on Apache Kafka', () => {
    it.skip('needs KAFKA_BROKERS (run `npm run test:integration`)', () => undefined);
  });
} else {
  describeRuntimeScenarios(`Apache Kafka (${brokers})`, {
    admin: async () => {
      const t = createKafkaTransport({ brokers: brokers.split(',') });
      await t.connect();
      return t;
    },
    instanceOptions: () => ({ brokers: brokers.split(',') }),
    waitMs: 90_000,
  });
}
