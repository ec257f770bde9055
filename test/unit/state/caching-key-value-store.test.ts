import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CacheFlushedEntry } from '../../../src/state/cache-flush-listener.js';
import { CachingKeyValueStore } from '../../../src/state/caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from '../../../src/state/change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { LevelKeyValueStore } from '../../../src/state/level-key-value-store.js';
import { MeteredKeyValueStore } from '../../../src/state/metered-key-value-store.js';
import { RecordingChangelogSink } from '../../../src/state/recording-changelog-sink.js';
import { collect, describeKeyValueStore, expectStateError, hex, keysOf, thrown, u8 } from '../../support/store-contracts.js';

// A small cache so the suite's larger tests run through eviction.
describeKeyValueStore(
  'CachingKeyValueStore(LevelKeyValueStore), 64 entries',
  ({ directory, name }) => new CachingKeyValueStore(new LevelKeyValueStore(name, join(directory, name)), { maxEntries: 64 }),
);
describeKeyValueStore('CachingKeyValueStore(InMemoryKeyValueStore), 1 entry', ({ name }) => new CachingKeyValueStore(new InMemoryKeyValueStore(name), { maxEntries: 1 }));

/** caching(change-logging(metered(in-memory))): the metered store counts what reaches the inner store. */
async function stack(maxEntries = 100) {
  const sink = new RecordingChangelogSink();
  const counted = new MeteredKeyValueStore(new InMemoryKeyValueStore('agg'));
  const flushed: CacheFlushedEntry[] = [];
  const store = new CachingKeyValueStore(new ChangeLoggingKeyValueStore(counted, sink), {
    maxEntries,
    onFlush: (e) => {
      flushed.push(e);
    },
  });
  await store.open();
  const innerWrites = () => counted.metrics.put.count + counted.metrics.putAll.count + counted.metrics.delete.count;
  const log = () => sink.records.map((r) => [hex(r.key), r.value === null ? null : hex(r.value)]);
  const reported = () => flushed.map((e) => [hex(e.key), e.value === null ? null : hex(e.value), e.oldValue === undefined ? 'n/a' : e.oldValue === null ? null : hex(e.oldValue)]);
  return { store, sink, counted, flushed, innerWrites, log, reported };
}

describe('CachingKeyValueStore', () => {
  it('coalesces: 3 puts to one key then flush → 1 inner write, 1 changelog record, 1 listener call', async () => {
    const { store, innerWrites, log, reported } = await stack();
    await store.put(u8(1), u8(1));
    await store.put(u8(1), u8(2));
    await store.put(u8(1), u8(3));
    expect(innerWrites()).toBe(0);
    expect(log()).toEqual([]);
    expect(await store.get(u8(1))).toEqual(u8(3));
    await store.flush();
    expect(innerWrites()).toBe(1);
    expect(log()).toEqual([['01', '03']]);
    expect(reported()).toEqual([['01', '03', 'n/a']]);
    await store.flush();
    expect(innerWrites()).toBe(1);
  });

  it('coalesces put-then-delete into one tombstone, and reports in oldest-write order', async () => {
    const { store, log, reported, counted } = await stack();
    await counted.put(u8(9), u8(9)); // already in the inner store
    await store.put(u8(2), u8(2));
    await store.put(u8(1), u8(1));
    await store.put(u8(3), u8(3));
    await store.delete(u8(3));
    await store.put(u8(2), u8(22)); // rewritten last: reported last
    expect(await store.delete(u8(9))).toEqual(u8(9));
    expect(await store.get(u8(9))).toBeUndefined();
    expect(await keysOf(store.all())).toEqual(['01', '02']);
    await store.flush();
    expect(reported()).toEqual([
      ['01', '01', 'n/a'],
      ['03', null, 'n/a'],
      ['02', '16', 'n/a'],
      ['09', null, 'n/a'],
    ]);
    // The changelog gets the same coalesced writes (puts batched first).
    expect(log()).toEqual([
      ['01', '01'],
      ['02', '16'],
      ['03', null],
      ['09', null],
    ]);
    expect(await keysOf(counted.all())).toEqual(['01', '02']);
  });

  it('reports old values when asked, read from the inner store before the write', async () => {
    const { store, reported } = await stack();
    await store.put(u8(1), u8(1));
    await store.flush();
    store.setFlushListener(undefined);
    const seen: CacheFlushedEntry[] = [];
    store.setFlushListener((e) => void seen.push(e), { sendOldValues: true });
    await store.put(u8(1), u8(2));
    await store.put(u8(5), u8(5));
    await store.delete(u8(1));
    await store.flush();
    expect(reported()).toEqual([['01', '01', 'n/a']]);
    expect(seen.map((e) => [hex(e.key), e.value === null ? null : hex(e.value), e.oldValue === null ? null : hex(e.oldValue as Uint8Array)])).toEqual([
      ['05', '05', null],
      ['01', null, '01'],
    ]);
  });

  it('awaits an async listener per entry, in order', async () => {
    const { store } = await stack();
    const order: string[] = [];
    store.setFlushListener(async (e) => {
      await new Promise((r) => setTimeout(r, 1));
      order.push(hex(e.key));
    });
    await store.putAll([
      { key: u8(2), value: u8(0) },
      { key: u8(1), value: u8(0) },
    ]);
    await store.flush();
    expect(order).toEqual(['02', '01']);
  });

  it('evicts: a full cache with a dirty LRU entry flushes all dirty entries, then drops clean ones', async () => {
    const { store, innerWrites, reported } = await stack(3);
    await store.put(u8(1), u8(1));
    await store.put(u8(2), u8(2));
    await store.put(u8(3), u8(3));
    expect(store.cachedEntries).toBe(3);
    expect(innerWrites()).toBe(0);
    await store.put(u8(4), u8(4)); // over the bound; LRU (key 1) is dirty
    expect(reported().map((r) => r[0])).toEqual(['01', '02', '03', '04']);
    expect(innerWrites()).toBe(1); // one putAll
    expect(store.cachedEntries).toBe(3);
    expect(store.dirtyEntries).toBe(0);
    // Everything still readable, from the cache or below it.
    for (const k of [1, 2, 3, 4]) expect(await store.get(u8(k))).toEqual(u8(k));
    expect(await keysOf(store.all())).toEqual(['01', '02', '03', '04']);
  });

  it('caches reads and keeps recently used entries when evicting clean ones', async () => {
    const { store, counted } = await stack(2);
    await counted.putAll([1, 2, 3].map((k) => ({ key: u8(k), value: u8(k) })));
    const gets = () => counted.metrics.get.count;
    await store.get(u8(1));
    await store.get(u8(2));
    expect(gets()).toBe(2);
    await store.get(u8(1)); // hit; 1 becomes most recent
    expect(gets()).toBe(2);
    await store.get(u8(3)); // miss; evicts 2 (least recent), not 1
    expect(store.cachedEntries).toBe(2);
    await store.get(u8(1));
    expect(gets()).toBe(3);
    await store.get(u8(2));
    expect(gets()).toBe(4);
  });

  it('flushes on close, so a persistent store keeps unflushed writes', async () => {
    const { store, log, reported } = await stack();
    await store.put(u8(7), u8(7));
    await store.close();
    expect(log()).toEqual([['07', '07']]);
    expect(reported()).toEqual([['07', '07', 'n/a']]);
  });

  it('restoreBatch writes below the cache and drops cached entries for those keys', async () => {
    const { store, log } = await stack();
    await store.put(u8(1), u8(1)); // dirty, about to be superseded by the restore
    await store.put(u8(2), u8(2));
    await store.restoreBatch([
      { key: u8(1), value: u8(100) },
      { key: u8(3), value: u8(3) },
    ]);
    expect(store.dirtyEntries).toBe(1);
    expect(await store.get(u8(1))).toEqual(u8(100));
    await store.flush();
    expect(log()).toEqual([['02', '02']]); // restores are not re-logged
  });

  it('keeps entries dirty when writing them down fails, and writes them on the next flush', async () => {
    const inner = new InMemoryKeyValueStore('s');
    const store = new CachingKeyValueStore(inner, { maxEntries: 10 });
    await store.open();
    await store.put(u8(1), u8(1));
    const realPutAll = inner.putAll.bind(inner);
    inner.putAll = () => Promise.reject(new Error('disk full'));
    await expect(store.flush()).rejects.toThrow('disk full');
    expect(store.dirtyEntries).toBe(1);
    inner.putAll = realPutAll;
    await store.flush();
    expect(store.dirtyEntries).toBe(0);
    expect(await inner.get(u8(1))).toEqual(u8(1));
  });

  it('merges cache and inner store in ranges, cache winning, in both directions', async () => {
    const { store, counted } = await stack();
    await counted.putAll([1, 3, 5, 7].map((k) => ({ key: u8(k), value: u8(k) })));
    await store.put(u8(2), u8(20));
    await store.put(u8(5), u8(50));
    await store.delete(u8(7));
    await store.put(u8(8), u8(80));
    const pairs = async (it: AsyncIterable<{ key: Uint8Array; value: Uint8Array }>) => (await collect(it)).map((e) => `${e.key[0]}=${e.value[0]}`);
    expect(await pairs(store.all())).toEqual(['1=1', '2=20', '3=3', '5=50', '8=80']);
    expect(await pairs(store.reverseRange(u8(2), u8(7)))).toEqual(['5=50', '3=3', '2=20']);
    expect(await pairs(store.prefixScan(u8(5)))).toEqual(['5=50']);
    expect(await pairs(store.prefixScan(u8(7)))).toEqual([]);
  });

  it('validates its options', () => {
    expectStateError(
      thrown(() => new CachingKeyValueStore(new InMemoryKeyValueStore('s'), { maxEntries: 0 })),
      'RIVULET_STATE_INVALID_ARGUMENT',
      'CachingKeyValueStore: options.maxEntries must be an integer >= 1 (got number 0)',
    );
  });
});
