import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../../../src/state/sorted-keys.js';
import { WorkingTable } from '../../../src/state/working-table.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

describe('SortedKeys', () => {
  it('matches a sorted array under random inserts, deletes and range reads across chunk splits', () => {
    const rand = seededRandom(11);
    const keys = new SortedKeys();
    const model = new Set<string>();
    const key = () => `k${Math.floor(rand() * 3000)}`;
    for (let i = 0; i < 20_000; i++) {
      const k = key();
      if (rand() < 0.65) {
        keys.add(k);
        model.add(k);
      } else {
        keys.delete(k);
        model.delete(k);
      }
      if (i % 997 === 0 || i === 19_999) {
        const sorted = [...model].sort();
        expect(keys.size).toBe(model.size);
        expect(keys.range()).toEqual(sorted);
        const [a, b] = [key(), key()].sort() as [string, string];
        expect(keys.range(a, b)).toEqual(sorted.filter((x) => x >= a && x <= b));
        expect(keys.range(a)).toEqual(sorted.filter((x) => x >= a));
        expect(keys.range(undefined, b)).toEqual(sorted.filter((x) => x <= b));
      }
    }
    expect(new SortedKeys(['b', 'a', 'c']).range('a\u0000', 'c')).toEqual(['b', 'c']);
  });

  it('keeps a working table ordered while inserts interleave with range reads', () => {
    const rand = seededRandom(5);
    const t = new WorkingTable<number>();
    const model = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const k = `${Math.floor(rand() * 2000)}`.padStart(4, '0');
      if (rand() < 0.7) {
        t.set(k, i);
        model.set(k, i);
      } else {
        t.delete(k);
        model.delete(k);
      }
      if (i % 50 === 0) expect(t.keysInRange('0500', '1500')).toEqual([...model.keys()].filter((x) => x >= '0500' && x <= '1500').sort());
    }
  });
});
