import type { Kafka, logLevel } from 'kafkajs';
import type { CommittedOffset, IsolationLevel, PartitionOffsets } from '../transport.js';
import type { FetchedOffset } from './kafkajs-kip447.js';

/** What the kafkajs clients need from the transport that created them. */
export interface KafkaJsContext {
  readonly kafka: Kafka;
  readonly clientId: string;
  readonly logLevel: logLevel;
  /**
   * Partitions of `topic` from cached metadata (refetched when `refresh` or not cached);
   * throws `RIVULET_TRANSPORT_UNKNOWN_TOPIC_OR_PARTITION` when the topic does not exist.
   */
  requirePartitionCount(topic: string, api: string, refresh?: boolean): Promise<number>;
  /** Partitions of `topic` from cached metadata, or `undefined` when not cached (no request: the hot path's check). */
  cachedPartitionCount(topic: string): number | undefined;
  /** Partitions of `topic`, or `undefined` if it does not exist (fresh metadata). */
  tryPartitionCount(topic: string): Promise<number | undefined>;
  listOffsetsWith(api: string, topic: string, isolation: IsolationLevel): Promise<PartitionOffsets[]>;
  committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]>;
  /** Committed offsets of `partitions`, each marked `unstable` while an open transaction holds newer ones (KIP-447). */
  stableCommittedOffsets(api: string, groupId: string, topic: string, partitions: readonly number[]): Promise<FetchedOffset[]>;
  /** A member's raw assignment from DescribeGroups while the group is Stable; `undefined` otherwise. */
  describeGroupMember(api: string, groupId: string, memberId: string): Promise<Buffer | undefined>;
}
