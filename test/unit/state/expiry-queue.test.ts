import { describe, expect, it } from 'vitest';
import { ExpiryQueue } from '../../../src/state/expiry-queue.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

describe('ExpiryQueue', () => {
  it('hands out exactly the keys before the cutoff, oldest first', () => {
    const rand = seededRandom(7);
    const q = new ExpiryQueue();
    const all: [number, string][] = [];
    for (let i = 0; i < 500; i++) {
      const t = Math.floor(rand() * 1000);
      q.add(t, `k${i}`);
      all.push([t, `k${i}`]);
    }
    const popped: [number, string][] = [];
    for (const cutoff of [100, 100, 450, 1001]) {
      q.popBefore(cutoff, (k) => popped.push(all.find((e) => e[1] === k) as [number, string]));
      expect(popped.every(([t]) => t < cutoff)).toBe(true);
      expect(popped.length).toBe(all.filter(([t]) => t < cutoff).length);
    }
    const times = popped.map(([t]) => t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(q.size).toBe(0);
  });
});
