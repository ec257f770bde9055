import { describe, it } from 'vitest';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { describeRuntimeScenarios } from '../support/runtime-scenarios.js';

const brokers = process.env['KAFKA_BROKERS'];

if (brokers === undefined || brokers === '') {
  describe('KafkaStreams on Apache Kafka', () => {
    it.skip('needs KAFKA_BROKERS (run `npm run test:integration`)', () => undefined);
  });
} else {
  describeRuntimeScenarios(`Apache Kafka (${brokers})`, {
    admin: async () => {
      const t = await createBrokerTransport({ brokers: brokers.split(',') });
      await t.connect();
      return t;
    },
    instanceOptions: () => ({ brokers: brokers.split(',') }),
    waitMs: 90_000,
  });
}
