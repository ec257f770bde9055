import { describe, expect, it } from 'vitest';
import { rangeAssign } from '../../../src/transport/assignor.js';

const counts: Record<string, number> = { a: 5, b: 5, c: 1 };
const partitionCount = (t: string): number | undefined => counts[t];
const names = (m: Map<string, { topic: string; partition: number }[]>) =>
  Object.fromEntries([...m].map(([id, tps]) => [id, tps.map((tp) => `${tp.topic}${tp.partition}`)]));

describe('rangeAssign', () => {
  it('gives members sorted by id contiguous ranges, extras to the first', () => {
    const result = rangeAssign(
      [
        { memberId: 'm2', topics: ['a'] },
        { memberId: 'm1', topics: ['a'] },
      ],
      partitionCount,
    );
    expect(names(result)).toEqual({ m2: ['a3', 'a4'], m1: ['a0', 'a1', 'a2'] });
  });

  it('splits topics with equal partition counts identically (co-partitioning)', () => {
    const members = ['x', 'y', 'z'].map((memberId) => ({ memberId, topics: ['a', 'b'] }));
    const result = rangeAssign(members, partitionCount);
    for (const tps of result.values()) {
      const a = tps.filter((tp) => tp.topic === 'a').map((tp) => tp.partition);
      const b = tps.filter((tp) => tp.topic === 'b').map((tp) => tp.partition);
      expect(a).toEqual(b);
    }
    expect(names(result)).toEqual({ x: ['a0', 'a1', 'b0', 'b1'], y: ['a2', 'a3', 'b2', 'b3'], z: ['a4', 'b4'] });
  });

  it('assigns a topic only among its subscribers, leaves members without partitions empty, skips missing topics', () => {
    const result = rangeAssign(
      [
        { memberId: 'p', topics: ['c', 'missing'] },
        { memberId: 'q', topics: ['c'] },
        { memberId: 'r', topics: ['a'] },
      ],
      partitionCount,
    );
    expect(names(result)).toEqual({ p: ['c0'], q: [], r: ['a0', 'a1', 'a2', 'a3', 'a4'] });
  });

  it('handles no members', () => {
    expect(rangeAssign([], partitionCount).size).toBe(0);
  });
});
