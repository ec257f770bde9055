import { describe, expect, it } from 'vitest';
import { StateError } from '../../../src/errors.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { KernelStateStore } from '../../../src/state/kernel-state-store.js';
import type { StoreChange } from '../../../src/state/working-table.js';
import { changelogTopicConfig } from '../../../src/topology/store-definition.js';
import type { WindowSpec } from '../../../src/wasm/window-stats-kernel.js';

// The per-key changelog of kernel-backed stores: records as the runtime writes them
// at commit, kept as compaction keeps them (latest per key), restored into a new store.

type Row = [string, number, number, number, number, number, number];

/** A changelog after compaction: the latest value per record key. */
class Compacted {
  readonly latest = new Map<string, StoreChange>();
  bytes = 0;
  records = 0;
  apply(changes: readonly StoreChange[]): number {
    let bytes = 0;
    for (const c of changes) {
      bytes += c.key.length + (c.value?.length ?? 0);
      const k = Buffer.from(c.key).toString('hex');
      if (c.value === null) this.latest.delete(k);
      else this.latest.set(k, c);
    }
    this.bytes += bytes;
    this.records += changes.length;
    return bytes;
  }
  /** Restores into a fresh store in a shuffled order (a LevelDB copy is in key order, a compacted log in neither). */
  restoreInto(store: KernelStateStore<string>, seed: number): void {
    const all = [...this.latest.values()];
    let s = seed;
    for (let i = all.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2147483648;
      const j = s % (i + 1);
      [all[i], all[j]] = [all[j] as StoreChange, all[i] as StoreChange];
    }
    for (const c of all) store.restore(c.key, c.value);
  }
}

/** Feeds records the way the stats operator does, then drains at "commit". */
function feed(store: KernelStateStore<string>, records: readonly [string, number, number][]): Row[] {
  const k = store.kernel;
  const cols = k.batch(records.length);
  records.forEach(([key, ts, v], i) => {
    cols.keys[i] = store.intern(key);
    cols.timestamps[i] = ts;
    cols.values[i] = v;
  });
  k.ingest(records.length);
  store.touch();
  const rows = k.drain();
  const out: Row[] = [];
  for (let i = 0; i < rows.length; i++) out.push([store.keyOf(rows.key(i)), rows.start(i), rows.end(i), rows.count(i), rows.sum(i), rows.min(i), rows.max(i)]);
  return out;
}

const SPECS: WindowSpec[] = [
  { kind: 'tumbling', sizeMs: 1000, graceMs: 200, emit: 'final' },
  { kind: 'hopping', sizeMs: 1000, advanceMs: 250, graceMs: 100, emit: 'update' },
  { kind: 'sliding', sizeMs: 500, graceMs: 100, emit: 'final', zscore: true },
];

describe('KernelStateStore: per-key changelog', () => {
  for (const spec of SPECS) {
    it(`a store restored from the compacted changelog equals the original and emits the same windows (${spec.kind}, ${spec.emit})`, () => {
      const a = new KernelStateStore('s', spec, Serdes.string());
      const log = new Compacted();
      let t = 0;
      for (let commit = 0; commit < 30; commit++) {
        const recs: [string, number, number][] = [];
        for (let i = 0; i < 50; i++) {
          t += (i * 7 + commit) % 5;
          recs.push([`key-${(i * 13 + commit * 7) % 120}`, Math.max(0, t - ((i * 31) % 300)), ((i * 17) % 23) - 11]);
        }
        feed(a, recs);
        log.apply(a.drainChanges());
      }
      const b = new KernelStateStore('s', spec, Serdes.string());
      log.restoreInto(b, 7);
      expect(Buffer.from(b.kernel.exportState()).equals(Buffer.from(a.kernel.exportState()))).toBe(true);
      expect(b.size()).toBe(a.size());
      // Both go on with the same input (new keys too) and emit the same windows.
      const more: [string, number, number][] = Array.from({ length: 400 }, (_, i) => [`key-${(i * 11) % 150}`, t + i * 10, i % 9]);
      const rowsA = feed(a, more);
      const rowsB = feed(b, more);
      a.kernel.advanceStreamTime(t + 100_000);
      b.kernel.advanceStreamTime(t + 100_000);
      expect([...rowsB, ...feed(b, [])]).toEqual([...rowsA, ...feed(a, [])]);
      expect(rowsA.length).toBeGreaterThan(0);
      a.close();
      b.close();
    });
  }

  it('tombstones keys whose windows all expired and gives their ids to new keys', () => {
    const spec: WindowSpec = { kind: 'tumbling', sizeMs: 1000, graceMs: 0, retentionMs: 1000, emit: 'final' };
    const a = new KernelStateStore('s', spec, Serdes.string());
    const log = new Compacted();
    // Generation g uses 100 fresh keys in its own second; earlier seconds expire.
    for (let g = 0; g < 20; g++) {
      feed(a, Array.from({ length: 100 }, (_, i): [string, number, number] => [`g${g}-k${i}`, g * 5000 + i, i]));
      log.apply(a.drainChanges());
    }
    // Keys never pile up: 2,000 keys seen, ids reused, the changelog holds the last two generations.
    expect(a.size()).toBeLessThanOrEqual(200);
    expect(a.intern('new-key')).toBeLessThan(200);
    expect(log.latest.size).toBeLessThanOrEqual(201);
    const b = new KernelStateStore('s', spec, Serdes.string());
    log.restoreInto(b, 3);
    a.kernel.exportState();
    expect(b.size()).toBe(a.size() - 1);
    const rowsA = feed(a, [['g19-k5', 95_100, 1]]);
    const rowsB = feed(b, [['g19-k5', 95_100, 1]]);
    expect(rowsB).toEqual(rowsA);
    a.close();
    b.close();
  });

  it('commit bytes follow the keys changed, not the keys held (20,000 vs 200,000 keys)', () => {
    const spec: WindowSpec = { kind: 'hopping', sizeMs: 60_000, advanceMs: 10_000, graceMs: 0, emit: 'final' };
    const perCommit: number[] = [];
    let largest = 0;
    for (const keys of [20_000, 200_000]) {
      const s = new KernelStateStore('s', spec, Serdes.string());
      const log = new Compacted();
      for (let from = 0; from < keys; from += 50_000) {
        feed(s, Array.from({ length: Math.min(50_000, keys - from) }, (_, i): [string, number, number] => [`device-${from + i}`, 1000, i]));
        const changes = s.drainChanges();
        for (const c of changes) largest = Math.max(largest, c.key.length + (c.value?.length ?? 0));
        log.apply(changes);
      }
      feed(s, Array.from({ length: 1000 }, (_, i): [string, number, number] => [`device-${(i * 7919) % keys}`, 2000, i]));
      const t0 = performance.now();
      const changes = s.drainChanges();
      const ms = performance.now() - t0;
      perCommit.push(log.apply(changes));
      // Restore rate: the compacted changelog into a new store.
      const r = new KernelStateStore('s', spec, Serdes.string());
      const r0 = performance.now();
      for (const c of log.latest.values()) r.restore(c.key, c.value);
      expect(r.intern('device-0')).toBe(s.intern('device-0'));
      const restoreMs = performance.now() - r0;
      expect(r.size()).toBe(keys);
      if (process.env['RIVULET_TEST_FIGURES']) {
        console.log(
          `${keys} keys: ${changes.length} records, ${perCommit[perCommit.length - 1]} bytes, ${ms.toFixed(1)} ms for a commit after 1,000 records; changelog ${log.records} records ${log.bytes} bytes; ` +
            `restore of ${log.latest.size} records in ${restoreMs.toFixed(0)} ms (${Math.round(log.latest.size / (restoreMs / 1000))} records/s)`,
        );
      }
      r.close();
      s.close();
    }
    // Every record is far below Kafka's 1 MB limit.
    expect(largest).toBeLessThan(4096);
    expect(perCommit[0]).toBeGreaterThan(0);
    expect(perCommit[1]).toBeLessThanOrEqual((perCommit[0] as number) * 1.1);
  });

  it('restores a changelog in offset order the same in batches as record by record (tombstones, reused ids)', () => {
    const spec: WindowSpec = { kind: 'tumbling', sizeMs: 1000, graceMs: 0, retentionMs: 1000, emit: 'final' };
    const a = new KernelStateStore('s', spec, Serdes.string());
    const all: StoreChange[] = [];
    for (let g = 0; g < 12; g++) {
      feed(a, Array.from({ length: 60 }, (_, i): [string, number, number] => [`g${g}-k${i % (20 + g)}`, g * 5000 + i, i]));
      all.push(...a.drainChanges());
    }
    expect(all.some((c) => c.value === null)).toBe(true);
    const one = new KernelStateStore('s', spec, Serdes.string());
    for (const c of all) one.restore(c.key, c.value);
    const batched = new KernelStateStore('s', spec, Serdes.string());
    for (let i = 0; i < all.length; i += 37) batched.restoreBatch(all.slice(i, i + 37));
    expect(Buffer.from(batched.kernel.exportState()).equals(Buffer.from(one.kernel.exportState()))).toBe(true);
    expect(Buffer.from(batched.kernel.exportState()).equals(Buffer.from(a.kernel.exportState()))).toBe(true);
    expect(batched.size()).toBe(a.size());
    for (const k of ['g11-k3', 'g11-k30']) expect([k, batched.intern(k), one.intern(k)]).toEqual([k, a.intern(k), a.intern(k)]);
    a.close();
    one.close();
    batched.close();
  });

  it('applies the kernel ops of a batch in order: a key moving to another id frees its old id for a later record', () => {
    const spec: WindowSpec = { kind: 'tumbling', sizeMs: 1000, graceMs: 0, emit: 'final' };
    const a = new KernelStateStore('s', spec, Serdes.string());
    feed(a, [['A', 100, 1], ['B', 200, 2]]);
    const recs = a.drainChanges().filter((c) => c.value !== null && c.key[0] === 1);
    const withId = (v: Uint8Array, id: number) => {
      const c = v.slice();
      new DataView(c.buffer).setUint32(2, id, true);
      return c;
    };
    const [ra, rb] = [recs[0] as StoreChange, recs[1] as StoreChange];
    // A at id 0, then A at id 1 (its id 0 is forgotten), then B at id 0: B's state must survive.
    const seq: StoreChange[] = [ra, { key: ra.key, value: withId(ra.value as Uint8Array, 1) }, { key: rb.key, value: withId(rb.value as Uint8Array, 0) }];
    const b = new KernelStateStore('s', spec, Serdes.string());
    b.restoreBatch(seq);
    expect(b.intern('A')).toBe(1);
    expect(b.intern('B')).toBe(0);
    expect(b.kernel.fetch(0, 0)?.sum).toBe(2);
    expect(b.kernel.fetch(1, 0)?.sum).toBe(1);
    a.close();
    b.close();
  });

  it('refuses a batch holding a corrupt key record, naming it', () => {
    const spec: WindowSpec = { kind: 'tumbling', sizeMs: 1000, graceMs: 0, emit: 'final' };
    const a = new KernelStateStore('s', spec, Serdes.string());
    feed(a, [['A', 100, 1], ['B', 200, 2]]);
    const recs = a.drainChanges().filter((c) => c.value !== null && c.key[0] === 1);
    const bad = (recs[1] as StoreChange).value!.slice(0, 20);
    const b = new KernelStateStore('s', spec, Serdes.string());
    expect(() => b.restoreBatch([recs[0] as StoreChange, { key: (recs[1] as StoreChange).key, value: bad }])).toThrow(/record 1 of the batch .*state is corrupt/);
    a.close();
    b.close();
  });

  it('refuses a changelog in the old single-record layout, saying to reset the state', () => {
    const s = new KernelStateStore('device-stats', SPECS[0] as WindowSpec, Serdes.string());
    let err: unknown;
    try {
      s.restore(new TextEncoder().encode('kernel'), new Uint8Array([1, 2, 3]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('RIVULET_STATE_CORRUPT');
    expect((err as StateError).message).toMatch(/reset the application's state.*device-stats-changelog/);
    s.close();
  });
});

describe('changelog topic configs', () => {
  const base = { name: 's', persistent: true, changelog: true, keySerde: Serdes.string(), valueSerde: Serdes.string(), generatedName: false } as const;
  it('are explicit: compaction and Kafka’s max.message.bytes for every store, time-based deletion for window stores', () => {
    expect(changelogTopicConfig({ ...base, type: 'key-value' })).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '1048588' });
    expect(changelogTopicConfig({ ...base, type: 'window', retentionMs: 60_000 })).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(60_000 + 86_400_000), 'max.message.bytes': '1048588' });
    expect(changelogTopicConfig({ ...base, type: 'window-stats' })).toEqual({ 'cleanup.policy': 'compact', 'max.message.bytes': '1048588', 'min.compaction.lag.ms': '0', 'segment.bytes': String(64 * 1024 * 1024) });
  });
});
