/**
 * The one interface the runtime talks to for everything broker-related: topics,
 * producing (plain, idempotent, transactional), consuming in a group, committing,
 * and reading partitions directly for restores.
 *
 * It is Kafka-shaped and poll-based on purpose: the runtime's loop is Kafka
 * Streams' loop (poll → process → commit), and the same contract is implemented
 * by the in-process `EmbeddedBroker` and by a kafkajs 2.2 client against
 * real Apache Kafka. `describeTransport` (test/support/transport-contract.ts)
 * checks both against the guarantees written here.
 *
 * Conventions:
 * - Offsets are JS numbers (safe up to 2^53); a committed offset is the *next*
 *   offset to read, as in Kafka.
 * - Offsets are not dense: transaction markers occupy offsets and compaction
 *   removes records, so never compute "the last record" as `latest - 1`.
 * - Every failure is a `TransportError` whose `code` is one of
 *   `TransportErrorCode` (transport-error-codes.ts) and whose `retriable` flag says whether the same
 *   call may succeed later.
 *
 * @module
 */

/**
 * What a consumer may see. `read_uncommitted` sees every record up to the high
 * watermark, including records of open and aborted transactions.
 * `read_committed` stops at the last stable offset (the first offset of the
 * oldest open transaction) and never returns records of aborted transactions.
 */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A position in a partition: for commits, seeks and assigns, the next offset to read. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** Record headers; one value per name (Kafka allows repeats; rivulet does not use them). */
export type RecordHeaders = Readonly<Record<string, Uint8Array>>;

/**
 * A record as read from a partition. Treat it as immutable: the embedded broker
 * hands the same object (and the same byte arrays the producer gave it) to every
 * reader.
 */
export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  /** `null` is a tombstone on compacted topics. */
  readonly value: Uint8Array | null;
  /** Milliseconds since the epoch (producer create time). */
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/**
 * A record to send. Without `partition`, keyed records go to
 * `toPositive(murmur2(key)) % partitions` exactly like the Java client and
 * kafkajs's DefaultPartitioner, so rivulet and other clients co-partition;
 * keyless records are spread round-robin.
 *
 * The broker may keep references to `key`, `value` and header arrays: do not
 * mutate them after `send` resolves.
 */
export interface ProducerRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly key?: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Defaults to the time of `send`. */
  readonly timestamp?: number;
  readonly headers?: RecordHeaders;
}

/** Where a sent record landed. */
export interface RecordMetadata extends TopicPartitionOffset {
  readonly timestamp: number;
}

/** A topic to create. */
export interface NewTopic {
  readonly topic: string;
  readonly partitions: number;
  /**
   * Kafka topic configs. The embedded broker acts on `cleanup.policy`
   * (`compact` enables compaction), `delete.retention.ms` (how long a
   * tombstone survives once compaction has seen it; default 86 400 000 as in
   * Kafka) and `retention.ms` (by append time; unlimited unless given), and
   * stores the rest.
   */
  readonly config?: Readonly<Record<string, string>>;
}

/** Offsets of one partition. */
export interface PartitionOffsets {
  readonly partition: number;
  /** Log start offset: the first offset that may still exist. */
  readonly earliest: number;
  /** High watermark, or with `read_committed` the last stable offset. */
  readonly latest: number;
}

/** A group's committed offset for one partition; `null` when it never committed one. */
export interface CommittedOffset {
  readonly partition: number;
  readonly offset: number | null;
}

/** Options of {@link Transport.listOffsets}. */
export interface ListOffsetsOptions {
  /** Default `read_uncommitted` (high watermark). */
  readonly isolation?: IsolationLevel;
}

/** Options of {@link Transport.producer}. */
export interface ProducerOptions {
  /**
   * Makes the producer transactional (and idempotent). Opening a producer fences
   * every earlier producer with the same id and aborts its open transaction.
   */
  readonly transactionalId?: string;
  /** Exactly-once per partition against retries. Implied by `transactionalId`. */
  readonly idempotent?: boolean;
  /**
   * An open transaction older than this is aborted by the broker and its
   * producer fenced, so a crashed instance cannot block read_committed readers
   * forever. Default 60 000 (Kafka's `transaction.timeout.ms`).
   */
  readonly transactionTimeoutMs?: number;
  /**
   * Whether `commitTransaction` resolves only once the outcome is visible to
   * `read_committed` readers and to `committedOffsets` (default `true`), or as
   * soon as the broker has decided it, as Kafka's own producer does (`false`):
   * the markers that make it visible follow within milliseconds, and a newer
   * owner's stable offset fetch waits for them. The stream thread passes
   * `false`, so its commits do not idle for the markers.
   */
  readonly awaitVisibleCommit?: boolean;
  readonly clientId?: string;
}

/** Options of {@link Transport.consumer}. */
export interface ConsumerOptions {
  readonly groupId: string;
  readonly clientId?: string;
  /** Default `read_uncommitted`; exactly-once pipelines use `read_committed`. */
  readonly isolation?: IsolationLevel;
  /**
   * A member whose heartbeats stop for this long (its process died or hangs) is
   * removed from the group and its partitions reassigned (Kafka's
   * `session.timeout.ms`). Default 30 000. A live member that stops calling
   * `poll`: on @platformatic/kafka it stops heartbeating after 300 s (Kafka's
   * default `max.poll.interval.ms`); on kafkajs it keeps heartbeating; on the
   * embedded broker, which has no heartbeats, it is removed after this timeout.
   */
  readonly sessionTimeoutMs?: number;
  /** Where to start a partition without a committed (or a valid) offset. Default `earliest`. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /**
   * Splits the partitions among the members (Kafka's `ConsumerPartitionAssignor`),
   * with per-member subscription and assignment userData. Default: the range
   * assignor without userData. Every member of a group must use compatible
   * assignors: whichever member leads the rebalance runs its own for everyone.
   */
  readonly assignor?: GroupAssignor;
}

/** A member of a rebalance as the leader's {@link GroupAssignor} sees it (Kafka's `Subscription`). */
export interface GroupSubscription {
  readonly memberId: string;
  readonly topics: readonly string[];
  /** What the member's {@link GroupAssignor.subscriptionUserData} returned when it joined this rebalance. */
  readonly userData?: Uint8Array;
}

/** What one member receives from a rebalance (Kafka's `Assignment`). */
export interface GroupMemberAssignment {
  readonly partitions: readonly TopicPartition[];
  /** Delivered to that member as {@link GroupConsumer.assignmentUserData}. */
  readonly userData?: Uint8Array;
}

/**
 * A pluggable assignor (Kafka's `ConsumerPartitionAssignor`). `subscriptionUserData`
 * runs on every member each time it joins a rebalance (after its
 * `onPartitionsRevoked`), so it may describe the member's current state;
 * `assign` runs on the one member that leads the rebalance, for all members.
 * Both are synchronous and must not throw; userData is opaque bytes (keep it
 * small: Kafka carries it in the JoinGroup/SyncGroup requests).
 */
export interface GroupAssignor {
  subscriptionUserData?(): Uint8Array;
  /**
   * @param partitionCount partitions of a topic, or `undefined` if it does not exist
   * @returns an entry per member id; a member without one gets no partitions
   */
  assign(members: readonly GroupSubscription[], partitionCount: (topic: string) => number | undefined): Map<string, GroupMemberAssignment>;
}

/** Options of {@link Transport.reader}. */
export interface ReaderOptions {
  /** Default `read_uncommitted`. Restores of exactly-once changelogs use `read_committed`. */
  readonly isolation?: IsolationLevel;
  readonly clientId?: string;
}

/** Options of `poll`. */
export interface PollOptions {
  /** Most records returned by one call. Default 500 (Kafka's `max.poll.records`). */
  readonly maxRecords?: number;
  /**
   * How long to wait when nothing is readable. The call returns as soon as
   * records arrive; `0` returns what is there without waiting. Default 0.
   */
  readonly timeoutMs?: number;
}

/**
 * Group membership generation, passed to {@link Producer.sendOffsets} so the
 * broker can reject offsets from a member the group has already moved past
 * (Kafka's `ConsumerGroupMetadata`, KIP-447).
 */
export interface ConsumerGenerationInfo {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
}

/**
 * Rebalance callbacks. They run inside `poll` (never concurrently with it) and
 * are awaited, so work done in them — committing, flushing, closing stores —
 * finishes before the partitions move. The protocol is eager: on every
 * rebalance a member gives up all its partitions, then receives a new set.
 */
export interface RebalanceListener {
  /**
   * The member is about to give up these partitions (non-empty). Commits made
   * here still succeed. Also called by `close()`.
   */
  onPartitionsRevoked?(partitions: readonly TopicPartition[]): void | Promise<void>;
  /**
   * After every rebalance the member took part in, possibly with an empty list.
   * Positions are already set from committed offsets (or the reset policy);
   * `seek` here overrides them.
   */
  onPartitionsAssigned?(partitions: readonly TopicPartition[]): void | Promise<void>;
  /**
   * The member was removed from the group (it did not poll within its session
   * timeout) and the partitions may already belong to another member: commits
   * for them fail with `RIVULET_TRANSPORT_COMMIT_FAILED`. Defaults to
   * `onPartitionsRevoked`. The member then rejoins on its own.
   */
  onPartitionsLost?(partitions: readonly TopicPartition[]): void | Promise<void>;
}

/**
 * A connection to a broker (or cluster). Create clients from it; `close()`
 * closes every client it created.
 */
export interface Transport {
  /** Idempotent. Every other call requires it (`RIVULET_TRANSPORT_NOT_CONNECTED`). */
  connect(): Promise<void>;
  /** Closes all producers (aborting open transactions), consumers (leaving their groups) and readers. */
  close(): Promise<void>;
  /**
   * Identifies the log this transport reads: Kafka's cluster id, which survives
   * broker restarts, or for an in-memory embedded broker an id new with every
   * broker. Local state built from one log is never reused against another.
   */
  clusterId(): Promise<string>;

  /**
   * Creates the topics that do not exist yet. Idempotent: an existing topic
   * keeps its partitions and config, whatever is requested.
   */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Deletes topics; missing ones are ignored. */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Number of partitions, or `undefined` if the topic does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /** Earliest and latest offset of every partition, ordered by partition. */
  listOffsets(topic: string, options?: ListOffsetsOptions): Promise<PartitionOffsets[]>;
  /**
   * Drops records before the given offsets (Kafka's DeleteRecords); used to
   * purge repartition topics once their records are committed downstream.
   * An offset above the high watermark fails with `RIVULET_TRANSPORT_OFFSET_OUT_OF_RANGE`.
   */
  deleteRecords(topic: string, offsets: readonly { readonly partition: number; readonly offset: number }[]): Promise<void>;
  /** A group's committed offsets for every partition of `topic`, ordered by partition. */
  committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]>;

  /** A connected producer; with a `transactionalId` it has already fenced older producers of that id. */
  producer(options?: ProducerOptions): Promise<Producer>;
  /** A connected group consumer; it joins the group on its first `poll` after `subscribe`. */
  consumer(options: ConsumerOptions): Promise<GroupConsumer>;
  /** A connected group-less reader for restoring changelogs and global tables. */
  reader(options?: ReaderOptions): Promise<Reader>;
}

/**
 * Sends records. A transactional producer sends only inside a transaction:
 * `beginTransaction` → `send`* → `sendOffsets`? → `commitTransaction` |
 * `abortTransaction`.
 *
 * Guarantees:
 * - records of one `send` to one partition are appended in order, contiguously
 *   unless other producers interleave;
 * - transactional records are invisible to `read_committed` readers until the
 *   commit, and never visible to them after an abort (they stay visible to
 *   `read_uncommitted` readers, as in Kafka);
 * - offsets given to `sendOffsets` become the group's committed offsets
 *   atomically with the transaction's records, or not at all;
 * - once a newer producer with the same `transactionalId` has opened, every
 *   call except `close` throws `RIVULET_TRANSPORT_FENCED` (not retriable): the
 *   instance is a zombie and must drop its tasks.
 */
export interface Producer {
  readonly transactional: boolean;
  /** Resolves when every record is appended; metadata is in input order. */
  send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]>;
  beginTransaction(): Promise<void>;
  /**
   * Adds consumed offsets (next offset to read) to the open transaction. With
   * `consumerGenerationInfo` the broker rejects offsets from a stale group
   * generation (`RIVULET_TRANSPORT_COMMIT_FAILED`).
   */
  sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    consumerGenerationInfo?: ConsumerGenerationInfo,
  ): Promise<void>;
  commitTransaction(): Promise<void>;
  abortTransaction(): Promise<void>;
  /** Aborts an open transaction, then closes. Idempotent. */
  close(): Promise<void>;
}

/**
 * A member of a consumer group. Not re-entrant: one `poll` at a time.
 *
 * `poll` is also what keeps the member alive and runs rebalances: joining,
 * revoking, waiting for the other members, and assigning all happen inside it,
 * with the listener's callbacks awaited in between. While a rebalance waits for
 * other members, `poll` returns `[]` when its timeout expires and continues on
 * the next call.
 */
export interface GroupConsumer {
  /** Replaces the subscription; takes effect (join/rebalance) on the next `poll`. Topics may not exist yet. */
  subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void>;
  /** Records of assigned, unpaused partitions, in offset order per partition. */
  poll(options?: PollOptions): Promise<ConsumerRecord[]>;
  /**
   * Commits the next offsets to read. Fails with
   * `RIVULET_TRANSPORT_COMMIT_FAILED` when the group has moved to a generation
   * this member is not part of (its partitions may belong to someone else).
   */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops returning records of these assigned partitions until resumed. Pauses are forgotten on revocation. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /** Moves an assigned partition's position; the next `poll` reads from `offset`. */
  seek(partition: TopicPartition, offset: number): void;
  /** The next offset `poll` will return for an assigned partition. */
  position(partition: TopicPartition): number | undefined;
  /**
   * How many offsets of an assigned partition are on the broker but not yet
   * returned by `poll`: the end offset (high watermark, or the last stable offset
   * under `read_committed`) as of the latest fetch, minus the position (Kafka's
   * `Consumer.currentLag`). 0 means caught up; `undefined` when not known (not
   * assigned, or not fetched yet).
   */
  currentLag(partition: TopicPartition): number | undefined;
  /** Currently owned partitions; empty while a rebalance is in progress. */
  assignment(): TopicPartition[];
  /** The generation of the current assignment, for {@link Producer.sendOffsets}; undefined while not a member. */
  generation(): ConsumerGenerationInfo | undefined;
  /**
   * The userData the leader's {@link GroupAssignor} gave this member with the
   * current assignment; `undefined` without one, while a rebalance is in
   * progress, or when the transport could not obtain it. Set before
   * `onPartitionsAssigned` runs.
   */
  assignmentUserData(): Uint8Array | undefined;
  /**
   * Interrupts a waiting `poll`, calls `onPartitionsRevoked` for the current
   * assignment, and leaves the group so the others rebalance on their next poll.
   * Not from inside a rebalance callback: it waits for the running `poll`.
   */
  close(): Promise<void>;
}

/**
 * Reads assigned partitions from explicit offsets, without a group and without
 * commits. Not re-entrant.
 */
export interface Reader {
  /** Replaces the assignment. */
  assign(partitions: readonly TopicPartitionOffset[]): void;
  /**
   * Records of assigned partitions in offset order per partition. A position
   * outside [earliest, high watermark] fails with
   * `RIVULET_TRANSPORT_OFFSET_OUT_OF_RANGE` (a checkpoint ahead of the log means
   * the local state is not from this log). Positions also advance over
   * transaction markers and aborted records, so `position >= latest` (from
   * `listOffsets` with the same isolation) means the partition was read to its end.
   */
  poll(options?: PollOptions): Promise<ConsumerRecord[]>;
  seek(partition: TopicPartition, offset: number): void;
  position(partition: TopicPartition): number | undefined;
  assignment(): TopicPartition[];
  close(): Promise<void>;
}
