import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LevelKeyValueStore } from '../../../src/state/level-key-value-store.js';
import { describeKeyValueStore, expectStateError, rejection, u8 } from '../../support/store-contracts.js';

describeKeyValueStore('LevelKeyValueStore', ({ directory, name }) => new LevelKeyValueStore(name, join(directory, name)));

describe('LevelKeyValueStore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-level-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates missing parent directories (stateDir/applicationId/taskId/store)', async () => {
    const store = new LevelKeyValueStore('counts', join(dir, 'app', '0_1', 'counts'));
    await store.open();
    await store.put(u8(1), u8(2));
    await store.close();
    expect(store.supports).toEqual({ persistent: true, ordered: true });
  });

  it('fails to open a directory another instance holds, retriably, naming the lock', async () => {
    const location = join(dir, 's');
    const first = new LevelKeyValueStore('s', location);
    await first.open();
    const second = new LevelKeyValueStore('s', location);
    const e = await rejection(second.open());
    expectStateError(e, 'RIVULET_STATE_OPEN_FAILED', /^LevelKeyValueStore\.open: store "s" could not open LevelDB at .*; another process or store instance holds its lock — close it first$/);
    expect((e as { retriable: boolean }).retriable).toBe(true);
    expect((e as Error).cause).toBeDefined();
    expect(second.status).toBe('closed');
    await first.close();
    await second.open();
    await second.close();
  });

  it('batches() hands out every entry ascending in arrays of at most the size asked, also past 16 KiB per array', async () => {
    const store = new LevelKeyValueStore('bulk', join(dir, 'bulk'));
    await store.open();
    const value = new Uint8Array(200).fill(7);
    const keys = Array.from({ length: 1000 }, (_, i) => new TextEncoder().encode(`k${String(i).padStart(4, '0')}`));
    await store.restoreBatch([...keys].reverse().map((key) => ({ key, value })));
    const sizes: number[] = [];
    const seen: string[] = [];
    for await (const batch of store.batches(300)) {
      sizes.push(batch.length);
      for (const r of batch) {
        seen.push(new TextDecoder().decode(r.key));
        expect([...(r.value ?? [])]).toEqual([...value]);
      }
    }
    // 300 entries of 205 bytes are 60 KiB: more than LevelDB hands out per call by default.
    expect(sizes).toEqual([300, 300, 300, 100]);
    expect(seen).toEqual(keys.map((k) => new TextDecoder().decode(k)));
    await expect(async () => {
      for await (const _ of store.batches(0)) break;
    }).rejects.toThrow(/size must be a whole number >= 1 \(got number 0\)/);
    await store.close();
  });

  it('rejects an empty location', () => {
    let caught: unknown;
    try {
      new LevelKeyValueStore('s', '');
    } catch (e) {
      caught = e;
    }
    expectStateError(caught, 'RIVULET_STATE_INVALID_ARGUMENT', 'LevelKeyValueStore: location must be a non-empty directory path (got string)');
  });
});
