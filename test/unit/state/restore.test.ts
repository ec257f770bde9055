import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../../src/state/checkpoint.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import type { KeyValueStore } from '../../../src/state/key-value-store.js';
import type { KeyValueWindowStore } from '../../../src/state/key-value-window-store.js';
import { RecordingChangelogSink } from '../../../src/state/recording-changelog-sink.js';
import { restoreInto } from '../../../src/state/restore.js';
import { StoreBuilder } from '../../../src/state/store-builder.js';
import type { WindowStore } from '../../../src/state/window-store.js';
import { collect, expectStateError, hex, rejection, u8, utf8 } from '../../support/store-contracts.js';

const dump = async (store: KeyValueStore) => (await collect(store.all())).map((e) => `${hex(e.key)}=${hex(e.value)}`);

describe('restoreInto', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-restore-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rebuilds a store from the changelog its twin wrote, without re-logging', async () => {
    // Instance A processes and logs; instance B takes over the task and restores.
    const sinkA = new RecordingChangelogSink();
    const a = StoreBuilder.keyValueStore('counts').withCachingEnabled({ maxEntries: 5 }).build({ taskDirectory: join(dir, 'a'), changelogSink: sinkA });
    await a.open();
    for (let i = 0; i < 50; i++) await a.put(u8(i % 12), u8(i));
    for (const k of [3, 4, 99]) await a.delete(u8(k));
    await a.flush();

    const sinkB = new RecordingChangelogSink();
    const b = StoreBuilder.keyValueStore('counts').build({ taskDirectory: join(dir, 'b'), changelogSink: sinkB });
    await b.open();
    const applied = await restoreInto(
      b,
      sinkA.records.map((r) => ({ key: r.key, value: r.value })),
    );
    expect(applied).toBe(sinkA.records.length);
    expect(sinkB.records).toEqual([]);
    expect(await dump(b)).toEqual(await dump(a));
    expect(await dump(b)).toHaveLength(10);
    await a.close();
    await b.close();
  });

  it('restores only the tail after a checkpoint, across a restart of a persistent store', async () => {
    const taskDir = join(dir, 'app', '0_0');
    const topic = 'app-counts-changelog';
    const changelog: { key: Uint8Array; value: Uint8Array | null }[] = [];
    const sink = { append: (_s: string, key: Uint8Array, value: Uint8Array | null) => void changelog.push({ key, value }) };
    const builder = StoreBuilder.keyValueStore('counts');
    const checkpoint = new Checkpoint(taskDir);

    const first = builder.build({ taskDirectory: taskDir, changelogSink: sink });
    await first.open();
    await first.put(utf8('a'), utf8('1'));
    await first.put(utf8('b'), utf8('1'));
    await first.flush();
    await checkpoint.write({ [Checkpoint.key(topic, 0)]: changelog.length });
    // Written to the changelog, but the instance dies before the next checkpoint...
    await first.put(utf8('b'), utf8('2'));
    await first.delete(utf8('a'));
    await first.flush();
    await first.close();

    // The restart: LevelDB still holds everything up to the checkpoint; only the tail is replayed.
    const second = builder.build({ taskDirectory: taskDir, changelogSink: { append: () => undefined } });
    await second.open();
    const from = (await checkpoint.read()).get(Checkpoint.key(topic, 0)) ?? 0;
    expect(from).toBe(2);
    expect(await restoreInto(second, changelog.slice(from))).toBe(2);
    expect(await second.get(utf8('a'))).toBeUndefined();
    expect(await second.get(utf8('b'))).toEqual(utf8('2'));
    await second.close();
  });

  it('restores a window store, which learns stream time and applies retention', async () => {
    const sink = new RecordingChangelogSink();
    const a = StoreBuilder.windowStore('w', { retentionMs: 100, persistent: false }).build({ taskDirectory: dir, changelogSink: sink });
    await a.open();
    await a.put(utf8('k'), utf8('old'), 0);
    await a.put(utf8('k'), utf8('new'), 50);
    await a.flush();
    await a.put(utf8('k'), utf8('newest'), 150);
    await a.flush();

    const b: WindowStore = StoreBuilder.windowStore('w', { retentionMs: 100, persistent: false }).withLoggingDisabled().build({ taskDirectory: dir });
    await b.open();
    await restoreInto(b, sink.records);
    expect(b.observedStreamTime).toBe(150);
    expect((await collect(b.all())).map((r) => [r.windowStart, new TextDecoder().decode(r.value)])).toEqual([
      [50, 'new'],
      [150, 'newest'],
    ]);
    expect((b as KeyValueWindowStore).droppedExpiredPuts).toBe(0);
    await a.close();
    await b.close();
  });

  it('rejects a closed store and malformed input', async () => {
    const store = new InMemoryKeyValueStore('s');
    expectStateError(await rejection(restoreInto(store, [])), 'RIVULET_STATE_CLOSED', /KeyValueStore\.restoreBatch: store "s" must be open/);
    expectStateError(await rejection(restoreInto({} as KeyValueStore, [])), 'RIVULET_STATE_INVALID_ARGUMENT', 'restoreInto: store must be a StateStore (got Object)');
    await store.open();
    expectStateError(await rejection(restoreInto(store, 3 as unknown as [])), 'RIVULET_STATE_INVALID_ARGUMENT', 'restoreInto: records must be an iterable of { key, value } (got number 3)');
  });
});
