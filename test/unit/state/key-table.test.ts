import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../../src/state/key-table.js';

const enc = new TextEncoder();

/** A small deterministic PRNG, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

describe('KeyTable', () => {
  it('agrees with a Map under random binds, unbinds and finds (rehashes, arena compactions, non-ASCII and empty keys)', () => {
    const random = rng(7);
    const table = new KeyTable();
    const oracle = new Map<string, number>(); // key -> id
    const byId = new Map<number, string>();
    const keyOf = (i: number): string => (i % 97 === 0 ? `κλειδί-${i}` : i % 101 === 0 ? '' : `device-${i}`);
    let nextId = 0;
    const free: number[] = [];
    for (let step = 0; step < 60_000; step++) {
      const k = keyOf(Math.floor(random() * 20_000));
      const r = random();
      const held = oracle.get(k);
      if (r < 0.6) {
        const found = /^[\x00-\x7f]*$/.test(k) && random() < 0.5 ? table.findAscii(k) : table.find(enc.encode(k));
        expect(found).toBe(held ?? -1);
        if (held === undefined) {
          const id = free.pop() ?? nextId++;
          if (/^[\x00-\x7f]*$/.test(k) && random() < 0.5) table.bindAscii(id, k);
          else {
            // Bound from the middle of a larger buffer, as a changelog key after its prefix byte.
            const b = enc.encode(`\u0001${k}~`);
            table.bind(id, b, 1, b.length - 1);
          }
          oracle.set(k, id);
          byId.set(id, k);
        }
      } else if (held !== undefined) {
        table.unbind(held);
        oracle.delete(k);
        byId.delete(held);
        free.push(held);
      }
    }
    expect(table.size).toBe(oracle.size);
    for (const [id, k] of byId) {
      expect(table.has(id)).toBe(true);
      expect(new TextDecoder().decode(table.bytesOf(id))).toBe(k);
      expect(table.holds(id, enc.encode(k))).toBe(true);
      expect(table.isAscii(id)).toBe(/^[\x00-\x7f]*$/.test(k));
      if (table.isAscii(id)) expect(table.latin1Of(id)).toBe(k);
    }
    for (const id of free) expect(table.has(id)).toBe(false);
  });

  it('keeps every held key when bytes of removed keys are reclaimed', () => {
    const table = new KeyTable();
    const key = (round: number, i: number): Uint8Array => enc.encode(`r${round}-key-${i}`);
    // Each round binds 3,000 keys and unbinds the previous round's: the arena fills with removed
    // keys' bytes, so growing it reclaims them and moves the held keys.
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3000; i++) table.bind(round % 2 === 0 ? i : 3000 + i, key(round, i));
      if (round > 0) for (let i = 0; i < 3000; i++) table.unbind(round % 2 === 0 ? 3000 + i : i);
      for (let i = 0; i < 3000; i++) expect(table.find(key(round, i))).toBe(round % 2 === 0 ? i : 3000 + i);
      expect(table.size).toBe(3000);
    }
  });

  it('tells a non-ASCII string apart so the caller looks it up by its UTF-8 bytes', () => {
    const table = new KeyTable();
    table.bind(0, enc.encode('café'));
    expect(table.findAscii('café')).toBe(-2);
    expect(table.find(enc.encode('café'))).toBe(0);
    expect(table.findAscii('cafe')).toBe(-1);
  });
});
