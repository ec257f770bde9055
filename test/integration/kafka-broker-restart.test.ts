/**
 * A broker outage while an application processes: the broker (a private one,
 * see test/support/kafka-broker.ts) is stopped and started again on the same
 * port and data dir while input keeps coming. Processing must resume by itself
 * and lose nothing: every acknowledged input record is counted — at least once
 * (duplicates are counted and reported) or exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaStreams, type KafkaStreamsState } from '../../src/runtime/kafka-streams.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { countPerKey, expectOutageSurvived, settledCounts, startProducing } from '../support/continuous-input.js';
import { eventually } from '../support/embedded-io.js';
import { brokerControlUnavailable, startControlledBroker, type ControlledBroker } from '../support/kafka-broker.js';

const unavailable = brokerControlUnavailable();
const KEYS = 40;
const PARTITIONS = 4;
const BATCH = 100;
const BATCH_EVERY_MS = 100;
const DOWN_MS = 5_000;
/** Bound on every wait after the restart: a killed broker recovers its logs and the group rejoins. */
const WAIT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (unavailable !== undefined) {
  console.log(`test/integration/kafka-broker-restart.test.ts: skipped, ${unavailable}`);
  describe.skip(`broker restart while processing (${unavailable})`, () => {
    it('needs a broker it can restart', () => undefined);
  });
} else {
  describe('broker restart while processing, on Apache Kafka', () => {
    let broker: ControlledBroker;
    const dirs: string[] = [];
    beforeAll(async () => {
      broker = await startControlledBroker('restart');
    }, 180_000);
    afterAll(async () => {
      await broker?.destroy();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }, 180_000);

    const scenario = (guarantee: 'at_least_once' | 'exactly_once', kill: boolean) => async () => {
      const id = randomUUID().slice(0, 8);
      const input = `restart-in-${id}`;
      const output = `restart-counts-${id}`;
      const admin = await createBrokerTransport({ brokers: [broker.brokers] });
      await admin.connect();
      await admin.createTopics([{ topic: input, partitions: PARTITIONS }, { topic: output, partitions: PARTITIONS }]);
      const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-restart-'));
      dirs.push(stateDir);
      const app = new KafkaStreams(countPerKey(input, output), {
        applicationId: `restart-app-${id}`,
        brokers: [broker.brokers],
        processingGuarantee: guarantee,
        stateDir,
        commitIntervalMs: 200,
        sessionTimeoutMs: 6_000,
        transactionTimeoutMs: 10_000,
      });
      const states: KafkaStreamsState[] = [];
      app.onStateChange((s) => states.push(s));
      let producing: ReturnType<typeof startProducing> | undefined;
      try {
        await app.start();
        await eventually(() => app.state() === 'RUNNING' && app.metrics().tasks === PARTITIONS, WAIT_MS, 'the application running with all tasks');
        producing = startProducing(admin, input, { keys: KEYS, batch: BATCH, everyMs: BATCH_EVERY_MS });
        const isolation = guarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted';
        // Output written (committed, under exactly-once) so far: tasks restart from zero in metrics().
        // -1 while the restarted broker still refuses (e.g. NOT_LEADER until partitions are loaded).
        const outputEnd = async () => (await admin.listOffsets(output, { isolation }).catch(() => [{ latest: -1 }])).reduce((n, o) => n + o.latest, 0);
        await eventually(async () => (await outputEnd()) >= 2_000, WAIT_MS, 'processing before the outage');

        const down = Date.now();
        await broker.stop({ kill });
        const stopped = Date.now();
        await sleep(DOWN_MS);
        const restarting = Date.now();
        await broker.start();
        const up = Date.now();
        let outputAtRestart = -1;
        await eventually(async () => (outputAtRestart = await outputEnd()) >= 0, WAIT_MS, 'the restarted broker answering');
        await eventually(async () => (await outputEnd()) > outputAtRestart, WAIT_MS, 'output after the restart');
        const resumedAfter = Date.now() - up;
        await sleep(3_000);
        await producing.stop();

        const { latest, want, inputRecords, duplicates } = await settledCounts(admin, input, output, producing.acked, isolation, WAIT_MS);
        const caughtUpAfter = Date.now() - up;
        console.log(
          `broker restart (${guarantee}, ${kill ? 'SIGKILL' : 'SIGTERM'}): broker down ${((up - down) / 1000).toFixed(1)} s ` +
            `(stop ${((stopped - down) / 1000).toFixed(1)} s, down ${((restarting - stopped) / 1000).toFixed(1)} s, start until ready ${((up - restarting) / 1000).toFixed(1)} s); ` +
            `processing resumed ${(resumedAfter / 1000).toFixed(1)} s and caught up ${(caughtUpAfter / 1000).toFixed(1)} s after the restart; ` +
            `${inputRecords} input records (${producing.failures()} failed sends retried), ${duplicates} counted twice; states ${states.join(' > ')}`,
        );
        expectOutageSurvived(app, states, guarantee, { latest, want, duplicates });
      } finally {
        await producing?.stop();
        await app.close();
        await admin.close();
      }
    };

    it('at-least-once: the broker stops cleanly and comes back; nothing is lost, duplicates are counted', scenario('at_least_once', false), 240_000);
    it('exactly-once: the broker is killed and comes back; every record counted exactly once', scenario('exactly_once', true), 240_000);
  });
}
