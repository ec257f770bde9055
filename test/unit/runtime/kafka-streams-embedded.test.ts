import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { describeRuntimeScenarios } from '../../support/runtime-scenarios.js';

const broker = new EmbeddedBroker();

describeRuntimeScenarios('the embedded broker', {
  admin: async () => {
    const t = broker.transport();
    await t.connect();
    return t;
  },
  instanceOptions: () => ({ embeddedBroker: broker }),
  waitMs: 20_000,
});
