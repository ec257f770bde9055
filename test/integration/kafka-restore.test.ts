/**
 * A big restore: instance A counts 100 000 distinct keys into a KTable on one
 * partition, so the task's changelog holds >= 100 000 records; A closes and
 * instance B, with an empty state directory, takes the task over, rebuilds the
 * store from the changelog and answers interactive queries exactly.
 *
 * Prints the restore rate as one line (and, with RIVULET_RESTORE_RESULTS=1, writes it to
 * bench/results/restore.json);
 * timing is reported, never asserted (the machine may be busy).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import type { RestoreProgress } from '../../src/runtime/task-manager.js';
import { Serdes } from '../../src/serde/serdes.js';
import { changelogTopic } from '../../src/topology/store-definition.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { eventually, produceJson } from '../support/embedded-io.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];
const KEYS = Number(process.env['RESTORE_KEYS'] ?? 100_000);
/** Keys counted twice, so the restored values are not all 1. */
const TWICE = 1_000;
const WAIT_MS = 150_000;
const resultsFile = fileURLToPath(new URL('../../bench/results/restore.json', import.meta.url));

const key = (i: number) => `key-${String(i).padStart(6, '0')}`;

/** The broker's version: with-kafka.sh's state file records it; KAFKA_VERSION otherwise. */
function kafkaVersion(): string {
  const runDir = process.env['KAFKA_RUN_DIR'];
  if (runDir !== undefined) {
    try {
      const v = /^KAFKA_VERSION=(.+)$/m.exec(readFileSync(join(runDir, 'broker.env'), 'utf8'))?.[1];
      if (v !== undefined) return v;
    } catch {
      // no state file: a broker given by hand
    }
  }
  return process.env['KAFKA_VERSION'] ?? 'unknown';
}

if (brokers.length === 0) {
  console.log('test/integration/kafka-restore.test.ts: KAFKA_BROKERS is not set, skipping (run `npm run test:integration`)');
  describe.skip('big restore on Apache Kafka (KAFKA_BROKERS not set)', () => {
    it('needs a broker', () => undefined);
  });
} else {
  describe('big restore on Apache Kafka', () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it(`a task with ${KEYS} changelog records moves to an instance with an empty state directory; interactive queries answer exactly`, async () => {
      const id = randomUUID().slice(0, 8);
      const input = `restore-in-${id}`;
      const applicationId = `restore-app-${id}`;
      const admin = await createBrokerTransport({ brokers });
      await admin.connect();
      const apps: KafkaStreams[] = [];
      const newApp = () => {
        const b = new StreamsBuilder();
        b.stream<string, number>(input, { keySerde: Serdes.string(), valueSerde: Serdes.json() }).groupByKey().count({ storeName: 'counts' });
        const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-restore-'));
        dirs.push(stateDir);
        const app = new KafkaStreams(b.build(), { applicationId, brokers, stateDir });
        apps.push(app);
        return app;
      };
      try {
        await admin.createTopics([{ topic: input, partitions: 1 }]);
        const records = [...Array.from({ length: KEYS }, (_, i) => ({ key: key(i), value: i })), ...Array.from({ length: TWICE }, (_, i) => ({ key: key(i), value: i }))];

        const a = newApp();
        await a.start();
        await eventually(() => a.state() === 'RUNNING' && a.metrics().tasks === 1, WAIT_MS, 'instance A running');
        await produceJson(admin, input, records);
        await eventually(() => a.metrics().processed >= records.length, WAIT_MS, `instance A processing ${records.length} records`);
        await a.close();
        const changelog = (await admin.listOffsets(changelogTopic(applicationId, 'counts')))[0]!;
        const changelogRecords = changelog.latest - changelog.earliest;
        expect(changelogRecords).toBeGreaterThanOrEqual(KEYS);

        const b = newApp();
        const progress: RestoreProgress[] = [];
        b.onRestore((p) => progress.push(p));
        const started = Date.now();
        await b.start();
        await eventually(() => b.state() === 'RUNNING' && b.metrics().tasks === 1, WAIT_MS, 'instance B running with the restored task');
        const wallSeconds = (Date.now() - started) / 1000;

        const last = progress.at(-1);
        expect(last, 'restore progress reported').toBeDefined();
        expect(last!.store).toBe('counts');
        expect(last!.total).toBe(changelogRecords);
        // The cleaner may have compacted away the first count of the keys counted twice meanwhile.
        expect(last!.restored).toBeGreaterThanOrEqual(KEYS);
        expect(last!.restored).toBeLessThanOrEqual(last!.total);
        // The final event's rate is restored / time since the restore began, so this is its duration.
        const seconds = last!.restored / last!.recordsPerSec;
        const rate = Math.round(last!.recordsPerSec);
        console.log(
          `restore: ${last!.restored} records in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')} rec/s); ` +
            `instance start to RUNNING ${wallSeconds.toFixed(1)} s; ${progress.length} progress events; Kafka ${kafkaVersion()}`,
        );
        // Tests leave tracked files alone: the figure is recorded only when asked for.
        if (process.env['RIVULET_RESTORE_RESULTS'] === '1') {
          mkdirSync(join(resultsFile, '..'), { recursive: true });
          writeFileSync(
            resultsFile,
            `${JSON.stringify({ records: last!.restored, seconds: Number(seconds.toFixed(3)), recordsPerSec: rate, wallSeconds: Number(wallSeconds.toFixed(3)), kafkaVersion: kafkaVersion() }, null, 2)}\n`,
          );
        }

        const counts = b.store<string, number>('counts');
        const all = counts.all();
        expect(all.length).toBe(KEYS);
        expect(all.reduce((n, e) => n + e.value, 0)).toBe(records.length);
        for (let i = 0; i < KEYS; i += 997) expect(counts.get(key(i)), key(i)).toBe(i < TWICE ? 2 : 1);
        expect(counts.get(key(KEYS - 1))).toBe(1);
        expect(counts.get(key(KEYS))).toBeUndefined();
        const range = counts.range(key(TWICE - 50), key(TWICE + 49));
        expect(range.map((e) => e.key)).toEqual(Array.from({ length: 100 }, (_, i) => key(TWICE - 50 + i)));
        expect(range.map((e) => e.value)).toEqual(Array.from({ length: 100 }, (_, i) => (i < 50 ? 2 : 1)));
      } finally {
        for (const app of apps) await app.close();
        await admin.close();
      }
    }, 5 * 60_000);
  });
}
