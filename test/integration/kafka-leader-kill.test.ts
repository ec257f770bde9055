/**
 * Leader failover on a 3-node cluster (replication factor 3, min.insync.replicas 2):
 * while input keeps coming, the node leading an input partition is SIGKILLed, comes
 * back, then the node leading a changelog partition is. Exactly-once counts every
 * acknowledged record exactly once; at-least-once loses none. The application never
 * goes to ERROR: a leader moving is a retriable failure.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaStreams, type KafkaStreamsState } from '../../src/runtime/kafka-streams.js';
import { changelogTopic } from '../../src/topology/store-definition.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { countPerKey, expectOutageSurvived, settledCounts, startProducing } from '../support/continuous-input.js';
import { eventually } from '../support/embedded-io.js';
import { clusterUnavailable, startCluster, type KafkaCluster } from '../support/kafka-cluster.js';

// Opt-in (RIVULET_CLUSTER_TESTS=1): the scenarios take minutes each, and on a machine loaded
// by other work exactly-once once ran past its timeout while closing. Before the kafkajs
// producer sent again the partitions kafkajs's broker-keyed retries left out, both scenarios
// lost acknowledged input records here (24 and 54); with it both kept every record.
const unavailable = process.env['RIVULET_CLUSTER_TESTS'] === '1' ? clusterUnavailable() : 'opt-in: set RIVULET_CLUSTER_TESTS=1';
const PARTITIONS = 4;
const WAIT_MS = 120_000;

if (unavailable !== undefined) {
  console.log(`test/integration/kafka-leader-kill.test.ts: skipped, ${unavailable}`);
  describe.skip(`leader failover (${unavailable})`, () => {
    it('needs a cluster it can start', () => undefined);
  });
} else {
  describe('leader failover on a 3-node cluster', () => {
    let cluster: KafkaCluster;
    let meta: kafkajs.Admin;
    const dirs: string[] = [];
    beforeAll(async () => {
      cluster = await startCluster('cluster');
      meta = new kafkajs.Kafka({ clientId: 'leader-kill-test', brokers: cluster.brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
      await meta.connect();
    }, 300_000);
    afterAll(async () => {
      await meta?.disconnect().catch(() => undefined);
      await cluster?.destroy();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }, 120_000);

    /** The node leading partition 0 of the topic, and how many replicas the topic has. */
    const leaderOf = async (topic: string): Promise<{ leader: number; replicas: number }> => {
      const md = await meta.fetchTopicMetadata({ topics: [topic] });
      const p = md.topics[0]?.partitions.find((x) => x.partitionId === 0);
      if (p === undefined || p.leader < 0) throw new Error(`no leader for ${topic}-0 yet`);
      return { leader: p.leader, replicas: p.replicas.length };
    };

    const scenario = (guarantee: 'at_least_once' | 'exactly_once') => async () => {
      const id = randomUUID().slice(0, 8);
      const input = `failover-in-${id}`;
      const output = `failover-counts-${id}`;
      const applicationId = `failover-app-${id}`;
      const admin = await createBrokerTransport({ brokers: cluster.brokers });
      await admin.connect();
      await admin.createTopics([{ topic: input, partitions: PARTITIONS }, { topic: output, partitions: PARTITIONS }]);
      const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-failover-'));
      dirs.push(stateDir);
      const app = new KafkaStreams(countPerKey(input, output), {
        applicationId,
        brokers: cluster.brokers,
        processingGuarantee: guarantee,
        stateDir,
        commitIntervalMs: 200,
        sessionTimeoutMs: 10_000,
        transactionTimeoutMs: 10_000,
      });
      const states: KafkaStreamsState[] = [];
      app.onStateChange((s) => states.push(s));
      const isolation = guarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted';
      const outputEnd = async () => (await admin.listOffsets(output, { isolation }).catch(() => [{ latest: -1 }])).reduce((n, o) => n + o.latest, 0);
      let producing: ReturnType<typeof startProducing> | undefined;
      const log: string[] = [];
      try {
        await app.start();
        await eventually(() => app.state() === 'RUNNING' && app.metrics().tasks === PARTITIONS, WAIT_MS, 'the application running with all tasks');
        producing = startProducing(admin, input, { keys: 40, batch: 100, everyMs: 100 });
        await eventually(async () => (await outputEnd()) >= 2_000, WAIT_MS, 'processing before the first kill');

        for (const topic of [input, changelogTopic(applicationId, 'counts')]) {
          const { leader, replicas } = await leaderOf(topic);
          expect(replicas, `replicas of ${topic}`).toBe(3);
          const at = await outputEnd();
          const t0 = Date.now();
          await cluster.stopNode(leader, { kill: true });
          // Two nodes are enough for min.insync.replicas 2: processing goes on without the dead one.
          await eventually(async () => (await outputEnd()) >= at + 2_000, WAIT_MS, `processing with node ${leader} (leader of ${topic}-0) dead`);
          const progressed = Date.now() - t0;
          const moved = await leaderOf(topic);
          expect(moved.leader, `a new leader for ${topic}-0`).not.toBe(leader);
          await cluster.startNode(leader);
          log.push(`killed node ${leader} (leader of ${topic}-0): 2,000 more outputs after ${(progressed / 1000).toFixed(1)} s, new leader ${moved.leader}`);
        }
        await producing.stop();

        const { latest, want, inputRecords, duplicates } = await settledCounts(admin, input, output, producing.acked, isolation, WAIT_MS);
        console.log(`leader failover (${guarantee}): ${log.join('; ')}; ${inputRecords} input records (${producing.failures()} failed sends retried), ${duplicates} counted twice; states ${states.join(' > ')}`);
        expectOutageSurvived(app, states, guarantee, { latest, want, duplicates });
      } finally {
        await producing?.stop();
        await app.close();
        await admin.close();
      }
    };

    it('exactly-once: the leaders of an input and a changelog partition die in turn; every record counted exactly once', scenario('exactly_once'), 480_000);
    it('at-least-once: the same failovers; nothing is lost', scenario('at_least_once'), 480_000);
  });
}
