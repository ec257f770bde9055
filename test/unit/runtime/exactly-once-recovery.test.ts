import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { changelogTopic } from '../../../src/topology/store-definition.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { checkAggregatesExact, crashTopology, jsonOf, keyOf, type Agg, type CrashTopics } from '../../support/crash-topology.js';
import { eventually, produceJson, readAll } from '../../support/embedded-io.js';

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('exactly-once recovery', () => {
  it('restores committed changelog records that follow a transaction a dead instance left open', async () => {
    const admin = broker.transport();
    await admin.connect();
    const topics: CrashTopics = { input: 'eos-restore-in', aggregates: 'eos-restore-agg', windows: 'eos-restore-win' };
    await admin.createTopics([topics.input, topics.aggregates, topics.windows].map((topic) => ({ topic, partitions: 1 })));
    const applicationId = 'eos-restore';
    const newApp = () => {
      const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-eos-'));
      dirs.push(stateDir);
      return new KafkaStreams(crashTopology(topics), { applicationId, stateDir, embeddedBroker: broker, processingGuarantee: 'exactly_once', commitIntervalMs: 50 });
    };
    const lastN = async () => {
      const out = await readAll(admin, topics.aggregates, 'read_committed');
      const last = out.filter((r) => keyOf(r) === 'k').at(-1);
      return last === undefined ? 0 : jsonOf<Agg>(last).n;
    };
    const produce = (from: number) => produceJson(admin, topics.input, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: { v: from + i } })));

    const a = newApp();
    await a.start();
    await produce(0);
    await eventually(async () => (await lastN()) === 10, 10_000, 'a counted 10');
    await a.close();

    // A dead instance's transaction, open on the store's changelog until the broker's timeout.
    const zombie = await admin.producer({ transactionalId: 'dead-instance', transactionTimeoutMs: 3_000 });
    await zombie.beginTransaction();
    await zombie.send([{ topic: changelogTopic(applicationId, 'agg-store'), partition: 0, key: new TextEncoder().encode('k'), value: new TextEncoder().encode('{"n":999,"sum":0,"min":0,"max":0}') }]);

    // b (fresh state) writes committed changelog records after the open transaction.
    const b = newApp();
    await b.start();
    await produce(10);
    await eventually(async () => (await lastN()) === 20, 10_000, 'b counted 20');
    await b.close();

    // c (fresh state) must restore b's records although the open transaction holds the last stable offset before them.
    const c = newApp();
    await c.start();
    await produce(20);
    await eventually(async () => (await readAll(admin, topics.aggregates, 'read_committed')).length === 30, 15_000, 'c processed 10 more');
    await c.close();
    expect(await lastN()).toBe(30);
    await admin.close();
  }, 30_000);

  it('an instance whose producer is fenced drops its open work, opens a new producer and keeps running; outputs stay exact', async () => {
    const admin = broker.transport();
    await admin.connect();
    const topics: CrashTopics = { input: 'eos-fence-in', aggregates: 'eos-fence-agg', windows: 'eos-fence-win' };
    await admin.createTopics([topics.input, topics.aggregates, topics.windows].map((topic) => ({ topic, partitions: 2 })));
    const applicationId = 'eos-fence';
    const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-eos-'));
    dirs.push(stateDir);
    const warnings: string[] = [];
    const quiet = () => undefined;
    const app = new KafkaStreams(crashTopology(topics), {
      applicationId,
      stateDir,
      embeddedBroker: broker,
      processingGuarantee: 'exactly_once',
      commitIntervalMs: 50,
      logger: { debug: quiet, info: quiet, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) },
    });
    await app.start();
    await app.waitForState('RUNNING', 10_000);
    const batch = (from: number) => Array.from({ length: 200 }, (_, i) => ({ key: `k-${i % 13}`, value: { v: from + i } }));
    const outputs = async () => (await readAll(admin, topics.aggregates, 'read_committed')).length;
    await produceJson(admin, topics.input, batch(0));
    await eventually(async () => (await outputs()) === 200, 10_000, 'first batch processed');

    // A producer with the instance's transactional id fences the instance's producer.
    const usurper = await admin.producer({ transactionalId: `${applicationId}-${app.instanceId}` });
    await produceJson(admin, topics.input, batch(200));
    await eventually(async () => (await outputs()) === 400, 10_000, 'second batch processed after the fence');
    expect(warnings.some((w) => w.includes('migrated'))).toBe(true);
    expect(app.state()).toBe('RUNNING');
    const problems = checkAggregatesExact(await readAll(admin, topics.input), await readAll(admin, topics.aggregates, 'read_committed'));
    expect(problems).toEqual([]);
    await app.close();
    await usurper.close();
    await admin.close();
  }, 30_000);
});
