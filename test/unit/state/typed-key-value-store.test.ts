import { describe, expect, it } from 'vitest';
import { SerdeError } from '../../../src/errors.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { CachingKeyValueStore } from '../../../src/state/caching-key-value-store.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { TypedKeyValueStore } from '../../../src/state/typed-key-value-store.js';
import { collect, expectStateError, rejection, u8 } from '../../support/store-contracts.js';

interface Reading {
  device: string;
  value: number;
}

async function typed() {
  const bytes = new InMemoryKeyValueStore('readings');
  const store = new TypedKeyValueStore(bytes, Serdes.string(), Serdes.json<Reading>());
  await store.open();
  return { bytes, store };
}

describe('TypedKeyValueStore', () => {
  it('serializes on the way in and deserializes on the way out', async () => {
    const { store, bytes } = await typed();
    await store.put('b', { device: 'b', value: 2 });
    await store.putAll([{ key: 'a', value: { device: 'a', value: 1 } }]);
    expect(await store.get('a')).toEqual({ device: 'a', value: 1 });
    expect(await store.putIfAbsent('a', { device: 'x', value: 0 })).toEqual({ device: 'a', value: 1 });
    expect(new TextDecoder().decode(await bytes.get(new TextEncoder().encode('b')))).toBe('{"device":"b","value":2}');
    expect((await collect(store.all())).map((e) => e.key)).toEqual(['a', 'b']);
    expect((await collect(store.reverseRange('a', 'b'))).map((e) => e.value.value)).toEqual([2, 1]);
    expect(await store.delete('b')).toEqual({ device: 'b', value: 2 });
    expect(await store.approximateNumEntries()).toBe(1);
    expect(store.name).toBe('readings');
    expect(store.supports).toBe(bytes.supports);
  });

  it('orders by serialized key bytes and prefix-scans strings', async () => {
    const { store } = await typed();
    for (const k of ['sensor-10', 'sensor-2', 'sensor-1', 'pump-1']) await store.put(k, { device: k, value: 0 });
    expect((await collect(store.prefixScan('sensor-1'))).map((e) => e.key)).toEqual(['sensor-1', 'sensor-10']);
    expect((await collect(store.range('sensor-'))).map((e) => e.key)).toEqual(['sensor-1', 'sensor-10', 'sensor-2']);
  });

  it('rejects null keys and values, leaves type errors to the serde', async () => {
    const { store } = await typed();
    expectStateError(await rejection(store.put(null as unknown as string, { device: 'x', value: 1 })), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.put: key must not be null or undefined (got null)');
    expectStateError(
      await rejection(store.put('k', undefined as unknown as Reading)),
      'RIVULET_STATE_INVALID_ARGUMENT',
      'KeyValueStore.put: value must not be null or undefined (got undefined); use delete() to remove a key',
    );
    await store.inner.put(new TextEncoder().encode('bad'), u8(0xc3, 0x28));
    expect(await rejection(store.get('bad'))).toBeInstanceOf(SerdeError);
  });

  it('reports closed like any store and forwards the flush listener', async () => {
    const cached = new TypedKeyValueStore(new CachingKeyValueStore(new InMemoryKeyValueStore('c')), Serdes.string(), Serdes.string());
    expectStateError(await rejection(cached.get('k')), 'RIVULET_STATE_CLOSED', 'KeyValueStore.get: store "c" must be open (got closed); call open() before using it');
    await cached.open();
    const seen: string[] = [];
    expect(cached.setFlushListener((e) => void seen.push(Serdes.string().deserialize(e.key)))).toBe(true);
    await cached.put('k', 'v');
    await cached.flush();
    expect(seen).toEqual(['k']);
  });
});
