import { describe, it } from 'vitest';
import { describeCrashScenarios } from '../support/crash-scenarios.js';
import { kafkaCrashEnvironment } from '../support/kafka-crash.js';

const brokers = process.env['KAFKA_BROKERS'];

if (brokers === undefined || brokers === '') {
  describe('crashes on Apache Kafka', () => {
    it.skip('needs KAFKA_BROKERS (run `npm run test:integration`)', () => undefined);
  });
} else {
  // Instances are child processes killed with SIGKILL. Kafka's minimum session timeout is 6 s
  // (group.min.session.timeout.ms); transactions of a killed instance are aborted after 10 s.
  describeCrashScenarios(
    `Apache Kafka (${brokers})`,
    kafkaCrashEnvironment(brokers.split(','), { records: Number(process.env['CRASH_RECORDS'] ?? 100_000), sessionTimeoutMs: 6_000, transactionTimeoutMs: 10_000 }),
  );
}
