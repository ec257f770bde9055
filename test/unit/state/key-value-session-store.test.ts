import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { KeyValueSessionStore } from '../../../src/state/key-value-session-store.js';
import { LevelKeyValueStore } from '../../../src/state/level-key-value-store.js';
import { SessionKeySchema } from '../../../src/state/session-key-schema.js';
import { collect, describeSessionStore, expectStateError, hex, thrown, utf8 } from '../../support/store-contracts.js';

describeSessionStore('KeyValueSessionStore(InMemoryKeyValueStore)', ({ name, retentionMs }) => new KeyValueSessionStore(new InMemoryKeyValueStore(name), { retentionMs }));
describeSessionStore(
  'KeyValueSessionStore(LevelKeyValueStore)',
  ({ directory, name, retentionMs }) => new KeyValueSessionStore(new LevelKeyValueStore(name, join(directory, name)), { retentionMs }),
);

describe('KeyValueSessionStore', () => {
  it('writes keys as length, key, end, start', async () => {
    const inner = new InMemoryKeyValueStore('s');
    const store = new KeyValueSessionStore(inner, { retentionMs: 100 });
    await store.open();
    await store.put(utf8('k'), 3, 9, utf8('v'));
    const [entry] = await collect(inner.all());
    expect(hex(entry?.key as Uint8Array)).toBe('00000001' + '6b' + '8000000000000009' + '8000000000000003');
  });

  it('finds the sessions a new event at t with gap g merges with', async () => {
    const store = new KeyValueSessionStore(new InMemoryKeyValueStore('s'), { retentionMs: 1000 });
    await store.open();
    await store.put(utf8('u'), 0, 10, utf8('s1'));
    await store.put(utf8('u'), 30, 40, utf8('s2'));
    const t = 20;
    const g = 10;
    const merged = (await collect(store.findSessions(utf8('u'), t - g, t + g))).map((r) => [r.start, r.end]);
    expect(merged).toEqual([
      [0, 10],
      [30, 40],
    ]);
  });

  it('round-trips the key schema and rejects other layouts', () => {
    const d = SessionKeySchema.decode(SessionKeySchema.encode(utf8('key'), -5, 2 ** 40));
    expect([hex(d.key), d.start, d.end]).toEqual([hex(utf8('key')), -5, 2 ** 40]);
    expectStateError(thrown(() => SessionKeySchema.decode(new Uint8Array(8))), 'RIVULET_STATE_CORRUPT', /stored key must be 4 \+ n \+ 16 bytes \(got 8 bytes, n = 0/);
  });
});
