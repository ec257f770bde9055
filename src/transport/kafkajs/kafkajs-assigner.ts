/**
 * rivulet's {@link rangeAssign} as a kafkajs `PartitionAssigner` (protocol
 * `RivuletRange`), so topics with equal partition counts are split identically
 * across members and a sub-topology's co-partitioned inputs stay together.
 * kafkajs's own round-robin assigner would scatter them.
 * @module
 */
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { rangeAssign } from '../assignor.js';

const { AssignerProtocol } = kafkajs;

/** Protocol name every rivulet member advertises; members must agree on it. */
export const RIVULET_ASSIGNER_NAME = 'RivuletRange';
const VERSION = 0;

export const rivuletRangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: RIVULET_ASSIGNER_NAME,
  version: VERSION,
  async assign({ members, topics }) {
    // The leader assigns for every member's subscription, not only its own.
    const subscriptions = members.map((m) => ({
      memberId: m.memberId,
      topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? topics,
    }));
    const all = [...new Set(subscriptions.flatMap((s) => s.topics))];
    await cluster.addMultipleTargetTopics(all);
    const partitionCount = (topic: string): number | undefined => {
      try {
        const n = cluster.findTopicPartitionMetadata(topic).length;
        return n > 0 ? n : undefined;
      } catch {
        return undefined;
      }
    };
    // A topic created moments ago may be missing from cached metadata; an
    // assignment without it would stand until the next rebalance.
    if (all.some((t) => partitionCount(t) === undefined)) await cluster.refreshMetadata();
    const assigned = rangeAssign(subscriptions, partitionCount);
    return subscriptions.map(({ memberId }) => {
      const assignment: Record<string, number[]> = {};
      for (const tp of assigned.get(memberId) ?? []) (assignment[tp.topic] ??= []).push(tp.partition);
      return {
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment, userData: Buffer.alloc(0) }),
      };
    });
  },
  protocol({ topics }) {
    return {
      name: RIVULET_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.alloc(0) }),
    };
  },
});
