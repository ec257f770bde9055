import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../../src/state/bytes.js';
import { SortedByteMap } from '../../../src/state/sorted-byte-map.js';

// Deterministic PRNG so a failure reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function randomKey(r: () => number): Uint8Array {
  const len = Math.floor(r() * 4);
  const k = new Uint8Array(len);
  // A tiny alphabet including 0x00 and 0xff makes collisions and prefix cases common.
  for (let i = 0; i < len; i++) k[i] = [0x00, 0x01, 0x7f, 0x80, 0xff][Math.floor(r() * 5)] as number;
  return k;
}

describe('SortedByteMap', () => {
  it('matches a sorted-array oracle under random inserts, deletes and range scans', () => {
    const r = rng(42);
    const map = new SortedByteMap<number>();
    const oracle = new Map<string, { key: Uint8Array; value: number }>();
    for (let step = 0; step < 20_000; step++) {
      const k = randomKey(r);
      if (r() < 0.65) {
        const prev = map.set(k, step);
        expect(prev).toBe(oracle.get(hex(k))?.value);
        oracle.set(hex(k), { key: k, value: step });
      } else {
        const removed = map.delete(k);
        expect(removed?.value).toBe(oracle.get(hex(k))?.value);
        oracle.delete(hex(k));
      }
      expect(map.size).toBe(oracle.size);
      if (step % 500 === 0) {
        const sorted = [...oracle.values()].sort((a, b) => compareBytes(a.key, b.key));
        const from = r() < 0.2 ? undefined : randomKey(r);
        const to = r() < 0.2 ? undefined : randomKey(r);
        const want = sorted.filter(
          (e) => (from === undefined || compareBytes(e.key, from) >= 0) && (to === undefined || compareBytes(e.key, to) <= 0),
        );
        expect([...map.entries(from, to)].map((e) => hex(e.key))).toEqual(want.map((e) => hex(e.key)));
        expect([...map.entries(from, to, true)].map((e) => hex(e.key))).toEqual(want.reverse().map((e) => hex(e.key)));
      }
    }
  });

  it('splits into many chunks and still iterates in order', () => {
    const map = new SortedByteMap<number>();
    const r = rng(7);
    const keys: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, Math.floor(r() * 2 ** 32));
      keys.push(k);
      map.set(k, i);
    }
    const want = [...new Map(keys.map((k) => [hex(k), k])).values()].sort(compareBytes).map(hex);
    expect([...map.entries()].map((e) => hex(e.key))).toEqual(want);
    expect([...map.entries(undefined, undefined, true)].map((e) => hex(e.key))).toEqual([...want].reverse());
  });

  it('keeps iterating correctly while entries are deleted and inserted behind and ahead of the cursor', () => {
    const map = new SortedByteMap<number>();
    for (let i = 0; i < 2000; i++) map.set(new Uint8Array([i >> 8, i & 0xff]), i);
    const seen: number[] = [];
    for (const e of map.entries()) {
      seen.push(e.value);
      // Delete the key just yielded and the one two ahead; insert one far ahead.
      map.delete(e.key);
      map.delete(new Uint8Array([(e.value + 2) >> 8, (e.value + 2) & 0xff]));
      if (e.value === 9) map.set(new Uint8Array([0xff]), -1);
    }
    // The "two ahead" deletes leave 0, 1, 4, 5, 8, 9, …; the key set at 9 comes last.
    const expected: number[] = [];
    const gone = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      if (gone.has(i)) continue;
      expected.push(i);
      gone.add(i + 2);
    }
    expected.push(-1);
    expect(seen).toEqual(expected);

    const rev = new SortedByteMap<number>();
    for (let i = 0; i < 1500; i++) rev.set(new Uint8Array([i >> 8, i & 0xff]), i);
    const down: number[] = [];
    for (const e of rev.entries(undefined, undefined, true)) {
      down.push(e.value);
      rev.delete(e.key);
    }
    expect(down).toEqual(Array.from({ length: 1500 }, (_, i) => 1499 - i));
    expect(rev.size).toBe(0);
  });

  it('yields nothing for an inverted range and handles empty maps', () => {
    const map = new SortedByteMap<number>();
    expect([...map.entries()]).toEqual([]);
    expect([...map.entries(undefined, undefined, true)]).toEqual([]);
    map.set(new Uint8Array([5]), 5);
    expect([...map.entries(new Uint8Array([6]), new Uint8Array([4]))]).toEqual([]);
    expect(map.get(new Uint8Array([5]))).toBe(5);
    expect(map.get(new Uint8Array([5, 0]))).toBeUndefined();
  });
});
