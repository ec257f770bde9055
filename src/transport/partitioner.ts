/**
 * Kafka's default partitioner. Keyed records must land where the Java client
 * and kafkajs's `DefaultPartitioner` put them, or joins between topics written
 * by different clients would not be co-partitioned: partition =
 * `toPositive(murmur2(keyBytes)) % numPartitions`, with murmur2 as in
 * `org.apache.kafka.common.utils.Utils.murmur2` (seed 0x9747b28c).
 * @module
 */

import { murmur2 } from '../util/murmur2.js';

export { murmur2 };

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
