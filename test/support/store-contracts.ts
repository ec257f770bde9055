/**
 * The contract suite of the asynchronous byte key-value store, in the spirit
 * of `abstract-level`'s shared suite: LevelKeyValueStore, the on-disk store
 * under the working stores, runs it. (The stores processors see have their
 * own suites in `sync-store-contracts.ts`.) Call it at the top level of a test
 * file:
 *
 *   describeKeyValueStore('LevelKeyValueStore', ({ directory, name }) => new LevelKeyValueStore(name, join(directory, name)));
 *
 * Each test gets a fresh temporary directory (removed afterwards, with every
 * store the factory made closed first). Factories may be called more than
 * once per test with the same directory — persistence tests use that to open
 * a second instance over the first one's data.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/errors.js';
import type { KeyValue, KeyValueStore } from '../../src/state/key-value-store.js';
import type { StateStore } from '../../src/state/state-store.js';

/** What a factory is given. */
export interface StoreFixture {
  /** A fresh, empty directory for this test; persistent stores live under it. */
  readonly directory: string;
  /** The store name to use. */
  readonly name: string;
}

export type KeyValueStoreFactory = (fixture: StoreFixture) => KeyValueStore | Promise<KeyValueStore>;

// ---------------------------------------------------------------- helpers

/** Bytes from numbers. */
export const u8 = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
/** UTF-8 bytes of a string. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Lower-case hex of bytes; what the suites compare (Buffer vs Uint8Array agnostic). */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Drains an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Keys of a key-value iteration, as hex. */
export async function keysOf(it: AsyncIterable<KeyValue<Uint8Array, Uint8Array>>): Promise<string[]> {
  return (await collect(it)).map((e) => hex(e.key));
}

/** Awaits `p` and returns what it rejected with (fails if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/** Calls `fn` and returns what it threw synchronously (fails if it did not). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw, but it returned');
}

/** Asserts `e` is a StateError with `code`, and its message matches `message` when given. */
export function expectStateError(e: unknown, code: string, message?: string | RegExp): void {
  expect(e).toBeInstanceOf(StateError);
  expect((e as StateError).code).toBe(code);
  if (typeof message === 'string') expect((e as StateError).message).toBe(message);
  else if (message !== undefined) expect((e as StateError).message).toMatch(message);
}

/** Per-test fixture management: a fresh directory, and every store made closed afterwards. */
function useFixtures<S extends StateStore>(
  build: (fixture: StoreFixture) => S | Promise<S>,
): { make(opts?: { open?: boolean; name?: string }): Promise<S>; directory(): string } {
  let dir = '';
  let made: S[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-store-'));
    made = [];
  });
  afterEach(async () => {
    for (const s of made) await s.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return {
    async make(opts = {}) {
      const store = await build({ directory: dir, name: opts.name ?? 'contract-store' });
      made.push(store);
      if (opts.open !== false) await store.open();
      return store;
    },
    directory: () => dir,
  };
}

// ---------------------------------------------------------------- key-value

/**
 * The key-value store contract. Persistence tests run only when the store
 * declares `supports.persistent`; the rest run for every store.
 */
export function describeKeyValueStore(name: string, factory: KeyValueStoreFactory): void {
  describe(`${name} — KeyValueStore contract`, () => {
    const fx = useFixtures<KeyValueStore>(factory);

    describe('lifecycle and manifest', () => {
      it('declares its capabilities and starts closed', async () => {
        const store = await fx.make({ open: false });
        expect(store.supports.ordered).toBe(true);
        expect(typeof store.supports.persistent).toBe('boolean');
        expect(store.name).toBe('contract-store');
        expect(store.status).toBe('closed');
        await store.open();
        expect(store.status).toBe('open');
        await store.close();
        expect(store.status).toBe('closed');
      });

      it('open and close are idempotent and safe to call concurrently', async () => {
        const store = await fx.make({ open: false });
        await Promise.all([store.open(), store.open(), store.open()]);
        await store.open();
        await store.put(u8(1), u8(1));
        expect(await store.get(u8(1))).toEqual(u8(1));
        await Promise.all([store.close(), store.close()]);
        await store.close();
        expect(store.status).toBe('closed');
        await store.open();
        expect(store.status).toBe('open');
      });

      it('rejects an illegal store name', async () => {
        const e = await rejection((async () => factory({ directory: fx.directory(), name: 'a/b' }))());
        expectStateError(
          e,
          'RIVULET_STATE_INVALID_ARGUMENT',
          /store name must be 1-200 characters of \[A-Za-z0-9._-\], not "." or ".." \(got "a\/b"\); it names a directory and a changelog topic$/,
        );
      });
    });

    describe('empty store', () => {
      it('reads nothing everywhere', async () => {
        const store = await fx.make();
        expect(await store.get(u8(1))).toBeUndefined();
        expect(await store.delete(u8(1))).toBeUndefined();
        expect(await keysOf(store.all())).toEqual([]);
        expect(await keysOf(store.range())).toEqual([]);
        expect(await keysOf(store.reverseRange())).toEqual([]);
        expect(await keysOf(store.range(u8(0), u8(0xff)))).toEqual([]);
        expect(await keysOf(store.prefixScan(u8()))).toEqual([]);
        expect(await store.approximateNumEntries()).toBe(0);
        await store.flush();
      });
    });

    describe('reads and writes', () => {
      it('returns what was put; an overwrite replaces', async () => {
        const store = await fx.make();
        await store.put(utf8('k'), utf8('v1'));
        expect(await store.get(utf8('k'))).toEqual(utf8('v1'));
        await store.put(utf8('k'), utf8('v2'));
        expect(await store.get(utf8('k'))).toEqual(utf8('v2'));
        expect(await keysOf(store.all())).toEqual([hex(utf8('k'))]);
      });

      it('returns plain Uint8Arrays and accepts Buffers', async () => {
        const store = await fx.make();
        await store.put(Buffer.from('kb'), Buffer.from('vb'));
        const v = await store.get(utf8('kb'));
        expect(v?.constructor).toBe(Uint8Array);
        expect(v).toEqual(utf8('vb'));
        const [entry] = await collect(store.all());
        expect(entry?.key.constructor).toBe(Uint8Array);
        expect(entry?.value.constructor).toBe(Uint8Array);
      });

      it('stores an empty value as distinct from absent', async () => {
        const store = await fx.make();
        await store.put(u8(1), u8());
        expect(await store.get(u8(1))).toEqual(u8());
        expect(await store.putIfAbsent(u8(1), u8(9))).toEqual(u8());
        expect(await store.delete(u8(1))).toEqual(u8());
      });

      it('is not affected by the caller mutating arrays after put', async () => {
        const store = await fx.make();
        const key = u8(1, 2);
        const value = u8(3, 4);
        await store.put(key, value);
        key[0] = 9;
        value[0] = 9;
        expect(await store.get(u8(1, 2))).toEqual(u8(3, 4));
        expect(await store.get(u8(9, 2))).toBeUndefined();
        await store.flush();
        expect(await store.get(u8(1, 2))).toEqual(u8(3, 4));
      });

      it('delete returns the old value, then the key is gone', async () => {
        const store = await fx.make();
        await store.put(utf8('a'), utf8('1'));
        await store.put(utf8('b'), utf8('2'));
        expect(await store.delete(utf8('a'))).toEqual(utf8('1'));
        expect(await store.get(utf8('a'))).toBeUndefined();
        expect(await store.delete(utf8('a'))).toBeUndefined();
        expect(await keysOf(store.all())).toEqual([hex(utf8('b'))]);
        await store.flush();
        expect(await store.get(utf8('a'))).toBeUndefined();
        expect(await keysOf(store.all())).toEqual([hex(utf8('b'))]);
      });

      it('putIfAbsent writes only when absent and returns the existing value', async () => {
        const store = await fx.make();
        expect(await store.putIfAbsent(utf8('k'), utf8('first'))).toBeUndefined();
        expect(await store.putIfAbsent(utf8('k'), utf8('second'))).toEqual(utf8('first'));
        expect(await store.get(utf8('k'))).toEqual(utf8('first'));
        await store.delete(utf8('k'));
        expect(await store.putIfAbsent(utf8('k'), utf8('third'))).toBeUndefined();
        expect(await store.get(utf8('k'))).toEqual(utf8('third'));
      });

      it('putAll stores every entry; the last entry for a key wins', async () => {
        const store = await fx.make();
        await store.putAll([
          { key: u8(2), value: u8(20) },
          { key: u8(1), value: u8(10) },
          { key: u8(2), value: u8(21) },
        ]);
        await store.putAll([]);
        expect(await store.get(u8(1))).toEqual(u8(10));
        expect(await store.get(u8(2))).toEqual(u8(21));
        expect((await collect(store.all())).map((e) => [hex(e.key), hex(e.value)])).toEqual([
          ['01', '0a'],
          ['02', '15'],
        ]);
      });

      it('putAll writes nothing when any entry is invalid', async () => {
        const store = await fx.make();
        const e = await rejection(store.putAll([{ key: u8(1), value: u8(1) }, { key: u8(2), value: 'x' as unknown as Uint8Array }]));
        expectStateError(e, 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.putAll: entries[1].value must be a Uint8Array (got string)');
        expect(await store.get(u8(1))).toBeUndefined();
      });

      it('round-trips 1 MB values through get and iteration', async () => {
        const store = await fx.make();
        const big = new Uint8Array(1024 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
        await store.put(utf8('big'), big);
        await store.put(utf8('big2'), big.subarray(1));
        expect(hex((await store.get(utf8('big'))) as Uint8Array)).toBe(hex(big));
        await store.flush();
        const entries = await collect(store.all());
        expect(entries.map((e) => e.value.length)).toEqual([big.length, big.length - 1]);
        expect(hex(entries[1]?.value as Uint8Array)).toBe(hex(big.subarray(1)));
      });

      it('holds 10 000 keys in order, with exact counts after flush', async () => {
        const store = await fx.make();
        const key = (i: number) => {
          const k = new Uint8Array(4);
          new DataView(k.buffer).setUint32(0, i);
          return k;
        };
        // Insert in a scrambled order so sorting is the store's work.
        const order = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 10_000);
        await store.putAll(order.slice(0, 5000).map((i) => ({ key: key(i), value: key(i * 2) })));
        for (const i of order.slice(5000)) await store.put(key(i), key(i * 2));
        await store.flush();
        expect(await store.approximateNumEntries()).toBe(10_000);
        const all = await collect(store.all());
        expect(all.length).toBe(10_000);
        expect(all.every((e, i) => hex(e.key) === hex(key(i)) && hex(e.value) === hex(key(i * 2)))).toBe(true);
        expect(await keysOf(store.range(key(4998), key(5001)))).toEqual([4998, 4999, 5000, 5001].map((i) => hex(key(i))));
        expect((await keysOf(store.reverseRange(key(9997)))).length).toBe(3);
        expect(await store.get(key(1234))).toEqual(key(2468));
      });
    });

    describe('ordering and ranges', () => {
      const letters = ['a', 'b', 'c', 'd', 'e'];
      async function lettered(): Promise<KeyValueStore> {
        const store = await fx.make();
        for (const l of ['c', 'a', 'e', 'b', 'd']) await store.put(utf8(l), utf8(l.toUpperCase()));
        return store;
      }
      const hx = (...ls: string[]) => ls.map((l) => hex(utf8(l)));

      it('range includes both bounds', async () => {
        const store = await lettered();
        expect(await keysOf(store.range(utf8('b'), utf8('d')))).toEqual(hx('b', 'c', 'd'));
        expect(await keysOf(store.range(utf8('b'), utf8('b')))).toEqual(hx('b'));
        expect(await keysOf(store.range(utf8('a'), utf8('e')))).toEqual(hx(...letters));
      });

      it('range treats missing bounds as open and bounds need not exist', async () => {
        const store = await lettered();
        expect(await keysOf(store.range(undefined, utf8('b')))).toEqual(hx('a', 'b'));
        expect(await keysOf(store.range(utf8('d')))).toEqual(hx('d', 'e'));
        expect(await keysOf(store.range())).toEqual(hx(...letters));
        expect(await keysOf(store.range(utf8('bb'), utf8('dd')))).toEqual(hx('c', 'd'));
        expect(await keysOf(store.range(utf8('0'), utf8('A')))).toEqual([]);
        expect(await keysOf(store.range(utf8('f')))).toEqual([]);
      });

      it('range with from > to yields nothing', async () => {
        const store = await lettered();
        expect(await keysOf(store.range(utf8('d'), utf8('b')))).toEqual([]);
        expect(await keysOf(store.reverseRange(utf8('d'), utf8('b')))).toEqual([]);
      });

      it('reverseRange yields the same entries descending', async () => {
        const store = await lettered();
        expect(await keysOf(store.reverseRange(utf8('b'), utf8('d')))).toEqual(hx('d', 'c', 'b'));
        expect(await keysOf(store.reverseRange())).toEqual(hx(...letters).reverse());
        expect(await keysOf(store.reverseRange(undefined, utf8('b')))).toEqual(hx('b', 'a'));
        expect(await keysOf(store.reverseRange(utf8('d')))).toEqual(hx('e', 'd'));
        const values = (await collect(store.reverseRange(utf8('c'), utf8('c')))).map((e) => hex(e.value));
        expect(values).toEqual(hx('C'));
      });

      it('all yields every entry ascending with its value', async () => {
        const store = await lettered();
        const entries = await collect(store.all());
        expect(entries.map((e) => [hex(e.key), hex(e.value)])).toEqual(letters.map((l) => [hex(utf8(l)), hex(utf8(l.toUpperCase()))]));
      });

      it('orders keys as unsigned bytes, a prefix before its extensions', async () => {
        const store = await fx.make();
        const keys = [u8(0xff, 0xff), u8(0x80), u8(0x00, 0x00), u8(0x7f, 0xff), u8(0x00), u8(0xff), u8(0x01), u8(0xff, 0x00), u8(0x00, 0xff)];
        for (const k of keys) await store.put(k, k);
        const want = ['00', '0000', '00ff', '01', '7fff', '80', 'ff', 'ff00', 'ffff'];
        expect(await keysOf(store.all())).toEqual(want);
        expect(await keysOf(store.reverseRange())).toEqual([...want].reverse());
        expect(await keysOf(store.range(u8(0x00), u8(0x00, 0xff)))).toEqual(['00', '0000', '00ff']);
        expect(await keysOf(store.range(u8(0xff)))).toEqual(['ff', 'ff00', 'ffff']);
        await store.flush();
        expect(await keysOf(store.range(u8(0x7f), u8(0xff)))).toEqual(['7fff', '80', 'ff']);
      });

      it('orders unicode keys by their UTF-8 bytes (= code point order)', async () => {
        const store = await fx.make();
        const words = ['zebra', 'é', '日本', '😀', 'Zoo', 'a', 'ǅ', '\u0000x', ''];
        for (const w of words) await store.put(utf8(w), utf8(`v:${w}`));
        const got = (await collect(store.all())).map((e) => new TextDecoder().decode(e.key));
        const byCodePoint = [...words].sort((x, y) => {
          const a = [...x].map((c) => c.codePointAt(0) as number);
          const b = [...y].map((c) => c.codePointAt(0) as number);
          for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
          return a.length - b.length;
        });
        expect(got).toEqual(byCodePoint);
        expect(await store.get(utf8('日本'))).toEqual(utf8('v:日本'));
        expect(new TextDecoder().decode(await store.get(utf8('😀')))).toBe('v:😀');
      });

      it('prefixScan yields keys with the prefix, ascending, including around 0x00 and 0xff', async () => {
        const store = await fx.make();
        for (const s of ['ab', 'abc', 'abd', 'ac', 'b', 'a']) await store.put(utf8(s), utf8(s));
        for (const k of [u8(0xff), u8(0xff, 0x00), u8(0xff, 0xff), u8(0xff, 0xff, 0x01), u8(0xfe, 0xff), u8(0x00), u8(0x00, 0x00)]) await store.put(k, k);
        expect(await keysOf(store.prefixScan(utf8('ab')))).toEqual(['ab', 'abc', 'abd'].map((s) => hex(utf8(s))));
        expect(await keysOf(store.prefixScan(utf8('abc')))).toEqual([hex(utf8('abc'))]);
        expect(await keysOf(store.prefixScan(utf8('abz')))).toEqual([]);
        expect(await keysOf(store.prefixScan(u8(0xff, 0xff)))).toEqual(['ffff', 'ffff01']);
        expect(await keysOf(store.prefixScan(u8(0xff)))).toEqual(['ff', 'ff00', 'ffff', 'ffff01']);
        expect(await keysOf(store.prefixScan(u8(0x00)))).toEqual(['00', '0000']);
        expect((await keysOf(store.prefixScan(u8()))).length).toBe(13);
      });

      it('yields each key present throughout exactly once while the caller writes', async () => {
        const store = await fx.make();
        for (let i = 0; i < 300; i++) await store.put(u8(i >> 8, i & 0xff), u8(1));
        const seen: string[] = [];
        for await (const { key } of store.all()) {
          seen.push(hex(key));
          await store.delete(key);
          // Ahead of the cursor: may or may not be seen, but never twice.
          if (key.length === 2) await store.put(u8(0xaa, ...key), u8(2));
        }
        const original = seen.filter((k) => k.length === 4);
        expect(original).toEqual(Array.from({ length: 300 }, (_, i) => hex(u8(i >> 8, i & 0xff))));
        expect(new Set(seen).size).toBe(seen.length);
      });

      it('releases an iterator abandoned early, and the store still closes', async () => {
        const store = await fx.make();
        for (let i = 0; i < 2000; i++) await store.put(u8(i >> 8, i & 0xff), u8(i & 0xff));
        let n = 0;
        for await (const _ of store.all()) if (++n === 3) break;
        expect(n).toBe(3);
        const unstarted = store.range(u8(0));
        void unstarted;
        await store.close();
        expect(store.status).toBe('closed');
      });
    });

    describe('restoreBatch', () => {
      it('applies puts and tombstones in order', async () => {
        const store = await fx.make();
        await store.put(u8(9), u8(9));
        await store.restoreBatch([
          { key: u8(1), value: u8(1) },
          { key: u8(2), value: u8(2) },
          { key: u8(1), value: null },
          { key: u8(3), value: u8(3) },
          { key: u8(3), value: u8(33) },
          { key: u8(9), value: null },
        ]);
        expect((await collect(store.all())).map((e) => [hex(e.key), hex(e.value)])).toEqual([
          ['02', '02'],
          ['03', '21'],
        ]);
        await store.flush();
        expect(await store.get(u8(9))).toBeUndefined();
      });

      it('rejects a malformed record before applying any', async () => {
        const store = await fx.make();
        const e = await rejection(store.restoreBatch([{ key: u8(1), value: u8(1) }, { key: 'k' as unknown as Uint8Array, value: null }]));
        expectStateError(e, 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.restoreBatch: records[1].key must be a Uint8Array (got string)');
        expect(await store.get(u8(1))).toBeUndefined();
      });
    });

    describe('argument errors', () => {
      it('name the method, the argument and what was passed', async () => {
        const store = await fx.make();
        const bad = (v: unknown) => v as Uint8Array;
        expectStateError(await rejection(store.put(bad('k'), u8(1))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.put: key must be a Uint8Array (got string)');
        expectStateError(await rejection(store.put(u8(1), bad(null))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.put: value must be a Uint8Array (got null)');
        expectStateError(await rejection(store.put(u8(1), bad(undefined))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.put: value must be a Uint8Array (got undefined)');
        expectStateError(await rejection(store.get(bad(42))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.get: key must be a Uint8Array (got number 42)');
        expectStateError(await rejection(store.delete(bad(new ArrayBuffer(1)))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.delete: key must be a Uint8Array (got ArrayBuffer)');
        expectStateError(await rejection(store.putIfAbsent(u8(1), bad([1]))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.putIfAbsent: value must be a Uint8Array (got Array)');
        expectStateError(await rejection(store.putAll(5 as unknown as [])), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.putAll: entries must be an iterable of { key, value } (got number 5)');
        expectStateError(thrown(() => store.range(bad('a'))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.range: from must be a Uint8Array (got string)');
        expectStateError(thrown(() => store.reverseRange(undefined, bad({}))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.reverseRange: to must be a Uint8Array (got Object)');
        expectStateError(thrown(() => store.prefixScan(bad(undefined))), 'RIVULET_STATE_INVALID_ARGUMENT', 'KeyValueStore.prefixScan: prefix must be a Uint8Array (got undefined)');
        expect(await store.approximateNumEntries()).toBe(0);
      });
    });

    describe('closed store', () => {
      const closedMessage = (method: string, status = 'closed') =>
        `KeyValueStore.${method}: store "contract-store" must be open (got ${status}); call open() before using it`;

      it('rejects every data method before open with RIVULET_STATE_CLOSED', async () => {
        const store = await fx.make({ open: false });
        expectStateError(await rejection(store.get(u8(1))), 'RIVULET_STATE_CLOSED', closedMessage('get'));
        expectStateError(await rejection(store.put(u8(1), u8(1))), 'RIVULET_STATE_CLOSED', closedMessage('put'));
        expectStateError(await rejection(store.flush()), 'RIVULET_STATE_CLOSED', closedMessage('flush'));
        expectStateError(thrown(() => store.all()), 'RIVULET_STATE_CLOSED', closedMessage('all'));
      });

      it('rejects every data method after close with RIVULET_STATE_CLOSED', async () => {
        const store = await fx.make();
        await store.put(u8(1), u8(1));
        await store.close();
        const closed = 'RIVULET_STATE_CLOSED';
        expectStateError(await rejection(store.get(u8(1))), closed, closedMessage('get'));
        expectStateError(await rejection(store.put(u8(1), u8(1))), closed, closedMessage('put'));
        expectStateError(await rejection(store.putAll([{ key: u8(1), value: u8(1) }])), closed, closedMessage('putAll'));
        expectStateError(await rejection(store.delete(u8(1))), closed, closedMessage('delete'));
        expectStateError(await rejection(store.putIfAbsent(u8(1), u8(1))), closed, closedMessage('putIfAbsent'));
        expectStateError(await rejection(store.approximateNumEntries()), closed, closedMessage('approximateNumEntries'));
        expectStateError(await rejection(store.flush()), closed, closedMessage('flush'));
        expectStateError(await rejection(store.restoreBatch([])), closed, closedMessage('restoreBatch'));
        expectStateError(thrown(() => store.range()), closed, closedMessage('range'));
        expectStateError(thrown(() => store.reverseRange()), closed, closedMessage('reverseRange'));
        expectStateError(thrown(() => store.prefixScan(u8())), closed, closedMessage('prefixScan'));
        expectStateError(thrown(() => store.all()), closed, closedMessage('all'));
      });

      it('fails an open iterator on its next step once the store closes, even after reopening', async () => {
        const store = await fx.make();
        for (let i = 0; i < 1500; i++) await store.put(u8(i >> 8, i & 0xff), u8(1));
        const first = store.all();
        const second = store.range(u8(0));
        expect((await first.next()).done).toBe(false);
        expect((await second.next()).done).toBe(false);
        await store.close();
        expectStateError(await rejection(first.next()), 'RIVULET_STATE_CLOSED', closedMessage('all'));
        // An iterator belongs to one open/close cycle; reopening does not revive it.
        await store.open();
        expectStateError(
          await rejection(second.next()),
          'RIVULET_STATE_CLOSED',
          'KeyValueStore.range: store "contract-store" was closed after this iterator was created; an iterator does not survive close() — start a new one',
        );
      });
    });

    describe('persistence', () => {
      it('keeps data across close and open when persistent, else starts empty', async () => {
        const store = await fx.make();
        await store.put(utf8('k1'), utf8('v1'));
        await store.put(utf8('k2'), utf8('v2'));
        await store.delete(utf8('k2'));
        await store.close();
        await store.open();
        if (store.supports.persistent) {
          expect(await store.get(utf8('k1'))).toEqual(utf8('v1'));
          expect(await keysOf(store.all())).toEqual([hex(utf8('k1'))]);
        } else {
          expect(await store.get(utf8('k1'))).toBeUndefined();
          expect(await store.approximateNumEntries()).toBe(0);
        }
      });

      it('a new instance over the same directory sees the data (persistent stores)', async () => {
        const first = await fx.make();
        if (!first.supports.persistent) return;
        const big = new Uint8Array(300_000).fill(7);
        await first.putAll([
          { key: u8(0x00), value: u8(0) },
          { key: u8(0xff, 0xff), value: big },
        ]);
        await first.close();
        const second = await fx.make();
        expect(await keysOf(second.all())).toEqual(['00', 'ffff']);
        expect((await second.get(u8(0xff, 0xff)))?.length).toBe(300_000);
      });
    });
  });
}
