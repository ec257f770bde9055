/**
 * Contract suites for the synchronous stores processors and interactive
 * queries use (`src/state/store-api.ts`), run against every way a task's state
 * survives a commit:
 *
 * - `inMemory()`: the working store itself; a commit drains its changes and
 *   reads continue on the same instance;
 * - `leveldb(directory)`: a commit drains the changes into LevelDB through
 *   `StorePersistence` (what `StreamThread.commit` does), closes it, and a
 *   fresh store loads the directory back (what `TaskManager` does on restart);
 * - `changelog()`: a commit appends the changes to a log, and a fresh store
 *   replays the whole log in order (`TaskManager`'s restore from the changelog
 *   topic without a checkpoint).
 *
 * Every test writes, commits, and checks the store it gets back, so the
 * persisted form has to reproduce exactly what the working store served.
 * Expected values are written out by hand.
 *
 *   describeSyncKeyValueStore('WorkingKeyValueStore', (name, k, v) => new WorkingKeyValueStore(name, k, v));
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorePersistence } from '../../src/runtime/store-persistence.js';
import type { Serde } from '../../src/serde/serde.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { KeyValueEntry, KeyValueStore, SessionEntry, SessionStore, WindowEntry, WindowStore } from '../../src/state/store-api.js';
import type { PersistableState, StoreChange } from '../../src/state/working-table.js';

export type SyncKeyValueStoreFactory = <K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>) => KeyValueStore<K, V> & PersistableState;

/** Window and session stores expire by stream time; the suite drives it. */
export type ExpiringStore = PersistableState & { expire(streamTime: number): void };

export type SyncWindowStoreFactory = <K, V>(
  name: string,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  retentionMs: number,
) => WindowStore<K, V> & ExpiringStore;

export type SyncSessionStoreFactory = <K, V>(
  name: string,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  retentionMs: number,
) => SessionStore<K, V> & ExpiringStore;

/** How a store's state crosses a commit. */
export interface Committer {
  readonly label: string;
  /** Commits `store`'s changes; returns the store reads continue on (`fresh` builds an empty one). */
  commit<S extends PersistableState>(store: S, fresh: () => S): Promise<S>;
  close(): Promise<void>;
}

/** The working store alone: a commit drains the changes and nothing is reloaded. */
export function inMemory(): Committer {
  return {
    label: 'in-memory',
    async commit(store) {
      store.drainChanges();
      return store;
    },
    async close() {},
  };
}

/** LevelDB through the runtime's StorePersistence; every commit is followed by a restart. */
export function leveldb(directory: string): Committer {
  const open = new Map<string, StorePersistence>();
  return {
    label: 'LevelDB',
    async commit(store, fresh) {
      const location = join(directory, store.name);
      let p = open.get(store.name);
      if (p === undefined) {
        p = new StorePersistence(store.name, location);
        await p.open();
      }
      await p.write(store.drainChanges());
      await p.close();
      const reopened = new StorePersistence(store.name, location);
      await reopened.open();
      open.set(store.name, reopened);
      const restored = fresh();
      await reopened.loadInto(restored);
      return restored;
    },
    async close() {
      for (const p of open.values()) await p.close();
      open.clear();
    },
  };
}

/** A changelog per store; every commit appends, then a fresh store replays the whole log. */
export function changelog(): Committer {
  const logs = new Map<string, StoreChange[]>();
  return {
    label: 'changelog',
    async commit(store, fresh) {
      const log = logs.get(store.name) ?? [];
      logs.set(store.name, log);
      log.push(...store.drainChanges());
      const restored = fresh();
      for (const r of log) restored.restore(r.key, r.value);
      return restored;
    },
    async close() {},
  };
}

export type CommitterFactory = (directory: string) => Committer;

/** The committers every suite runs under. */
export const COMMITTERS: readonly CommitterFactory[] = [() => inMemory(), (dir) => leveldb(dir), () => changelog()];

/** A fresh directory and committer per test; call inside a `describe`. */
export function useCommitter(make: CommitterFactory): () => Committer {
  let dir = '';
  let committer: Committer | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-sync-store-'));
    committer = make(dir);
  });
  afterEach(async () => {
    await committer?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return () => committer as Committer;
}

/** Big-endian signed 32-bit integers: byte order puts negatives after positives. */
export const int32: Serde<number> = Serdes.custom(
  'int32',
  (n) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n);
    return b;
  },
  (b) => new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(0),
);

export const u8 = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const kv = <K, V>(entries: KeyValueEntry<K, V>[]): [K, V][] => entries.map((e) => [e.key, e.value]);
const win = <K, V>(entries: WindowEntry<K, V>[]): [K, number, V][] => entries.map((e) => [e.key, e.windowStart, e.value]);
const ses = <K, V>(entries: SessionEntry<K, V>[]): [K, number, number, V][] => entries.map((e) => [e.key, e.start, e.end, e.value]);

// ---------------------------------------------------------------- key-value

export function describeSyncKeyValueStore(name: string, factory: SyncKeyValueStoreFactory, committers: readonly CommitterFactory[] = COMMITTERS): void {
  for (const makeCommitter of committers) {
    const label = makeCommitter('').label;
    describe(`${name} — KeyValueStore contract (${label})`, () => {
      const committer = useCommitter(makeCommitter);
      const strings = () => factory('kv', Serdes.string(), Serdes.string());
      const commit = <S extends PersistableState>(s: S, fresh: () => S) => committer().commit(s, fresh);

      it('reads nothing from an empty store', async () => {
        const s = await commit(strings(), strings);
        expect(s.get('a')).toBeUndefined();
        expect(s.delete('a')).toBeUndefined();
        expect(s.all()).toEqual([]);
        expect(s.range()).toEqual([]);
        expect(s.reverseRange()).toEqual([]);
        expect(s.prefixScan('')).toEqual([]);
        expect(s.approximateNumEntries()).toBe(0);
      });

      it('returns what was put; an overwrite replaces', async () => {
        let s = strings();
        s.put('k', 'v1');
        expect(s.get('k')).toBe('v1');
        s = await commit(s, strings);
        expect(s.get('k')).toBe('v1');
        s.put('k', 'v2');
        expect(s.get('k')).toBe('v2');
        s = await commit(s, strings);
        expect(s.get('k')).toBe('v2');
        expect(kv(s.all())).toEqual([['k', 'v2']]);
        expect(s.approximateNumEntries()).toBe(1);
      });

      it('keeps an empty string value apart from an absent one', async () => {
        let s = strings();
        s.put('k', '');
        s = await commit(s, strings);
        expect(s.get('k')).toBe('');
        expect(s.putIfAbsent('k', 'x')).toBe('');
        expect(s.get('k')).toBe('');
      });

      it('delete returns the old value and removes the key, within a commit and across commits', async () => {
        let s = strings();
        s.put('a', '1');
        s.put('b', '2');
        s.put('c', '3');
        expect(s.delete('c')).toBe('3');
        expect(s.get('c')).toBeUndefined();
        s = await commit(s, strings);
        expect(kv(s.all())).toEqual([
          ['a', '1'],
          ['b', '2'],
        ]);
        expect(s.delete('a')).toBe('1');
        expect(s.delete('a')).toBeUndefined();
        expect(s.delete('never')).toBeUndefined();
        s = await commit(s, strings);
        expect(s.get('a')).toBeUndefined();
        expect(kv(s.all())).toEqual([['b', '2']]);
        expect(s.approximateNumEntries()).toBe(1);
      });

      it('put of null or undefined deletes, as in Kafka Streams', async () => {
        const json = () => factory('kv-json', Serdes.string(), Serdes.json<number | null>());
        let s = json();
        s.put('a', 1);
        s.put('b', 2);
        s = await commit(s, json);
        s.put('a', null);
        s.put('b', undefined as unknown as number);
        expect(s.get('a')).toBeUndefined();
        s = await commit(s, json);
        expect(s.all()).toEqual([]);
        expect(s.approximateNumEntries()).toBe(0);
      });

      it('putIfAbsent writes only when absent and returns the existing value', async () => {
        let s = strings();
        expect(s.putIfAbsent('k', 'first')).toBeUndefined();
        expect(s.putIfAbsent('k', 'second')).toBe('first');
        s = await commit(s, strings);
        expect(s.get('k')).toBe('first');
        expect(s.putIfAbsent('k', 'third')).toBe('first');
        s.delete('k');
        expect(s.putIfAbsent('k', 'fourth')).toBeUndefined();
        s = await commit(s, strings);
        expect(s.get('k')).toBe('fourth');
      });

      it('orders by the serialized key bytes (UTF-8), a prefix before its extensions', async () => {
        let s = strings();
        // UTF-8: '' < 'B' 42 < 'a' 61 < 'aa' 61 61 < 'ab' 61 62 < 'b' 62 < 'é' c3 a9 < '日' e6 97 a5 < '😀' f0 9f 98 80
        for (const k of ['日', 'b', '😀', 'aa', '', 'é', 'a', 'B', 'ab']) s.put(k, `v${k}`);
        const want = ['', 'B', 'a', 'aa', 'ab', 'b', 'é', '日', '😀'];
        s = await commit(s, strings);
        expect(s.all().map((e) => e.key)).toEqual(want);
        expect(s.range().map((e) => e.key)).toEqual(want);
        expect(s.reverseRange().map((e) => e.key)).toEqual([...want].reverse());
        expect(s.get('日')).toBe('v日');
        expect(s.get('')).toBe('v');
      });

      it('orders by bytes, not by value: big-endian int32 puts negatives last', async () => {
        const ints = () => factory('kv-int', int32, Serdes.string());
        let s = ints();
        // 0 → 00000000, 1 → 00000001, 256 → 00000100, -256 → ffffff00, -1 → ffffffff
        for (const k of [-1, 256, 0, -256, 1]) s.put(k, String(k));
        s = await commit(s, ints);
        expect(s.all().map((e) => e.key)).toEqual([0, 1, 256, -256, -1]);
        expect(s.range(1, -256).map((e) => e.key)).toEqual([1, 256, -256]);
        expect(s.range(-1, 1)).toEqual([]);
        expect(s.reverseRange(256).map((e) => e.key)).toEqual([-1, -256, 256]);
      });

      it('range includes both bounds, treats a missing bound as open, and bounds need not exist', async () => {
        let s = strings();
        for (const k of ['c', 'a', 'e', 'b', 'd']) s.put(k, k.toUpperCase());
        s = await commit(s, strings);
        expect(kv(s.range('b', 'd'))).toEqual([
          ['b', 'B'],
          ['c', 'C'],
          ['d', 'D'],
        ]);
        expect(s.range('b', 'b').map((e) => e.key)).toEqual(['b']);
        expect(s.range(undefined, 'b').map((e) => e.key)).toEqual(['a', 'b']);
        expect(s.range('d').map((e) => e.key)).toEqual(['d', 'e']);
        expect(s.range('bb', 'dd').map((e) => e.key)).toEqual(['c', 'd']);
        expect(s.range('0', 'A')).toEqual([]);
        expect(s.range('f')).toEqual([]);
        expect(s.range('d', 'b')).toEqual([]);
      });

      it('reverseRange yields the same entries as range, descending', async () => {
        let s = strings();
        for (const k of ['c', 'a', 'e', 'b', 'd']) s.put(k, k.toUpperCase());
        s = await commit(s, strings);
        expect(kv(s.reverseRange('b', 'd'))).toEqual([
          ['d', 'D'],
          ['c', 'C'],
          ['b', 'B'],
        ]);
        expect(s.reverseRange(undefined, 'b').map((e) => e.key)).toEqual(['b', 'a']);
        expect(s.reverseRange('d').map((e) => e.key)).toEqual(['e', 'd']);
        expect(s.reverseRange('d', 'b')).toEqual([]);
      });

      it('prefixScan yields the keys starting with the serialized prefix, ascending', async () => {
        let s = strings();
        for (const k of ['ab', 'abc', 'b', 'abd', 'a', 'ac', 'aa']) s.put(k, k);
        s = await commit(s, strings);
        expect(s.prefixScan('ab').map((e) => e.key)).toEqual(['ab', 'abc', 'abd']);
        expect(s.prefixScan('a').map((e) => e.key)).toEqual(['a', 'aa', 'ab', 'abc', 'abd', 'ac']);
        expect(s.prefixScan('abc').map((e) => e.key)).toEqual(['abc']);
        expect(s.prefixScan('abz')).toEqual([]);
        expect(s.prefixScan('').map((e) => e.key)).toEqual(['a', 'aa', 'ab', 'abc', 'abd', 'ac', 'b']);
      });

      it('prefixScan and ranges handle 0x00 and 0xff bytes', async () => {
        const bytes = () => factory('kv-bytes', Serdes.bytes(), Serdes.string());
        let s = bytes();
        for (const k of [u8(0xff, 0xff), u8(0xfe, 0xff), u8(0xff), u8(0x00), u8(0xff, 0x00), u8(0x00, 0x00), u8(0xff, 0xff, 0x01)]) s.put(k, hex(k));
        s = await commit(s, bytes);
        expect(s.all().map((e) => hex(e.key))).toEqual(['00', '0000', 'feff', 'ff', 'ff00', 'ffff', 'ffff01']);
        expect(s.prefixScan(u8(0xff)).map((e) => e.value)).toEqual(['ff', 'ff00', 'ffff', 'ffff01']);
        expect(s.prefixScan(u8(0xff, 0xff)).map((e) => e.value)).toEqual(['ffff', 'ffff01']);
        expect(s.prefixScan(u8(0x00)).map((e) => e.value)).toEqual(['00', '0000']);
        expect(s.range(u8(0x00, 0x00), u8(0xff)).map((e) => e.value)).toEqual(['0000', 'feff', 'ff']);
        expect(s.get(u8(0xff, 0x00))).toBe('ff00');
      });

      it('counts entries exactly, through overwrites and deletes', async () => {
        let s = strings();
        s.put('a', '1');
        s.put('b', '1');
        s.put('a', '2');
        expect(s.approximateNumEntries()).toBe(2);
        s = await commit(s, strings);
        expect(s.approximateNumEntries()).toBe(2);
        s.delete('b');
        s.put('c', '1');
        s.put('d', '1');
        s = await commit(s, strings);
        expect(s.approximateNumEntries()).toBe(3);
      });

      it('holds 5000 keys inserted in scrambled order, across several commits', async () => {
        const ints = () => factory('kv-many', int32, int32);
        let s = ints();
        const order = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
        for (const i of order.slice(0, 2500)) s.put(i, i * 2);
        s = await commit(s, ints);
        for (const i of order.slice(2500)) s.put(i, i * 2);
        for (let i = 0; i < 5000; i += 2) s.delete(i);
        s = await commit(s, ints);
        expect(s.approximateNumEntries()).toBe(2500);
        const all = s.all();
        expect(all.length).toBe(2500);
        expect(all.every((e, j) => e.key === 2 * j + 1 && e.value === 2 * (2 * j + 1))).toBe(true);
        expect(kv(s.range(2998, 3003))).toEqual([
          [2999, 5998],
          [3001, 6002],
          [3003, 6006],
        ]);
      });

      it('serves a 1 MB value', async () => {
        const bytes = () => factory('kv-big', Serdes.string(), Serdes.bytes());
        let s = bytes();
        const big = new Uint8Array(1024 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
        s.put('big', big);
        s = await commit(s, bytes);
        const got = s.get('big') as Uint8Array;
        expect(got.length).toBe(big.length);
        expect(hex(got)).toBe(hex(big));
      });
    });
  }
}

// ---------------------------------------------------------------- window

export function describeSyncWindowStore(name: string, factory: SyncWindowStoreFactory, committers: readonly CommitterFactory[] = COMMITTERS): void {
  for (const makeCommitter of committers) {
    const label = makeCommitter('').label;
    describe(`${name} — WindowStore contract (${label})`, () => {
      const committer = useCommitter(makeCommitter);
      const retentionMs = 100;
      const strings = () => factory('win', Serdes.string(), Serdes.string(), retentionMs);
      const commit = <S extends PersistableState>(s: S, fresh: () => S) => committer().commit(s, fresh);

      /** Windows of 'a' at 0, 10, 20, 30; of 'b' at 10, 40; of 'ab' (shares 'a''s bytes) at 10. */
      async function sample(): Promise<WindowStore<string, string> & ExpiringStore> {
        const s = strings();
        for (const t of [30, 0, 20, 10]) s.put('a', `a@${t}`, t);
        s.put('b', 'b@40', 40);
        s.put('b', 'b@10', 10);
        s.put('ab', 'ab@10', 10);
        return commit(s, strings);
      }

      it('reads nothing from an empty store', async () => {
        const s = await commit(strings(), strings);
        expect(s.fetch('a', 0)).toBeUndefined();
        expect(s.fetchRange('a', 0, 100)).toEqual([]);
        expect(s.fetchAll(0, 100)).toEqual([]);
        expect(s.all()).toEqual([]);
      });

      it('fetch finds a window by key and exact start only', async () => {
        const s = await sample();
        expect(s.fetch('a', 10)).toBe('a@10');
        expect(s.fetch('b', 10)).toBe('b@10');
        expect(s.fetch('ab', 10)).toBe('ab@10');
        expect(s.fetch('a', 11)).toBeUndefined();
        expect(s.fetch('a', 40)).toBeUndefined();
        expect(s.fetch('c', 10)).toBeUndefined();
      });

      it('put replaces a window; put of undefined removes it', async () => {
        let s = await sample();
        s.put('a', 'a@10 v2', 10);
        s.put('a', undefined, 20);
        s.put('a', undefined, 99);
        expect(s.fetch('a', 20)).toBeUndefined();
        s = await commit(s, strings);
        expect(s.fetch('a', 10)).toBe('a@10 v2');
        expect(s.fetch('a', 20)).toBeUndefined();
        expect(win(s.fetchRange('a', 0, 100))).toEqual([
          ['a', 0, 'a@0'],
          ['a', 10, 'a@10 v2'],
          ['a', 30, 'a@30'],
        ]);
      });

      it('fetchRange returns the key\'s windows with start in [timeFrom, timeTo], both inclusive, ascending', async () => {
        const s = await sample();
        expect(win(s.fetchRange('a', 10, 30))).toEqual([
          ['a', 10, 'a@10'],
          ['a', 20, 'a@20'],
          ['a', 30, 'a@30'],
        ]);
        expect(win(s.fetchRange('a', 11, 29))).toEqual([['a', 20, 'a@20']]);
        expect(win(s.fetchRange('a', 30, 30))).toEqual([['a', 30, 'a@30']]);
        expect(win(s.fetchRange('a', -100, 5))).toEqual([['a', 0, 'a@0']]);
        expect(s.fetchRange('a', 31, 1000)).toEqual([]);
        expect(s.fetchRange('a', 30, 10)).toEqual([]);
        // 'ab' serializes to 'a' plus a byte; its windows are not 'a''s.
        expect(win(s.fetchRange('ab', 0, 100))).toEqual([['ab', 10, 'ab@10']]);
        expect(win(s.fetchRange('b', 0, 100))).toEqual([
          ['b', 10, 'b@10'],
          ['b', 40, 'b@40'],
        ]);
      });

      it('fetchAll returns every key\'s windows with start in [timeFrom, timeTo]; all returns every window', async () => {
        const s = await sample();
        // Keys order by serialized length, then bytes ('a', 'b', then 'ab'); each key's windows by start.
        expect(win(s.fetchAll(10, 30))).toEqual([
          ['a', 10, 'a@10'],
          ['a', 20, 'a@20'],
          ['a', 30, 'a@30'],
          ['b', 10, 'b@10'],
          ['ab', 10, 'ab@10'],
        ]);
        expect(win(s.fetchAll(31, 40))).toEqual([['b', 40, 'b@40']]);
        expect(s.fetchAll(41, 1000)).toEqual([]);
        expect(win(s.all())).toEqual([
          ['a', 0, 'a@0'],
          ['a', 10, 'a@10'],
          ['a', 20, 'a@20'],
          ['a', 30, 'a@30'],
          ['b', 10, 'b@10'],
          ['b', 40, 'b@40'],
          ['ab', 10, 'ab@10'],
        ]);
      });

      it('orders negative window starts (sliding windows near 0) before positive ones', async () => {
        let s = strings();
        for (const t of [5, -5, 0, -1_000_000, 2 ** 40]) s.put('k', String(t), t);
        s = await commit(s, strings);
        expect(s.fetchRange('k', -10, 10).map((e) => e.windowStart)).toEqual([-5, 0, 5]);
        expect(s.all().map((e) => e.windowStart)).toEqual([-1_000_000, -5, 0, 5, 2 ** 40]);
        expect(s.fetch('k', -5)).toBe('-5');
        expect(s.fetch('k', 2 ** 40)).toBe(String(2 ** 40));
      });

      it('expire drops windows whose start is before stream time minus retention', async () => {
        let s = await sample();
        // retention 100: at stream time 120 the cutoff is 20; windows starting at 20 stay.
        s.expire(120);
        expect(win(s.fetchRange('a', 0, 100))).toEqual([
          ['a', 20, 'a@20'],
          ['a', 30, 'a@30'],
        ]);
        s = await commit(s, strings);
        expect(win(s.all())).toEqual([
          ['a', 20, 'a@20'],
          ['a', 30, 'a@30'],
          ['b', 40, 'b@40'],
        ]);
        s.expire(140);
        s = await commit(s, strings);
        expect(win(s.all())).toEqual([['b', 40, 'b@40']]);
      });

      it('expire with a stream time that did not advance changes nothing', async () => {
        let s = await sample();
        s.expire(120);
        s.expire(60);
        s = await commit(s, strings);
        expect(s.all().length).toBe(3);
      });
    });
  }
}

// ---------------------------------------------------------------- session

export function describeSyncSessionStore(name: string, factory: SyncSessionStoreFactory, committers: readonly CommitterFactory[] = COMMITTERS): void {
  for (const makeCommitter of committers) {
    const label = makeCommitter('').label;
    describe(`${name} — SessionStore contract (${label})`, () => {
      const committer = useCommitter(makeCommitter);
      const retentionMs = 100;
      const strings = () => factory('ses', Serdes.string(), Serdes.string(), retentionMs);
      const commit = <S extends PersistableState>(s: S, fresh: () => S) => committer().commit(s, fresh);

      /** Sessions of 'a': [0,10] [20,30] [40,40]; 'b': [5,25]; 'ab': [0,100]. */
      async function sample(): Promise<SessionStore<string, string> & ExpiringStore> {
        const s = strings();
        s.put('a', 40, 40, 'a40-40');
        s.put('a', 0, 10, 'a0-10');
        s.put('b', 5, 25, 'b5-25');
        s.put('a', 20, 30, 'a20-30');
        s.put('ab', 0, 100, 'ab0-100');
        return commit(s, strings);
      }

      it('reads nothing from an empty store', async () => {
        const s = await commit(strings(), strings);
        expect(s.fetchSession('a', 0, 10)).toBeUndefined();
        expect(s.findSessions('a', 0, 1000)).toEqual([]);
        expect(s.all()).toEqual([]);
      });

      it('fetchSession needs the exact key, start and end', async () => {
        const s = await sample();
        expect(s.fetchSession('a', 0, 10)).toBe('a0-10');
        expect(s.fetchSession('a', 40, 40)).toBe('a40-40');
        expect(s.fetchSession('a', 0, 11)).toBeUndefined();
        expect(s.fetchSession('a', 1, 10)).toBeUndefined();
        expect(s.fetchSession('b', 0, 10)).toBeUndefined();
        expect(s.fetchSession('ab', 0, 100)).toBe('ab0-100');
      });

      it('findSessions returns sessions with end >= earliestSessionEnd and start <= latestSessionStart, by end', async () => {
        const s = await sample();
        expect(ses(s.findSessions('a', 0, 1000))).toEqual([
          ['a', 0, 10, 'a0-10'],
          ['a', 20, 30, 'a20-30'],
          ['a', 40, 40, 'a40-40'],
        ]);
        // Both bounds inclusive: [0,10] ends at 10, [20,30] starts at 20.
        expect(ses(s.findSessions('a', 10, 20))).toEqual([
          ['a', 0, 10, 'a0-10'],
          ['a', 20, 30, 'a20-30'],
        ]);
        expect(s.findSessions('a', 11, 19)).toEqual([]);
        expect(ses(s.findSessions('a', 30, 30))).toEqual([['a', 20, 30, 'a20-30']]);
        expect(ses(s.findSessions('a', 31, 40))).toEqual([['a', 40, 40, 'a40-40']]);
        expect(ses(s.findSessions('a', 41, 1000))).toEqual([]);
        expect(ses(s.findSessions('a', -50, 0))).toEqual([['a', 0, 10, 'a0-10']]);
        // A session containing the whole query interval overlaps it.
        expect(ses(s.findSessions('b', 10, 20))).toEqual([['b', 5, 25, 'b5-25']]);
        expect(ses(s.findSessions('ab', 50, 50))).toEqual([['ab', 0, 100, 'ab0-100']]);
        expect(s.findSessions('c', 0, 1000)).toEqual([]);
      });

      it('orders sessions ending together by start', async () => {
        let s = strings();
        s.put('k', 20, 30, 'late start');
        s.put('k', 5, 30, 'early start');
        s.put('k', 0, 10, 'first');
        s = await commit(s, strings);
        expect(ses(s.findSessions('k', 0, 100))).toEqual([
          ['k', 0, 10, 'first'],
          ['k', 5, 30, 'early start'],
          ['k', 20, 30, 'late start'],
        ]);
      });

      it('finds sessions at negative times (a gap reaching before 0)', async () => {
        let s = strings();
        s.put('k', -20, -10, 'neg');
        s.put('k', 3, 3, 'pos');
        s = await commit(s, strings);
        expect(ses(s.findSessions('k', -15, 0))).toEqual([['k', -20, -10, 'neg']]);
        expect(ses(s.findSessions('k', -100, 100))).toEqual([
          ['k', -20, -10, 'neg'],
          ['k', 3, 3, 'pos'],
        ]);
        expect(s.fetchSession('k', -20, -10)).toBe('neg');
      });

      it('put replaces a session; remove deletes exactly one, within a commit and across commits', async () => {
        let s = await sample();
        s.put('a', 0, 10, 'a0-10 v2');
        s.remove('a', 20, 30);
        s.remove('a', 20, 31);
        s.remove('zz', 0, 1);
        s.put('c', 1, 2, 'c1-2');
        s.remove('c', 1, 2);
        s = await commit(s, strings);
        expect(ses(s.all())).toEqual([
          ['a', 0, 10, 'a0-10 v2'],
          ['a', 40, 40, 'a40-40'],
          ['b', 5, 25, 'b5-25'],
          ['ab', 0, 100, 'ab0-100'],
        ]);
      });

      it('merges as the session aggregate does: remove the old sessions, put the merged one', async () => {
        let s = await sample();
        s.remove('a', 0, 10);
        s.remove('a', 20, 30);
        s.put('a', 0, 30, 'merged');
        s = await commit(s, strings);
        expect(ses(s.findSessions('a', 0, 1000))).toEqual([
          ['a', 0, 30, 'merged'],
          ['a', 40, 40, 'a40-40'],
        ]);
        expect(s.fetchSession('a', 0, 10)).toBeUndefined();
      });

      it('put of null or undefined removes the session, as in Kafka Streams', async () => {
        const json = () => factory('ses-json', Serdes.string(), Serdes.json<number | null>(), retentionMs);
        let s = json();
        s.put('a', 0, 10, 1);
        s.put('a', 20, 30, 2);
        s = await commit(s, json);
        s.put('a', 0, 10, null);
        s.put('a', 20, 30, undefined as unknown as number);
        expect(s.fetchSession('a', 0, 10)).toBeUndefined();
        s = await commit(s, json);
        expect(s.all()).toEqual([]);
      });

      it('all orders by key (serialized length, then bytes), then end, then start', async () => {
        const s = await sample();
        expect(ses(s.all())).toEqual([
          ['a', 0, 10, 'a0-10'],
          ['a', 20, 30, 'a20-30'],
          ['a', 40, 40, 'a40-40'],
          ['b', 5, 25, 'b5-25'],
          ['ab', 0, 100, 'ab0-100'],
        ]);
      });

      it('expire drops sessions that ended before stream time minus retention', async () => {
        let s = await sample();
        // retention 100: at 130 the cutoff is 30; [20,30] ends on it and stays.
        s.expire(130);
        expect(ses(s.findSessions('a', 0, 1000))).toEqual([
          ['a', 20, 30, 'a20-30'],
          ['a', 40, 40, 'a40-40'],
        ]);
        s = await commit(s, strings);
        expect(ses(s.all())).toEqual([
          ['a', 20, 30, 'a20-30'],
          ['a', 40, 40, 'a40-40'],
          ['ab', 0, 100, 'ab0-100'],
        ]);
        s.expire(141);
        s = await commit(s, strings);
        expect(ses(s.all())).toEqual([['ab', 0, 100, 'ab0-100']]);
      });
    });
  }
}
