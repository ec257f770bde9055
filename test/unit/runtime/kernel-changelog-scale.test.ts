import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { TimeWindows } from '../../../src/dsl/windows.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { changelogTopic } from '../../../src/topology/store-definition.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import type { Transport } from '../../../src/transport/transport.js';
import { eventually } from '../../support/embedded-io.js';

// A stats() topology on the embedded broker (which refuses batches over Kafka's 1 MB
// limit, as Kafka does) grows from 20,000 to 200,000 keys; a commit after 1,000 records
// writes the same changelog bytes at both sizes. With the whole state as one record the
// store's commit was refused past about 10,000 keys (MESSAGE_TOO_LARGE) and the instance
// went to ERROR.

const T0 = Date.parse('2025-01-01T00:00:00Z');
const enc = new TextEncoder();

async function produce(t: Transport, topic: string, keys: readonly number[], ts: number): Promise<void> {
  const p = await t.producer();
  for (let i = 0; i < keys.length; i += 20_000) {
    await p.send(keys.slice(i, i + 20_000).map((k, j) => ({ topic, key: enc.encode(`device-${k}`), value: enc.encode(String((k + j) % 100)), timestamp: ts })));
  }
  await p.close();
}

describe('kernel changelog at scale on the embedded broker', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('changelog bytes per commit stay flat from 20,000 to 200,000 keys', async () => {
    const broker = new EmbeddedBroker();
    const admin = broker.transport();
    await admin.connect();
    await admin.createTopics([{ topic: 'readings', partitions: 1 }]);
    const b = new StreamsBuilder();
    b.stream<string, number>('readings', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeWithNoGrace(3_600_000))
      .emitStrategy('onWindowClose')
      .stats((v) => v, { storeName: 'device-stats' })
      .toStream()
      .to('device-stats', { keySerde: Serdes.msgpack(), valueSerde: Serdes.msgpack() });
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-kernel-scale-'));
    dirs.push(dir);
    const app = new KafkaStreams(b.build(), { applicationId: 'kernel-scale', embeddedBroker: broker, stateDir: dir, commitIntervalMs: 100 });
    await app.start();
    const changelog = changelogTopic('kernel-scale', 'device-stats');
    const end = async () => (await admin.listOffsets(changelog))[0]?.latest ?? 0;
    let processed = 0;
    /** Waits until everything produced so far is processed and committed. */
    const settle = async (total: number) => {
      await eventually(() => app.metrics().processed >= total || app.state() === 'ERROR', 180_000, `${total} records processed`);
      expect(app.state()).toBe('RUNNING');
      const commits = app.metrics().commits;
      await eventually(() => app.metrics().commits >= commits + 2, 30_000, 'two more commits');
    };
    /** Bytes the changelog received for 1,000 records on 1,000 held keys. */
    const commitBytes = async (keys: number): Promise<{ bytes: number; records: number }> => {
      const from = await end();
      await produce(admin, 'readings', Array.from({ length: 1000 }, (_, i) => (i * 7919) % keys), T0 + 60_000);
      processed += 1000;
      await settle(processed);
      const to = await end();
      const reader = await admin.reader();
      reader.assign([{ topic: changelog, partition: 0, offset: from }]);
      let bytes = 0;
      let records = 0;
      while ((reader.position({ topic: changelog, partition: 0 }) ?? 0) < to) {
        for (const r of await reader.poll({ maxRecords: 10_000, timeoutMs: 100 })) {
          if (r.offset >= to) continue;
          bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
          records++;
        }
      }
      await reader.close();
      return { bytes, records };
    };

    const figures: string[] = [];
    const perCommit: number[] = [];
    let held = 0;
    for (const keys of [20_000, 200_000]) {
      await produce(admin, 'readings', Array.from({ length: keys - held }, (_, i) => held + i), T0);
      processed += keys - held;
      held = keys;
      await settle(processed);
      const c = await commitBytes(keys);
      perCommit.push(c.bytes);
      figures.push(`${keys} keys: ${c.records} changelog records, ${c.bytes} bytes for 1,000 records`);
    }
    if (process.env['RIVULET_TEST_FIGURES']) console.log(`kernel changelog scale: ${figures.join('; ')}; changelog ${await end()} records in all`);
    await app.close();
    await admin.close();
    expect(perCommit[0]).toBeGreaterThan(50_000);
    expect(perCommit[1]).toBeLessThanOrEqual((perCommit[0] as number) * 1.2);
  }, 300_000);
});
