import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { KeyValueWindowStore } from '../../../src/state/key-value-window-store.js';
import { LevelKeyValueStore } from '../../../src/state/level-key-value-store.js';
import { WindowKeySchema } from '../../../src/state/window-key-schema.js';
import { collect, describeWindowStore, expectStateError, hex, thrown, utf8 } from '../../support/store-contracts.js';

describeWindowStore('KeyValueWindowStore(InMemoryKeyValueStore)', ({ name, retentionMs }) => new KeyValueWindowStore(new InMemoryKeyValueStore(name), { retentionMs }));
describeWindowStore(
  'KeyValueWindowStore(LevelKeyValueStore)',
  ({ directory, name, retentionMs }) => new KeyValueWindowStore(new LevelKeyValueStore(name, join(directory, name)), { retentionMs }),
);

describe('KeyValueWindowStore', () => {
  it('writes keys in the documented layout to the inner store', async () => {
    const inner = new InMemoryKeyValueStore('w');
    const store = new KeyValueWindowStore(inner, { retentionMs: 10 });
    await store.open();
    await store.put(utf8('ab'), utf8('v'), 5);
    const [entry] = await collect(inner.all());
    expect(hex(entry?.key as Uint8Array)).toBe('00000002' + '6162' + '8000000000000005');
    expect(store.name).toBe('w');
    expect(store.supports).toBe(inner.supports);
  });

  it('counts puts dropped for expired windows', async () => {
    const store = new KeyValueWindowStore(new InMemoryKeyValueStore('w'), { retentionMs: 10 });
    await store.open();
    await store.put(utf8('k'), utf8('v'), 100);
    await store.put(utf8('k'), utf8('late'), 89);
    await store.put(utf8('k'), utf8('ok'), 90);
    expect(store.droppedExpiredPuts).toBe(1);
    expect((await collect(store.all())).map((r) => r.windowStart)).toEqual([90, 100]);
  });

  it('learns stream time from restored records', async () => {
    const store = new KeyValueWindowStore(new InMemoryKeyValueStore('w'), { retentionMs: 10 });
    await store.open();
    await store.restoreBatch([
      { key: WindowKeySchema.encode(utf8('k'), 50), value: utf8('a') },
      { key: WindowKeySchema.encode(utf8('k'), 70), value: utf8('b') },
      { key: WindowKeySchema.encode(utf8('k'), 200), value: null },
    ]);
    expect(store.observedStreamTime).toBe(70);
    expect(await store.fetch(utf8('k'), 50)).toBeUndefined();
    expect(await store.fetch(utf8('k'), 70)).toEqual(utf8('b'));
  });

  it('rejects a negative or fractional retention', () => {
    const e = thrown(() => new KeyValueWindowStore(new InMemoryKeyValueStore('w'), { retentionMs: -1 }));
    expectStateError(e, 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueWindowStore: options.retentionMs must be an integer >= 0 (got number -1)');
  });
});

describe('WindowKeySchema', () => {
  it('round-trips and orders times across the safe range, negatives included', () => {
    const times = [Number.MIN_SAFE_INTEGER, -(2 ** 40), -(2 ** 32), -(2 ** 32) + 1, -1, 0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
    const encoded = times.map((t) => WindowKeySchema.encode(utf8('key'), t));
    for (let i = 0; i < times.length; i++) {
      const d = WindowKeySchema.decode(encoded[i] as Uint8Array);
      expect(d.windowStart).toBe(times[i]);
      expect(hex(d.key)).toBe(hex(utf8('key')));
      if (i > 0) expect(Buffer.compare(encoded[i - 1] as Uint8Array, encoded[i] as Uint8Array)).toBe(-1);
    }
  });

  it('keeps the windows of one key contiguous even when another key extends it', () => {
    const a = [0, 2 ** 40].map((t) => WindowKeySchema.encode(utf8('a'), t));
    const ax = WindowKeySchema.encode(utf8('a\u0080'), 5);
    const sorted = [...a, ax].sort(Buffer.compare);
    expect(sorted.slice(0, 2)).toEqual(a);
  });

  it('rejects bytes of another layout as corrupt', () => {
    expectStateError(thrown(() => WindowKeySchema.decode(new Uint8Array([0, 0, 0, 9, 1]))), 'RIVULET_STATE_CORRUPT', /stored key must be 4 \+ n \+ 8 bytes \(got 5 bytes, n = 9, 0x0000000901\)/);
    expectStateError(thrown(() => WindowKeySchema.decode(new Uint8Array([1]))), 'RIVULET_STATE_CORRUPT', /got 1 bytes, n = -1/);
  });
});
