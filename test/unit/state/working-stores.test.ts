import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorePersistence } from '../../../src/runtime/store-persistence.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { WorkingKeyValueStore } from '../../../src/state/working-key-value-store.js';
import { WorkingSessionStore } from '../../../src/state/working-session-store.js';
import type { StoreChange } from '../../../src/state/working-table.js';
import { WorkingWindowStore } from '../../../src/state/working-window-store.js';
import { COMMITTERS, describeSyncKeyValueStore, describeSyncSessionStore, describeSyncWindowStore, useCommitter } from '../../support/sync-store-contracts.js';

describeSyncKeyValueStore('WorkingKeyValueStore', (name, k, v) => new WorkingKeyValueStore(name, k, v));
describeSyncWindowStore('WorkingWindowStore', (name, k, v, retentionMs) => new WorkingWindowStore(name, k, v, retentionMs));
describeSyncWindowStore('WorkingWindowStore (timestamped)', (name, k, v, retentionMs) => new WorkingWindowStore(name, k, v, retentionMs, true));
describeSyncSessionStore('WorkingSessionStore', (name, k, v, retentionMs) => new WorkingSessionStore(name, k, v, retentionMs));

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
const changes = (cs: StoreChange[]): [string | null, string | null][] => cs.map((c): [string | null, string | null] => [hex(c.key), hex(c.value)]).sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = () => Serdes.string();

// The persisted layout is what LevelDB directories and changelog topics hold;
// changing it breaks restoring state written by an earlier version.
describe('working store changes (the persisted layout)', () => {
  it('key-value: the serialized key and value; one change per key, the last write winning; deletes as tombstones', () => {
    const s = new WorkingKeyValueStore('kv', str(), str());
    s.put('a', '1');
    s.put('a', '2');
    s.put('b', 'x');
    s.delete('b');
    s.put('c', '3');
    s.delete('c');
    s.put('c', '4');
    expect(changes(s.drainChanges())).toEqual([
      ['61', '32'],
      ['62', null],
      ['63', '34'],
    ]);
    expect(s.drainChanges()).toEqual([]);
    s.delete('a');
    expect(changes(s.drainChanges())).toEqual([['61', null]]);
  });

  it('window: u32 key length | key | window start + 2^52 as u64 big-endian', () => {
    const s = new WorkingWindowStore('w', str(), str(), 1000);
    s.put('ab', 'v', 10);
    s.put('ab', 'n', -1);
    s.put('z', 'gone', 0);
    s.put('z', undefined, 0);
    // 2^52 - 1 = 0x000fffffffffffff; 2^52 + 10 = 0x001000000000000a
    expect(changes(s.drainChanges())).toEqual([
      ['000000017a' + '0010000000000000', null],
      ['000000026162' + '000fffffffffffff', '6e'],
      ['000000026162' + '001000000000000a', '76'],
    ]);
  });

  it('session: u32 key length | key | end | start, each time + 2^52 as u64 big-endian', () => {
    const s = new WorkingSessionStore('s', str(), str(), 1000);
    s.put('k', 3, 7, 'v');
    s.put('k', 0, 1, 'x');
    s.remove('k', 0, 1);
    expect(changes(s.drainChanges())).toEqual([
      ['000000016b' + '0010000000000001' + '0010000000000000', null],
      ['000000016b' + '0010000000000007' + '0010000000000003', '76'],
    ]);
  });

  it('timestamped window: the record timestamp as a big-endian float64 ahead of the value', () => {
    const s = new WorkingWindowStore('w', str(), str(), 1000, true);
    s.putWithTimestamp('k', 'v', 10, 15);
    s.put('k', 'p', 20);
    // 15 = 1.875 * 2^3 → 0x402e000000000000; a plain put stamps the window start, 20 → 0x4034000000000000.
    expect(changes(s.drainChanges())).toEqual([
      ['000000016b' + '001000000000000a', '402e000000000000' + '76'],
      ['000000016b' + '0010000000000014', '4034000000000000' + '70'],
    ]);
  });

  it('expiry deletes are changes too, so they reach LevelDB and the changelog', () => {
    const w = new WorkingWindowStore('w', str(), str(), 10);
    w.put('k', 'old', 0);
    w.put('k', 'new', 20);
    w.drainChanges();
    w.expire(25);
    expect(changes(w.drainChanges())).toEqual([['000000016b0010000000000000', null]]);
    const s = new WorkingSessionStore('s', str(), str(), 10);
    s.put('k', 0, 5, 'old');
    s.put('k', 20, 20, 'new');
    s.drainChanges();
    s.expire(25);
    expect(changes(s.drainChanges())).toEqual([['000000016b00100000000000050010000000000000', null]]);
  });

  it('restoring records no changes: a restored store writes nothing back at its first commit', () => {
    const kvs = new WorkingKeyValueStore('kv', str(), str());
    kvs.restore(utf8('a'), utf8('1'));
    kvs.restore(utf8('b'), utf8('2'));
    kvs.restore(utf8('b'), null);
    expect(kvs.drainChanges()).toEqual([]);
    expect(kvs.all()).toEqual([{ key: 'a', value: '1' }]);
    const ws = new WorkingWindowStore('w', str(), str(), 1000);
    ws.restore(Uint8Array.from(Buffer.from('000000016b001000000000000a', 'hex')), utf8('v'));
    expect(ws.drainChanges()).toEqual([]);
    expect(ws.all()).toEqual([{ key: 'k', windowStart: 10, value: 'v' }]);
    const ss = new WorkingSessionStore('s', str(), str(), 1000);
    ss.restore(Uint8Array.from(Buffer.from('000000016b00100000000000070010000000000003', 'hex')), utf8('v'));
    expect(ss.drainChanges()).toEqual([]);
    expect(ss.all()).toEqual([{ key: 'k', start: 3, end: 7, value: 'v' }]);
  });
});

describe('a task\'s stores through StorePersistence (LevelDB)', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-working-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restores identical contents into fresh stores after several commits', async () => {
    const kv = new WorkingKeyValueStore('counts', str(), Serdes.json<{ n: number }>());
    const win = new WorkingWindowStore('windows', str(), Serdes.json<number>(), 1000);
    const ses = new WorkingSessionStore('sessions', str(), str(), 1000);
    const stores = [kv, win, ses] as const;
    const persist = stores.map((s) => new StorePersistence(s.name, join(dir, '0_0', s.name)));
    for (const p of persist) await p.open();
    const commit = async () => {
      for (const [i, s] of stores.entries()) await (persist[i] as StorePersistence).write(s.drainChanges());
    };

    kv.put('x', { n: 1 });
    kv.put('y', { n: 2 });
    win.put('x', 1, 0);
    win.put('x', 2, 100);
    ses.put('x', 0, 5, 'first');
    await commit();
    kv.put('x', { n: 3 });
    kv.delete('y');
    kv.put('z', { n: 4 });
    win.put('x', undefined, 0);
    win.put('y', 7, 100);
    ses.remove('x', 0, 5);
    ses.put('x', 0, 9, 'merged');
    await commit();
    for (const p of persist) await p.close();

    const kv2 = new WorkingKeyValueStore('counts', str(), Serdes.json<{ n: number }>());
    const win2 = new WorkingWindowStore('windows', str(), Serdes.json<number>(), 1000);
    const ses2 = new WorkingSessionStore('sessions', str(), str(), 1000);
    const loaded: number[] = [];
    for (const [i, s] of [kv2, win2, ses2].entries()) {
      const p = new StorePersistence(s.name, join(dir, '0_0', (stores[i] as { name: string }).name));
      await p.open();
      loaded.push(await p.loadInto(s));
      await p.close();
    }
    expect(loaded).toEqual([2, 2, 1]);
    expect(kv2.all()).toEqual([
      { key: 'x', value: { n: 3 } },
      { key: 'z', value: { n: 4 } },
    ]);
    expect(win2.all()).toEqual([
      { key: 'x', windowStart: 100, value: 2 },
      { key: 'y', windowStart: 100, value: 7 },
    ]);
    expect(ses2.all()).toEqual([{ key: 'x', start: 0, end: 9, value: 'merged' }]);
    expect(kv2.all()).toEqual(kv.all());
    expect(win2.all()).toEqual(win.all());
    expect(ses2.all()).toEqual(ses.all());
  });

  it('replays a changelog holding several versions of a key and tombstones, in offset order', () => {
    const s = new WorkingKeyValueStore('kv', str(), str());
    const log: StoreChange[] = [
      { key: utf8('a'), value: utf8('1') },
      { key: utf8('b'), value: utf8('1') },
      { key: utf8('a'), value: utf8('2') },
      { key: utf8('b'), value: null },
      { key: utf8('c'), value: null },
      { key: utf8('b'), value: utf8('3') },
      { key: utf8('a'), value: null },
    ];
    for (const r of log) s.restore(r.key, r.value);
    expect(s.all()).toEqual([{ key: 'b', value: '3' }]);
    expect(s.approximateNumEntries()).toBe(1);
    expect(s.drainChanges()).toEqual([]);
  });
});

// Inserts, deletes and range reads interleave during processing (a sliding
// window reads a key's neighbours on every record), so the kept key order must
// survive every mix of them. The model re-sorts from scratch on every read.
describe('WorkingKeyValueStore against a re-sorting model', () => {
  it('agrees on 4000 random puts, deletes, restores and range reads', () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const s = new WorkingKeyValueStore('kv', str(), str());
    const model = new Map<string, string>();
    const key = () => ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].slice(0, 1 + next(3)).map(() => String.fromCharCode(97 + next(8))).join('');
    for (let i = 0; i < 4000; i++) {
      const op = next(10);
      const k = key();
      if (op < 4) {
        s.put(k, String(i));
        model.set(k, String(i));
      } else if (op < 6) {
        expect(s.delete(k)).toBe(model.get(k));
        model.delete(k);
      } else if (op < 7) {
        // A restore (bulk load) interleaved with reads.
        s.restore(utf8(k), utf8(`r${i}`));
        model.set(k, `r${i}`);
      } else {
        const [from, to] = [k, key()];
        const want = [...model.keys()].sort().filter((x) => x >= from && x <= to);
        expect(s.range(from, to).map((e) => e.key)).toEqual(want);
      }
    }
    expect(s.all()).toEqual([...model.keys()].sort().map((k) => ({ key: k, value: model.get(k) })));
  });
});

// Sliding-window aggregates read back each window's largest record timestamp.
for (const makeCommitter of COMMITTERS) {
  describe(`WorkingWindowStore (timestamped) record timestamps (${makeCommitter('').label})`, () => {
    const committer = useCommitter(makeCommitter);
    const fresh = () => new WorkingWindowStore('tw', str(), str(), 1000, true);

    it('keeps each window\'s record timestamp across commits; fetchRange leaves it out', async () => {
      let s = fresh();
      s.putWithTimestamp('k', 'a', 0, 7);
      s.putWithTimestamp('k', 'b', 10, 12.5);
      s.putWithTimestamp('j', 'c', 10, 19);
      s.put('k', 'd', 20);
      s = await committer().commit(s, fresh);
      expect(s.fetchRangeWithTimestamps('k', 0, 20)).toEqual([
        { key: 'k', windowStart: 0, value: 'a', timestamp: 7 },
        { key: 'k', windowStart: 10, value: 'b', timestamp: 12.5 },
        { key: 'k', windowStart: 20, value: 'd', timestamp: 20 },
      ]);
      expect(s.fetchRange('k', 5, 10)).toEqual([{ key: 'k', windowStart: 10, value: 'b' }]);
      s.putWithTimestamp('k', 'b2', 10, 14);
      s.putWithTimestamp('k', undefined, 0, 9);
      s = await committer().commit(s, fresh);
      expect(s.fetchRangeWithTimestamps('k', 0, 20)).toEqual([
        { key: 'k', windowStart: 10, value: 'b2', timestamp: 14 },
        { key: 'k', windowStart: 20, value: 'd', timestamp: 20 },
      ]);
      expect(s.all()).toEqual([
        { key: 'j', windowStart: 10, value: 'c' },
        { key: 'k', windowStart: 10, value: 'b2' },
        { key: 'k', windowStart: 20, value: 'd' },
      ]);
    });
  });
}
