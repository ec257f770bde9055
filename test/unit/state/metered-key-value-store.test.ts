import { describe, expect, it } from 'vitest';
import { CachingKeyValueStore } from '../../../src/state/caching-key-value-store.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { createStoreMetrics, MeteredKeyValueStore } from '../../../src/state/metered-key-value-store.js';
import { collect, describeKeyValueStore, u8 } from '../../support/store-contracts.js';

describeKeyValueStore('MeteredKeyValueStore(InMemoryKeyValueStore)', ({ name }) => new MeteredKeyValueStore(new InMemoryKeyValueStore(name)));

describe('MeteredKeyValueStore', () => {
  it('counts calls, failures and latency per operation', async () => {
    const store = new MeteredKeyValueStore(new InMemoryKeyValueStore('m'));
    await store.open();
    await store.put(u8(1), u8(1));
    await store.put(u8(2), u8(2));
    await store.get(u8(1));
    await store.delete(u8(2));
    await store.putAll([{ key: u8(3), value: u8(3) }]);
    await store.putIfAbsent(u8(3), u8(4));
    await collect(store.range(u8(0), u8(9)));
    await collect(store.reverseRange());
    await collect(store.all());
    await collect(store.prefixScan(u8(1)));
    await store.flush();
    await store.restoreBatch([{ key: u8(9), value: null }]);
    await store.approximateNumEntries();
    const m = store.metrics;
    expect([m.put.count, m.get.count, m.delete.count, m.putAll.count, m.putIfAbsent.count]).toEqual([2, 1, 1, 1, 1]);
    expect([m.range.count, m.prefixScan.count, m.flush.count, m.restore.count, m.approximateNumEntries.count]).toEqual([3, 1, 1, 1, 1]);
    expect(m.put.totalMs).toBeGreaterThanOrEqual(0);
    expect(m.put.maxMs).toBeLessThanOrEqual(m.put.totalMs);
    expect(m.put.errors).toBe(0);
  });

  it('counts an iterator stopped early, and failures as errors', async () => {
    const inner = new InMemoryKeyValueStore('m');
    const store = new MeteredKeyValueStore(inner);
    await store.open();
    await store.putAll([1, 2, 3].map((k) => ({ key: u8(k), value: u8(k) })));
    for await (const _ of store.all()) break;
    expect(store.metrics.range.count).toBe(1);
    await inner.close();
    await expect(store.get(u8(1))).rejects.toMatchObject({ code: 'RIVULET_STATE_CLOSED' });
    expect(store.metrics.get).toMatchObject({ count: 1, errors: 1 });
  });

  it('records into a shared metrics object and forwards the flush listener to a cache below', async () => {
    const metrics = createStoreMetrics();
    const cached = new MeteredKeyValueStore(new CachingKeyValueStore(new InMemoryKeyValueStore('a')), metrics);
    const plain = new MeteredKeyValueStore(new InMemoryKeyValueStore('b'), metrics);
    await cached.open();
    await plain.open();
    await cached.put(u8(1), u8(1));
    await plain.put(u8(1), u8(1));
    expect(metrics.put.count).toBe(2);
    const flushed: number[] = [];
    expect(cached.setFlushListener((e) => void flushed.push(e.key[0] as number))).toBe(true);
    expect(plain.setFlushListener(() => undefined)).toBe(false);
    await cached.flush();
    expect(flushed).toEqual([1]);
  });
});
