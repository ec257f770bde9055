/**
 * Kafka's default partitioner. Keyed records must land where the Java client
 * and kafkajs's `DefaultPartitioner` put them, or joins between topics written
 * by different clients would not be co-partitioned: partition =
 * `toPositive(murmur2(keyBytes)) % numPartitions`, with murmur2 as in
 * `org.apache.kafka.common.utils.Utils.murmur2` (seed 0x9747b28c).
 * @module
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/**
 * 32-bit murmur2 of `data`, as a signed int exactly like the Java client's
 * `Utils.murmur2`. `Math.imul` gives Java's wrapping int multiplication.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a keyed record. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * Picks partitions for records without an explicit partition: murmur2 for keyed
 * records, round-robin per topic for keyless ones (the per-topic counter keeps
 * one hot topic from skewing another's spread).
 */
export class DefaultPartitioner {
  readonly #counters = new Map<string, number>();

  partition(topic: string, key: Uint8Array | null | undefined, numPartitions: number): number {
    if (key !== null && key !== undefined) return partitionForKey(key, numPartitions);
    const next = this.#counters.get(topic) ?? 0;
    this.#counters.set(topic, (next + 1) & 0x7fffffff);
    return next % numPartitions;
  }
}
