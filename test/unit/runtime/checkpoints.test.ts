import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { Level } from 'level';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../../src/runtime/kafka-streams.js';
import type { RestoreProgress } from '../../../src/runtime/task-manager.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { Checkpoint } from '../../../src/state/checkpoint.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, latestByKey, produceJson, readAll } from '../../support/embedded-io.js';
import { rebalanceRestoresFromCheckpoints } from '../../support/rebalance-restore.js';

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
afterEach(() => vi.restoreAllMocks());

let seq = 0;
/** Counts per key into a persistent store; a value `{ boom: true }` throws while processing. */
async function setup(partitions: number) {
  const id = `ckpt-${++seq}-${Date.now()}`;
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: `${id}-in`, partitions }]);
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-ckpt-'));
  dirs.push(stateDir);
  const newApp = (options: Partial<KafkaStreamsOptions> = {}) => {
    const b = new StreamsBuilder();
    b.stream<string, { boom?: boolean }>(`${id}-in`, { valueSerde: Serdes.json() })
      .peek((_k, v) => {
        if (v.boom === true) throw new Error('poison record');
      })
      .groupByKey()
      .count({ storeName: 'counts' })
      .toStream()
      .to(`${id}-out`, { valueSerde: Serdes.json<number>() });
    return new KafkaStreams(b.build(), { applicationId: id, stateDir, embeddedBroker: broker, commitIntervalMs: 30, ...options });
  };
  const counts = async () => latestByKey(await readAll(admin, `${id}-out`, 'read_committed'));
  return { admin, input: `${id}-in`, stateDir, newApp, counts };
}

describe('checkpoints', () => {
  it('vouch only for LevelDB data already synced to disk (the last write before each checkpoint is an fsynced one)', async () => {
    const events: { kind: 'write' | 'checkpoint'; where: string; sync: boolean }[] = [];
    const batch = Level.prototype.batch as (...args: unknown[]) => unknown;
    vi.spyOn(Level.prototype, 'batch').mockImplementation(function (this: Level<Uint8Array, Uint8Array>, ...args: unknown[]) {
      const options = args[1] as { sync?: boolean } | undefined;
      if (Array.isArray(args[0])) events.push({ kind: 'write', where: this.location, sync: options?.sync === true });
      const result = batch.apply(this, args);
      if (args.length === 0) {
        // A chained batch (bulk writes): its write() is the write.
        const chained = result as { write: (options?: { sync?: boolean }) => Promise<void> };
        const chainedWrite = chained.write.bind(chained);
        const where = this.location;
        chained.write = (options?: { sync?: boolean }) => {
          events.push({ kind: 'write', where, sync: options?.sync === true });
          return chainedWrite(options);
        };
      }
      return result;
    } as never);
    const write = Checkpoint.prototype.write;
    vi.spyOn(Checkpoint.prototype, 'write').mockImplementation(function (this: Checkpoint, ...args: Parameters<Checkpoint['write']>) {
      events.push({ kind: 'checkpoint', where: this.path, sync: true });
      return write.apply(this, args);
    });

    const { admin, input, newApp, counts } = await setup(2);
    const app = newApp();
    await app.start();
    for (let i = 0; i < 5; i++) {
      await produceJson(admin, input, Array.from({ length: 200 }, (_, j) => ({ key: `k${j % 50}`, value: {} })));
      await new Promise((r) => setTimeout(r, 40));
    }
    await eventually(async () => (await counts()).get('k0') === 20, 10_000, 'k0 counted 20 times');
    await app.close();

    const checkpoints = events.filter((e) => e.kind === 'checkpoint');
    expect(checkpoints.length).toBeGreaterThan(2);
    const storeWrites = events.filter((e) => e.kind === 'write');
    expect(storeWrites.some((e) => !e.sync)).toBe(true); // commits write unsynced; the flush syncs
    events.forEach((e, i) => {
      if (e.kind !== 'checkpoint') return;
      const taskDir = e.where.slice(0, e.where.lastIndexOf(sep));
      const last = new Map<string, boolean>();
      for (const w of events.slice(0, i)) if (w.kind === 'write' && w.where.startsWith(taskDir + sep)) last.set(w.where, w.sync);
      for (const [store, synced] of last) expect(synced, `last write to ${store} before checkpoint #${i} was not synced`).toBe(true);
    });
  });

  it('under exactly-once, an instance that failed restores only the changelog tail after its last commit', async () => {
    const { admin, input, newApp, counts } = await setup(1);
    const a = newApp({ processingGuarantee: 'exactly_once', processingErrorHandling: 'fail' });
    await a.start();
    for (let i = 0; i < 5; i++) {
      await produceJson(admin, input, Array.from({ length: 400 }, (_, j) => ({ key: `k${j}`, value: {} })));
      await eventually(async () => (await counts()).get('k399') === i + 1, 10_000, `round ${i} counted`);
    }
    // The poison record fails the instance: no clean close, no commit of what it was doing.
    await produceJson(admin, input, [{ key: 'k0', value: { boom: true } }]);
    await eventually(() => a.state() === 'ERROR', 10_000, 'a failed');
    await a.close();

    const restores: RestoreProgress[] = [];
    const b = newApp({ processingGuarantee: 'exactly_once', processingErrorHandling: 'skip' });
    b.onRestore((p) => restores.push(p));
    await b.start();
    await produceJson(admin, input, [{ key: 'k1', value: {} }]);
    await eventually(async () => (await counts()).get('k1') === 6, 10_000, 'b counted k1 once more');
    await b.close();
    const last = restores.filter((p) => p.store === 'counts').at(-1);
    // 2,000 changelog records precede the failure; the checkpoint of the last commit covers them.
    expect(last?.total ?? 0).toBeLessThan(10);
    expect((await counts()).get('k0')).toBe(5);
  });

  it('under exactly-once, a rebalance restores kept and returning tasks from their checkpoints, not the whole changelog', async () => {
    const { admin, input, newApp, counts } = await setup(4);
    await rebalanceRestoresFromCheckpoints({ admin, input, newApp, counts, newStateDir: () => {
      const d = mkdtempSync(join(tmpdir(), 'rivulet-ckpt-b-'));
      dirs.push(d);
      return d;
    } });
  });
});
