/**
 * {@link GroupConsumer} over a kafkajs consumer (eachBatch, autoCommit off,
 * rivulet's range assigner).
 *
 * kafkajs runs the group protocol in its own loop, so this class turns its
 * instrumentation events into the poll-driven contract:
 *
 * - REBALANCING (kafkajs saw the group rebalance and is rejoining): the next
 *   `poll` calls `onPartitionsRevoked` at once and returns `[]` until the join
 *   completes. kafkajs rejoins without waiting for the callback, so this is
 *   *not* "before the partitions move": another member may already fetch them,
 *   and a commit made in the callback can fail with COMMIT_FAILED (or land after
 *   the new owner read the older offset, giving at-least-once duplicates). The
 *   embedded broker does not have this gap.
 * - GROUP_JOIN: the next `poll` (once a heartbeat has revealed the generation,
 *   which kafkajs does not report otherwise) revokes what is still held, sets
 *   every new partition's position from the group's committed offset (or the
 *   reset policy) — read after the revoke callback, so its commits count, and
 *   under read_committed only once stable (no open transaction holds newer
 *   offsets; until then `poll` returns `[]`) — and calls `onPartitionsAssigned`. A new member id means the member had been
 *   evicted: `onPartitionsLost` instead of revoked.
 * - The subscription is fixed per kafkajs consumer, so `subscribe` with other
 *   topics replaces the kafkajs consumer (leaving and rejoining the group).
 *   Topics that do not exist yet are re-checked every second and joined once
 *   they do.
 * - kafkajs heartbeats from its own loop, so a member that stops calling `poll`
 *   stays in the group (there is no max.poll.interval).
 * @module
 */
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import { SinglePoll } from '../single-poll.js';
import type {
  ConsumerGenerationInfo,
  ConsumerRecord,
  GroupAssignor,
  GroupConsumer,
  IsolationLevel,
  PollOptions,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { checkOffset, checkPollOptions, checkTopics, checkTopicPartition, invalid, tpKey } from '../validate.js';
import { decodeMemberAssignment, rivuletAssigner } from './kafkajs-assigner.js';
import type { KafkaJsContext } from './kafkajs-context.js';
import { toTransportError } from './kafkajs-errors.js';
import { FetchSession } from './kafkajs-fetch-session.js';

export interface KafkaJsConsumerConfig {
  readonly groupId: string;
  readonly clientId: string;
  readonly isolation: IsolationLevel;
  readonly sessionTimeoutMs: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly assignor?: GroupAssignor;
}

interface Join {
  readonly seq: number;
  readonly memberId: string;
  readonly assignment: TopicPartition[];
  readonly receivedAt: number;
}

const TOPIC_RECHECK_MS = 1000;
const IDLE_SLICE_MS = 100;
/** Pause between stable-offset fetches while a predecessor's transaction is open. */
const UNSTABLE_RETRY_MS = 50;
/**
 * How long a join waits for the group description to show its assignment
 * userData; then the assignment is taken without it (`assignmentUserData()`
 * undefined) rather than holding the partitions back.
 */
const USER_DATA_WAIT_MS = 5_000;

export class KafkaJsGroupConsumer implements GroupConsumer {
  #consumer: KafkaJsConsumer | undefined;
  readonly #session = new FetchSession(() => this.#consumer);
  #topics: string[] = [];
  #joined: string[] = [];
  #listener: RebalanceListener = {};
  #resubscribe = false;
  #topicsCheckedAt = 0;
  #runError: unknown;

  #joinSeq = 0;
  #latestJoin: Join | undefined;
  #handledSeq = 0;
  #heartbeat: { memberId: string; generationId: number; afterSeq: number } | undefined;
  #rebalancing = false;

  #assignment: TopicPartition[] = [];
  #assignmentUserData: Uint8Array | undefined;
  #memberId: string | undefined;
  #generation: ConsumerGenerationInfo | undefined;

  readonly #polling = new SinglePoll();
  #closing = false;
  #closed = false;

  constructor(
    private readonly ctx: KafkaJsContext,
    private readonly config: KafkaJsConsumerConfig,
    private readonly onClose: (c: KafkaJsGroupConsumer) => void,
  ) {}

  async subscribe(topics: readonly string[], listener: RebalanceListener = {}): Promise<void> {
    const api = 'GroupConsumer.subscribe';
    this.#usable(api);
    this.#topics = checkTopics(api, topics);
    this.#listener = listener;
    this.#resubscribe = true;
  }

  async poll(options?: PollOptions): Promise<ConsumerRecord[]> {
    const api = 'GroupConsumer.poll';
    this.#usable(api);
    return this.#polling.run(api, () => {
      const { maxRecords, timeoutMs } = checkPollOptions(api, options);
      return this.#poll(api, maxRecords, Date.now() + timeoutMs);
    });
  }

  async #poll(api: string, maxRecords: number, deadline: number): Promise<ConsumerRecord[]> {
    for (;;) {
      if (this.#closing) return [];
      if (this.#runError !== undefined) {
        const e = this.#runError;
        this.#runError = undefined;
        throw toTransportError(api, e);
      }
      await this.#maybeResubscribe();
      if (this.#rebalancing && this.#assignment.length > 0) await this.#revoke(false);
      const join = this.#latestJoin;
      if (join !== undefined && join.seq > this.#handledSeq && this.#heartbeat !== undefined && this.#heartbeat.afterSeq >= join.seq) {
        if (await this.#handleJoin(join, this.#heartbeat.generationId)) continue;
        // A predecessor's transaction still holds offsets of a new partition: ask again shortly.
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await new Promise((r) => setTimeout(r, Math.min(left, UNSTABLE_RETRY_MS)));
        continue;
      }
      const records = this.#handledSeq === this.#joinSeq && !this.#rebalancing ? this.#session.drain(maxRecords) : [];
      if (records.length > 0) return records;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.#session.wait(Math.min(left, IDLE_SLICE_MS));
    }
  }

  /** Starts (or restarts) the kafkajs consumer when the subscription or the set of existing topics changed. */
  async #maybeResubscribe(): Promise<void> {
    const missing = this.#joined.length < this.#topics.length;
    if (!this.#resubscribe && !(missing && Date.now() - this.#topicsCheckedAt >= TOPIC_RECHECK_MS)) return;
    this.#topicsCheckedAt = Date.now();
    const existing: string[] = [];
    for (const t of this.#topics) if ((await this.ctx.tryPartitionCount(t)) !== undefined) existing.push(t);
    if (!this.#resubscribe && existing.length === this.#joined.length) return;
    this.#resubscribe = false;
    if (this.#assignment.length > 0) await this.#revoke(false);
    await this.#stopKafkaConsumer();
    this.#joined = existing;
    if (existing.length > 0) await this.#startKafkaConsumer(existing);
  }

  async #startKafkaConsumer(topics: string[]): Promise<void> {
    const { kafka } = this.ctx;
    const session = this.config.sessionTimeoutMs;
    const consumer = kafka.consumer({
      groupId: this.config.groupId,
      partitionAssigners: [rivuletAssigner(this.config.assignor)],
      sessionTimeout: session,
      rebalanceTimeout: Math.max(session, 10_000),
      heartbeatInterval: Math.max(100, Math.min(500, Math.floor(session / 3))),
      maxWaitTimeInMs: 200,
      readUncommitted: this.config.isolation === 'read_uncommitted',
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100 },
    });
    const { GROUP_JOIN, HEARTBEAT, REBALANCING, CRASH, START_BATCH_PROCESS } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      if (this.#consumer !== consumer) return;
      const assignment: TopicPartition[] = [];
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) assignment.push({ topic, partition });
      }
      assignment.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
      this.#latestJoin = { seq: ++this.#joinSeq, memberId: payload.memberId, assignment, receivedAt: Date.now() };
      this.#rebalancing = false;
      this.#session.signal();
    });
    consumer.on(HEARTBEAT, ({ payload }) => {
      if (this.#consumer !== consumer) return;
      this.#heartbeat = { memberId: payload.memberId, generationId: payload.groupGenerationId, afterSeq: this.#joinSeq };
      this.#session.signal();
    });
    consumer.on(REBALANCING, () => {
      if (this.#consumer !== consumer) return;
      this.#rebalancing = true;
      this.#session.signal();
    });
    consumer.on(CRASH, ({ payload }) => {
      if (this.#consumer !== consumer || payload.restart) return;
      this.#runError = payload.error;
      this.#session.signal();
    });
    consumer.on(START_BATCH_PROCESS, ({ payload }) => {
      if (this.#consumer === consumer) this.#session.onBatchStart(payload as never);
    });
    this.#consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: this.config.autoOffsetReset === 'earliest' });
    } catch (e) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw toTransportError('GroupConsumer.poll', e);
    }
    // run() resolves after the first join, which waits for the other members: never await it in poll.
    consumer
      .run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: this.#session.eachBatch })
      .catch((e: unknown) => {
        if (this.#consumer === consumer) {
          this.#runError = e;
          this.#session.signal();
        }
      });
  }

  async #stopKafkaConsumer(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#session.clear();
    this.#latestJoin = undefined;
    this.#heartbeat = undefined;
    this.#rebalancing = false;
    this.#handledSeq = this.#joinSeq;
    this.#memberId = undefined;
    this.#generation = undefined;
    if (consumer !== undefined) await consumer.disconnect().catch(() => undefined);
  }

  async #revoke(lost: boolean): Promise<void> {
    const revoked = this.#assignment;
    this.#assignment = [];
    this.#assignmentUserData = undefined;
    this.#generation = undefined;
    this.#session.clear();
    if (revoked.length === 0) return;
    const callback = lost ? (this.#listener.onPartitionsLost ?? this.#listener.onPartitionsRevoked) : this.#listener.onPartitionsRevoked;
    await callback?.call(this.#listener, revoked);
  }

  /** Takes up a join's assignment; `false` while a new partition's committed offset is not stable yet. */
  async #handleJoin(join: Join, generationId: number): Promise<boolean> {
    const lost = this.#memberId !== undefined && this.#memberId !== join.memberId;
    await this.#revoke(lost);
    // Positions: committed offsets read *after* the revoke callback, else the reset policy.
    // Under read_committed they must be stable (KIP-447): offsets still inside another
    // member's open transaction would start this one before what that transaction commits.
    const positions = new Map<string, number>();
    // End offsets as of the join, so lag is known before the first fetch response.
    const ends = new Map<string, number>();
    const topics = [...new Set(join.assignment.map((tp) => tp.topic))];
    for (const topic of topics) {
      const partitions = join.assignment.filter((a) => a.topic === topic).map((a) => a.partition);
      const committed =
        this.config.isolation === 'read_committed'
          ? await this.ctx.stableCommittedOffsets('GroupConsumer.poll', this.config.groupId, topic, partitions)
          : await this.ctx.committedOffsets(this.config.groupId, topic);
      if (committed.some((c) => 'unstable' in c && c.unstable)) return false;
      const reset = await this.ctx.listOffsetsWith('GroupConsumer.poll', topic, this.config.isolation);
      for (const tp of join.assignment.filter((a) => a.topic === topic)) {
        const c = committed.find((o) => o.partition === tp.partition)?.offset ?? null;
        const r = reset.find((o) => o.partition === tp.partition);
        const fallback = this.config.autoOffsetReset === 'earliest' ? (r?.earliest ?? 0) : (r?.latest ?? 0);
        positions.set(tpKey(tp.topic, tp.partition), c ?? fallback);
        if (r !== undefined) ends.set(tpKey(tp.topic, tp.partition), r.latest);
      }
    }
    const userData = await this.#assignmentUserDataOf(join);
    if (this.#latestJoin?.seq !== join.seq) return true; // another rebalance started meanwhile: handle that one
    if (userData === 'retry') return false;
    this.#handledSeq = join.seq;
    this.#assignmentUserData = userData;
    this.#memberId = join.memberId;
    this.#generation = { groupId: this.config.groupId, memberId: join.memberId, generationId };
    for (const tp of join.assignment) {
      const key = tpKey(tp.topic, tp.partition);
      this.#session.add(tp, positions.get(key) ?? 0, ends.get(key));
    }
    this.#assignment = join.assignment;
    await this.#listener.onPartitionsAssigned?.call(this.#listener, [...join.assignment]);
    return true;
  }

  /**
   * The join's assignment userData. kafkajs drops it on the member side, so it is read from
   * the group description (DescribeGroups), accepted once that shows this member with the
   * join's partitions (the description has no generation: equal partitions are the check).
   */
  async #assignmentUserDataOf(join: Join): Promise<Uint8Array | undefined | 'retry'> {
    if (this.config.assignor === undefined) return undefined;
    const raw = await this.ctx.describeGroupMember('GroupConsumer.poll', this.config.groupId, join.memberId).catch(() => undefined);
    const decoded = raw === undefined ? undefined : decodeMemberAssignment(raw);
    const key = (tps: readonly TopicPartition[]) => tps.map((tp) => tpKey(tp.topic, tp.partition)).sort().join('\u0001');
    if (decoded !== undefined && key(decoded.partitions) === key(join.assignment)) return decoded.userData;
    return Date.now() - join.receivedAt < USER_DATA_WAIT_MS ? 'retry' : undefined;
  }

  assignmentUserData(): Uint8Array | undefined {
    return this.#assignmentUserData;
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const api = 'GroupConsumer.commit';
    this.#usable(api, true);
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
    }
    if (offsets.length === 0) return;
    const consumer = this.#consumer;
    if (consumer === undefined || this.#memberId === undefined) {
      throw transportError(TransportErrorCode.COMMIT_FAILED, `${api}: the consumer is not a member of group '${this.config.groupId}'; poll until partitions are assigned`);
    }
    try {
      await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: String(o.offset) })));
    } catch (e) {
      throw toTransportError(api, e, TransportErrorCode.COMMIT_FAILED);
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.#usable('GroupConsumer.pause');
    const states = partitions.map((tp) => this.#session.require('GroupConsumer.pause', tp));
    for (const s of states) this.#session.pause(s);
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.#usable('GroupConsumer.resume');
    const states = partitions.map((tp) => this.#session.require('GroupConsumer.resume', tp));
    for (const s of states) this.#session.resume(s);
  }

  paused(): TopicPartition[] {
    return [...this.#session.states.values()].filter((s) => s.userPaused).map((s) => ({ topic: s.tp.topic, partition: s.tp.partition }));
  }

  seek(partition: TopicPartition, offset: number): void {
    const api = 'GroupConsumer.seek';
    this.#usable(api);
    checkOffset(api, 'offset', offset);
    this.#session.seek(this.#session.require(api, partition), offset);
  }

  position(partition: TopicPartition): number | undefined {
    return this.#session.states.get(tpKey(partition.topic, partition.partition))?.position;
  }

  currentLag(partition: TopicPartition): number | undefined {
    const state = this.#session.states.get(tpKey(partition.topic, partition.partition));
    return state === undefined ? undefined : this.#session.lag(state);
  }

  assignment(): TopicPartition[] {
    return this.#assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  }

  generation(): ConsumerGenerationInfo | undefined {
    return this.#generation;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#session.signal();
    await this.#polling.idle();
    try {
      if (this.#assignment.length > 0) await this.#revoke(false);
    } finally {
      this.#closed = true;
      this.onClose(this);
      await this.#stopKafkaConsumer();
    }
  }

  #usable(api: string, allowClosing = false): void {
    if (this.#closed || (this.#closing && !allowClosing)) throw transportError(TransportErrorCode.CLOSED, `${api}: the consumer is closed; create a new one`);
  }
}
