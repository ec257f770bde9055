import type { GroupAssignor, GroupMemberAssignment, TopicPartition } from './transport.js';

/** A group member as the assignor sees it. */
export interface AssignorMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/**
 * Kafka's range assignor: per topic, the members subscribed to it (sorted by
 * member id) get contiguous partition ranges, the first `partitions % members`
 * one extra partition each.
 *
 * Chosen over round-robin because it co-partitions: topics with the same
 * partition count subscribed by the same members are split identically, so
 * partition p of every input topic of a sub-topology lands on the same member,
 * which a stream-stream or stream-table join needs. Pure and deterministic, so
 * the kafkajs transport can reuse it as a custom `PartitionAssigner`.
 *
 * @param partitionCount partitions of a topic, or `undefined` if it does not exist (it is skipped)
 * @returns every member id mapped to its partitions, ordered by topic then partition
 */
export function rangeAssign(
  members: readonly AssignorMember[],
  partitionCount: (topic: string) => number | undefined,
): Map<string, TopicPartition[]> {
  const result = new Map<string, TopicPartition[]>();
  const byTopic = new Map<string, string[]>();
  for (const m of members) {
    result.set(m.memberId, []);
    for (const topic of new Set(m.topics)) {
      const list = byTopic.get(topic);
      if (list) list.push(m.memberId);
      else byTopic.set(topic, [m.memberId]);
    }
  }
  for (const topic of [...byTopic.keys()].sort()) {
    const n = partitionCount(topic);
    if (n === undefined || n <= 0) continue;
    const ids = byTopic.get(topic)!.sort();
    const base = Math.floor(n / ids.length);
    const extra = n % ids.length;
    let next = 0;
    ids.forEach((id, i) => {
      const take = base + (i < extra ? 1 : 0);
      const owned = result.get(id)!;
      for (let p = next; p < next + take; p++) owned.push({ topic, partition: p });
      next += take;
    });
  }
  return result;
}

/** {@link rangeAssign} as a {@link GroupAssignor} without userData: every consumer's default. */
export const rangeAssignor: GroupAssignor = {
  assign(members, partitionCount) {
    const out = new Map<string, GroupMemberAssignment>();
    for (const [id, partitions] of rangeAssign(members, partitionCount)) out.set(id, { partitions });
    return out;
  },
};
