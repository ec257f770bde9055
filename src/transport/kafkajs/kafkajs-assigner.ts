/**
 * A {@link GroupAssignor} as a kafkajs `PartitionAssigner` (protocol
 * `RivuletRange`): subscription userData travels in the JoinGroup member
 * metadata, assignment userData in the SyncGroup member assignment (both
 * public fields of kafkajs's `AssignerProtocol`). The default is rivulet's
 * {@link rangeAssign}, so topics with equal partition counts are split
 * identically across members and a sub-topology's co-partitioned inputs stay
 * together; kafkajs's own round-robin assigner would scatter them.
 *
 * kafkajs hands a member only the partitions of its assignment, not the
 * userData: {@link decodeMemberAssignment} reads it from the group description
 * instead (see `KafkaJsGroupConsumer`).
 * @module
 */
import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { rangeAssignor } from '../assignor.js';
import type { GroupAssignor, TopicPartition } from '../transport.js';

const { AssignerProtocol } = kafkajs;

/** Protocol name every rivulet member advertises; members must agree on it. */
export const RIVULET_ASSIGNER_NAME = 'RivuletRange';
const VERSION = 0;

const toBuffer = (b: Uint8Array | undefined): Buffer => (b === undefined ? Buffer.alloc(0) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
/** kafkajs encodes "no userData" as zero bytes; rivulet reads those as none. */
const fromBuffer = (b: Buffer | null | undefined): Uint8Array | undefined => (b === null || b === undefined || b.length === 0 ? undefined : new Uint8Array(b));

/** A kafkajs assigner running `assignor` (default: range, without userData). */
export function rivuletAssigner(assignor: GroupAssignor = rangeAssignor): PartitionAssigner {
  return ({ cluster }) => ({
    name: RIVULET_ASSIGNER_NAME,
    version: VERSION,
    async assign({ members, topics }) {
      // The leader assigns for every member's subscription, not only its own.
      const subscriptions = members.map((m) => {
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        const userData = fromBuffer(meta?.userData);
        return { memberId: m.memberId, topics: meta?.topics ?? topics, ...(userData === undefined ? {} : { userData }) };
      });
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
      let assigned;
      try {
        assigned = assignor.assign(subscriptions, partitionCount);
      } catch {
        // A failing custom assignor must not wedge the group: every partition still gets an owner.
        assigned = rangeAssignor.assign(subscriptions, partitionCount);
      }
      return subscriptions.map(({ memberId }) => {
        const a = assigned.get(memberId);
        const assignment: Record<string, number[]> = {};
        for (const tp of a?.partitions ?? []) (assignment[tp.topic] ??= []).push(tp.partition);
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: VERSION, assignment, userData: toBuffer(a?.userData) }),
        };
      });
    },
    protocol({ topics }) {
      return {
        name: RIVULET_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: toBuffer(assignor.subscriptionUserData?.()) }),
      };
    },
  });
}

/** The default assigner (range, no userData). */
export const rivuletRangeAssigner: PartitionAssigner = rivuletAssigner();

/** A member assignment as the group description returns it: its partitions and userData. */
export function decodeMemberAssignment(raw: Buffer): { partitions: TopicPartition[]; userData: Uint8Array | undefined } | undefined {
  const decoded = AssignerProtocol.MemberAssignment.decode(raw);
  if (decoded === null) return undefined;
  const partitions: TopicPartition[] = [];
  for (const [topic, ps] of Object.entries(decoded.assignment)) for (const partition of ps) partitions.push({ topic, partition });
  return { partitions, userData: fromBuffer(decoded.userData) };
}
