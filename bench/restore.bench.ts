/**
 * Restore rate of a kernel store on its own, on a real Apache Kafka broker
 * (KAFKA_BROKERS):
 *
 *   bash scripts/kafka/with-kafka.sh npx vite-node bench/restore.bench.ts
 *
 * Builds the changelog a `stats()` store over RIVULET_RESTORE_KEYS device keys
 * (default 200,000) writes, RIVULET_RESTORE_COMMITS times over (default 3; every
 * commit writes one record per key, as a store whose every key changed), into a
 * fresh topic, then restores it RIVULET_RESTORE_RUNS times (default 3) into an
 * empty kernel store and its LevelDB copy through the same code an active task's
 * restore runs (src/runtime/changelog-restore.ts). Prints records/s and MB/s per
 * run; measures only, writes no results file. RIVULET_KAFKA_CLIENT picks the client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreChangelog } from '../src/runtime/changelog-restore.js';
import { StorePersistence } from '../src/runtime/store-persistence.js';
import { Serdes } from '../src/serde/serdes.js';
import { KernelStateStore } from '../src/state/kernel-state-store.js';
import { createBrokerTransport } from '../src/transport/create-transport.js';
import type { ProducerRecord } from '../src/transport/transport.js';
import type { WindowSpec } from '../src/wasm/window-stats-kernel.js';

const envInt = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0 (got ${JSON.stringify(raw)})`);
  return n;
};
const KEYS = envInt('RIVULET_RESTORE_KEYS', 200_000);
const COMMITS = envInt('RIVULET_RESTORE_COMMITS', 3);
const RUNS = envInt('RIVULET_RESTORE_RUNS', 3);
const PERSIST = process.env['RIVULET_RESTORE_LEVELDB'] !== '0';
const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter((b) => b.length > 0);
/** The IoT example's tumbling 10 s store. */
const SPEC: WindowSpec = { kind: 'tumbling', sizeMs: 10_000, graceMs: 5_000, emit: 'final', zscore: true };
const T0 = Date.UTC(2025, 3, 20, 13, 40, 0);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

/** The changelog records of `COMMITS` commits, each changing every key once. */
function* commits(topic: string): Generator<ProducerRecord[]> {
  const store = new KernelStateStore<string>('bench-stats', SPEC, Serdes.string());
  for (let c = 0; c < COMMITS; c++) {
    const CHUNK = 50_000;
    for (let from = 0; from < KEYS; from += CHUNK) {
      const n = Math.min(CHUNK, KEYS - from);
      const cols = store.kernel.batch(n);
      for (let i = 0; i < n; i++) {
        cols.keys[i] = store.intern(`device_${String(from + i).padStart(7, '0')}`);
        cols.timestamps[i] = T0 + c * 1000 + (i % 1000);
        cols.values[i] = 10 + ((from + i + c) % 90);
      }
      store.kernel.ingest(n);
      store.kernel.drain();
      store.touch();
      yield store.drainChanges().map((ch) => ({ topic, key: ch.key, value: ch.value, timestamp: T0 + c * 1000 }));
    }
  }
  store.close();
}

async function main(): Promise<void> {
  if (brokers.length === 0) {
    console.error('bench/restore.bench.ts: KAFKA_BROKERS is not set; run it through `bash scripts/kafka/with-kafka.sh npx vite-node bench/restore.bench.ts`');
    process.exit(2);
  }
  const t = await createBrokerTransport({ brokers, clientId: 'restore-bench' });
  await t.connect();
  const topic = `restore-bench-${Date.now().toString(36)}`;
  await t.createTopics([{ topic, partitions: 1 }]);
  const p = await t.producer();
  let produced = 0;
  let bytes = 0;
  for (const batch of commits(topic)) {
    for (let i = 0; i < batch.length; i += 20_000) await p.send(batch.slice(i, i + 20_000));
    produced += batch.length;
    for (const r of batch) bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
  }
  await p.close();
  const end = (await t.listOffsets(topic))[0]?.latest ?? 0;
  console.log(`changelog: ${fmt(produced)} records (${(bytes / 1e6).toFixed(1)} MB) of ${fmt(KEYS)} keys, ${COMMITS} commits; end offset ${end}`);
  for (let run = 1; run <= RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-restore-bench-'));
    const state = new KernelStateStore<string>('bench-stats', SPEC, Serdes.string());
    const persistence = PERSIST ? new StorePersistence('bench-stats', join(dir, 'bench-stats')) : undefined;
    await persistence?.open();
    const reader = await t.reader({ clientId: 'restore-bench' });
    try {
      const c = await restoreChangelog(reader, { topic, partition: 0, from: 0, end }, state, persistence);
      const secs = c.ms / 1000;
      console.log(`run ${run}: ${fmt(c.restored)} records, ${(c.bytes / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s: ${fmt(c.restored / secs)} records/s, ${(c.bytes / 1e6 / secs).toFixed(1)} MB/s; ${fmt(state.size())} keys held${PERSIST ? '' : ' (no LevelDB)'}`);
      if (state.size() !== KEYS) throw new Error(`restored ${state.size()} keys, expected ${KEYS}`);
    } finally {
      await reader.close();
      await persistence?.close();
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await t.deleteTopics([topic]).catch(() => undefined);
  await t.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
