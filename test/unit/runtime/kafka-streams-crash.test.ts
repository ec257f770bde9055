import { afterAll } from 'vitest';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { describeCrashScenarios } from '../../support/crash-scenarios.js';
import { embeddedCrashEnvironment } from '../../support/embedded-crash.js';

const broker = new EmbeddedBroker();
afterAll(() => broker.close());

// Short session and transaction timeouts: a killed instance is evicted after 1 s and
// its open transaction aborted after 2 s, as Kafka would after its (longer) timeouts.
describeCrashScenarios('the embedded broker', embeddedCrashEnvironment(broker, { records: 20_000, sessionTimeoutMs: 1_000, transactionTimeoutMs: 2_000 }));
