import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { DefaultPartitioner, murmur2, partitionForKey, toPositive } from '../../../src/transport/partitioner.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('murmur2', () => {
  // Vectors from the Java client's UtilsTest.testMurmur2 (Apache Kafka clients).
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%j) = %i as in the Java client', (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected);
  });

  it('covers every tail length and the empty key', () => {
    // Empty input hashes only the seed; pinned so a refactor of the tail handling shows up.
    expect(murmur2(new Uint8Array(0))).toBe(murmur2(Buffer.alloc(0)));
    for (let n = 0; n <= 9; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => 0xf0 + i);
      expect(Number.isInteger(murmur2(bytes))).toBe(true);
    }
  });

  it('hashes a subarray by its own bytes, not the underlying buffer', () => {
    const whole = utf8('xxfoobaryy');
    expect(murmur2(whole.subarray(2, 8))).toBe(-790332482);
  });
});

describe('toPositive', () => {
  it('clears the sign bit like Kafka (not Math.abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});

describe('partitionForKey agrees with kafkajs DefaultPartitioner', () => {
  const kafkajs = Partitioners.DefaultPartitioner();
  const partitionMetadata = (n: number) =>
    Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

  it('10 000 random keys of 1..40 bytes over several partition counts', () => {
    const counts = [1, 2, 3, 7, 16, 101];
    const metas = counts.map(partitionMetadata);
    const mismatches: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const key = randomBytes(1 + (i % 40));
      counts.forEach((n, j) => {
        const expected = kafkajs({ topic: 't', partitionMetadata: metas[j]!, message: { key, value: null } });
        const actual = partitionForKey(key, n);
        if (actual !== expected) mismatches.push(`${key.toString('hex')} % ${n}: ${actual} != ${expected}`);
      });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('DefaultPartitioner', () => {
  it('uses the explicit key hash for keyed records', () => {
    const p = new DefaultPartitioner();
    expect(p.partition('t', utf8('foobar'), 7)).toBe(toPositive(-790332482) % 7);
  });

  it('spreads keyless records round-robin per topic', () => {
    const p = new DefaultPartitioner();
    const counts = [0, 0, 0];
    for (let i = 0; i < 30; i++) counts[p.partition('a', null, 3)]! += 1;
    expect(counts).toEqual([10, 10, 10]);
    // Another topic starts its own rotation.
    expect(p.partition('b', undefined, 3)).toBe(0);
  });
});
