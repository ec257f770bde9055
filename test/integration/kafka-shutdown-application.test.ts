/**
 * SHUTDOWN_APPLICATION on Apache Kafka: two instances of one application share
 * a 2-partition input; a record that throws (processing handling `fail`) makes
 * its instance's handler answer SHUTDOWN_APPLICATION, and both instances end in
 * ERROR — the other one with RIVULET_SHUTDOWN_REQUESTED naming the first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { RivuletError, TaskFailure } from '../../src/errors.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { shutdownRequestsTopic } from '../../src/runtime/shutdown-requests.js';
import { StreamThreadExceptionResponse } from '../../src/runtime/uncaught-exception-handler.js';
import { Serdes } from '../../src/serde/serdes.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { eventually, produceJson } from '../support/embedded-io.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];
const WAIT_MS = 90_000;

if (brokers.length === 0) {
  console.log('test/integration/kafka-shutdown-application.test.ts: KAFKA_BROKERS is not set, skipping (run `npm run test:integration`)');
  describe.skip('SHUTDOWN_APPLICATION on Apache Kafka (KAFKA_BROKERS not set)', () => {
    it('needs a broker', () => undefined);
  });
} else {
  describe('SHUTDOWN_APPLICATION on Apache Kafka', () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('one instance failing with SHUTDOWN_APPLICATION stops both instances of the application', async () => {
      const id = randomUUID().slice(0, 8);
      const input = `shutdown-in-${id}`;
      const applicationId = `shutdown-app-${id}`;
      const admin = await createBrokerTransport({ brokers });
      await admin.connect();
      const apps: KafkaStreams[] = [];
      const errors = new Map<KafkaStreams, Error[]>();
      const newApp = () => {
        const b = new StreamsBuilder();
        b.stream<string, { n: number; boom?: boolean }>(input, { keySerde: Serdes.string(), valueSerde: Serdes.json() })
          .mapValues((v) => {
            if (v.boom === true) throw new Error(`reading ${v.n} is broken`);
            return v.n;
          })
          .to(`shutdown-out-${id}`);
        const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-shutdown-'));
        dirs.push(stateDir);
        const app = new KafkaStreams(b.build(), { applicationId, brokers, stateDir, processingErrorHandling: 'fail', commitIntervalMs: 200 });
        app.setUncaughtExceptionHandler(() => StreamThreadExceptionResponse.SHUTDOWN_APPLICATION);
        const seen: Error[] = [];
        errors.set(app, seen);
        app.onError((e) => seen.push(e));
        apps.push(app);
        return app;
      };
      try {
        await admin.createTopics([{ topic: input, partitions: 2 }]);
        const a = newApp();
        const b = newApp();
        await a.start();
        await b.start();
        await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks + b.metrics().tasks === 2, WAIT_MS, 'both instances running with 2 tasks');
        expect(a.metrics().tasks).toBe(1);
        await produceJson(admin, input, Array.from({ length: 50 }, (_, n) => ({ key: `k${n}`, value: n === 25 ? { n, boom: true } : { n } })));
        const failedAt = Date.now();
        await eventually(() => a.state() === 'ERROR' && b.state() === 'ERROR', WAIT_MS, 'both instances in ERROR');
        const [failed, other] = a.error() instanceof TaskFailure ? [a, b] : [b, a];
        expect(failed.error()).toBeInstanceOf(TaskFailure);
        expect((other.error() as RivuletError).code).toBe('RIVULET_SHUTDOWN_REQUESTED');
        expect((other.error() as RivuletError).message).toContain(failed.instanceId);
        expect((other.error() as RivuletError).message).toContain('reading 25 is broken');
        expect(errors.get(failed)).toEqual([failed.error()]);
        expect(errors.get(other)).toEqual([other.error()]);
        const requests = await admin.listOffsets(shutdownRequestsTopic(applicationId));
        expect(requests.reduce((n, o) => n + o.latest - o.earliest, 0)).toBe(1);
        console.log(`[shutdown-application] both instances in ERROR ${Date.now() - failedAt} ms after the failing record was produced`);
      } finally {
        for (const app of apps) await app.close().catch(() => undefined);
        await admin.close();
      }
    }, 180_000);
  });
}
