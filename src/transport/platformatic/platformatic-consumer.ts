/**
 * {@link GroupConsumer} with Kafka's classic group protocol built on the
 * library's request API (JoinGroup v9, SyncGroup v5, Heartbeat v4, LeaveGroup
 * v5, OffsetFetch v8 with `requireStable`, OffsetCommit v8), so the contract's
 * poll-driven shape holds exactly:
 *
 * - eager rebalances run inside `poll`: `onPartitionsRevoked` is awaited
 *   *before* JoinGroup is sent (commits made in it still count, and no other
 *   member can own the partitions yet), `onPartitionsAssigned` after SyncGroup
 *   and after the positions are read;
 * - JoinGroup and SyncGroup run in the background while `poll` returns `[]` at
 *   its timeout, and continue on the next call;
 * - under read_committed a new partition starts only once its committed
 *   offset is stable (KIP-447): offsets an open transaction holds answer
 *   UNSTABLE_OFFSET_COMMIT, and the member waits;
 * - heartbeats run on a timer, but only while the member polls (a member that
 *   stops calling `poll` for the session timeout is evicted, as the contract says);
 * - the leader computes the assignment with a pluggable {@link GroupAssignor}
 *   (subscription userData in JoinGroup, assignment userData in SyncGroup).
 * @module
 */
import {
  heartbeatV4,
  joinGroupV9,
  leaveGroupV5,
  offsetCommitV8,
  offsetFetchV8,
  syncGroupV5,
  type ConnectionPool,
} from '@platformatic/kafka';
import type {
  ConsumerGenerationInfo,
  ConsumerRecord,
  GroupAssignor,
  GroupConsumer,
  IsolationLevel,
  PartitionOffsets,
  PollOptions,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { SinglePoll } from '../single-poll.js';
import { checkOffset, checkPollOptions, checkTopics, checkTopicPartition, invalid, tpKey } from '../validate.js';
import { ASSIGNMENT_PROTOCOL, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, planAssignment } from './platformatic-assignment.js';
import { CoordinatorType, sleep, withCoordinator, type PlatformaticCluster } from './platformatic-cluster.js';
import { hasKafkaError, toTransportError } from './platformatic-errors.js';
import { Fetcher } from './platformatic-fetcher.js';

/**
 * How long a rebalance waits for a live member to rejoin (Kafka's max.poll.interval.ms default).
 * A member rejoins after its rebalance listener returns, and that includes restoring state:
 * with the session timeout here, a restore longer than it (seconds on a short session timeout)
 * had the member removed, and the members took tasks from each other in turn without end.
 * A dead member still leaves at its session timeout.
 */
const REBALANCE_TIMEOUT_MS = 300_000;

/** What the consumer needs of its transport. */
export interface ConsumerContext {
  tryPartitionCount(topic: string): Promise<number | undefined>;
  listOffsetsWith(api: string, topic: string, isolation: IsolationLevel): Promise<PartitionOffsets[]>;
}

export interface PlatformaticConsumerConfig {
  readonly groupId: string;
  readonly clientId: string;
  readonly isolation: IsolationLevel;
  readonly sessionTimeoutMs: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly assignor: GroupAssignor;
  readonly onClose: (c: PlatformaticGroupConsumer) => void;
}

interface Joined {
  readonly memberId: string;
  readonly generationId: number;
  readonly assignment: TopicPartition[];
  readonly userData: Uint8Array | undefined;
  readonly positions: Map<string, number>;
  readonly ends: Map<string, number>;
}

const TOPIC_RECHECK_MS = 1000;
const FETCH_WAIT_MS = 200;
/** Pause between stable-offset fetches while a predecessor's transaction is open. */
const UNSTABLE_RETRY_MS = 100;
const REJOIN_ERRORS = ['REBALANCE_IN_PROGRESS', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'MEMBER_ID_REQUIRED', 'FENCED_INSTANCE_ID'];

export class PlatformaticGroupConsumer implements GroupConsumer {
  readonly #fetcher: Fetcher;
  /** Group requests get connections of their own: JoinGroup waits at the broker for the other members. */
  readonly #pool: ConnectionPool;
  #topics: string[] = [];
  #joinedTopics: string[] = [];
  #listener: RebalanceListener = {};
  #topicsCheckedAt = 0;

  #memberId = '';
  /** The generation heartbeats are sent for (set after SyncGroup, before the assignment is applied). */
  #member: { memberId: string; generationId: number } | undefined;
  #generation: ConsumerGenerationInfo | undefined;
  #assignment: TopicPartition[] = [];
  #assignmentUserData: Uint8Array | undefined;
  #needsJoin = false;
  #lost = false;
  #rebalance: Promise<Joined> | undefined;
  #rebalanceSettled = false;

  #heartbeat: NodeJS.Timeout | undefined;
  #heartbeating = false;
  #lastPollAt = Date.now();
  readonly #polling = new SinglePoll();
  #closing = false;
  #closed = false;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly cluster: PlatformaticCluster,
    private readonly config: PlatformaticConsumerConfig,
  ) {
    this.#fetcher = new Fetcher(cluster, config.isolation);
    // JoinGroup waits at the coordinator until every member rejoined or the rebalance timeout
    // passed: the request must not time out before the broker answers.
    this.#pool = cluster.newPool(Math.max(cluster.connection.requestTimeout ?? 30_000, Math.max(config.sessionTimeoutMs, REBALANCE_TIMEOUT_MS) + 10_000));
  }

  async subscribe(topics: readonly string[], listener: RebalanceListener = {}): Promise<void> {
    const api = 'GroupConsumer.subscribe';
    this.#usable(api);
    this.#topics = checkTopics(api, topics);
    this.#listener = listener;
    this.#needsJoin = true;
  }

  async poll(options?: PollOptions): Promise<ConsumerRecord[]> {
    const api = 'GroupConsumer.poll';
    this.#usable(api);
    return this.#polling.run(api, async () => {
      const { maxRecords, timeoutMs } = checkPollOptions(api, options);
      this.#lastPollAt = Date.now();
      try {
        return await this.#poll(api, maxRecords, Date.now() + timeoutMs);
      } finally {
        this.#lastPollAt = Date.now();
      }
    });
  }

  async #poll(api: string, maxRecords: number, deadline: number): Promise<ConsumerRecord[]> {
    for (;;) {
      if (this.#closing) return [];
      await this.#checkTopics();
      if (this.#needsJoin && this.#rebalance === undefined) await this.#startRebalance();
      if (this.#rebalance !== undefined) {
        const rebalance = this.#rebalance;
        if (!this.#rebalanceSettled) await Promise.race([rebalance.catch(() => undefined), sleep(Math.max(0, deadline - Date.now()))]);
        if (!this.#rebalanceSettled) return [];
        this.#rebalance = undefined;
        let joined: Joined;
        try {
          joined = await rebalance;
        } catch (e) {
          if (this.#closing) return [];
          if (hasKafkaError(e, ...REJOIN_ERRORS) || (e as { retriable?: boolean }).retriable === true || isNetwork(e)) {
            this.#needsJoin = true;
            if (deadline - Date.now() <= 0) return [];
            await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
            continue;
          }
          throw toTransportError(api, e);
        }
        if (this.#needsJoin || this.#closing) continue; // the group moved on meanwhile: join again
        await this.#apply(joined);
        continue;
      }
      for (const p of this.#fetcher.takeProblems()) {
        if (p.error === 'OFFSET_OUT_OF_RANGE' && this.#fetcher.states.get(p.state.key) === p.state) {
          const offsets = await this.ctx.listOffsetsWith(api, p.state.tp.topic, this.config.isolation);
          const o = offsets.find((x) => x.partition === p.state.tp.partition);
          if (o !== undefined) this.#fetcher.seek(p.state, this.config.autoOffsetReset === 'earliest' ? o.earliest : o.latest);
        }
      }
      const records = this.#generation === undefined ? [] : this.#fetcher.drain(maxRecords);
      if (this.#generation !== undefined) this.#fetcher.prefetch(Math.max(0, Math.min(FETCH_WAIT_MS, deadline - Date.now())));
      if (records.length > 0) return records;
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.#fetcher.wait(Math.min(left, FETCH_WAIT_MS));
    }
  }

  /** Rejoins when a subscribed topic that did not exist at the last join exists now. */
  async #checkTopics(): Promise<void> {
    if (this.#needsJoin || this.#joinedTopics.length >= this.#topics.length || Date.now() - this.#topicsCheckedAt < TOPIC_RECHECK_MS) return;
    this.#topicsCheckedAt = Date.now();
    const existing = await this.#existingTopics();
    if (existing.length !== this.#joinedTopics.length) this.#needsJoin = true;
  }

  async #existingTopics(): Promise<string[]> {
    const existing: string[] = [];
    for (const t of this.#topics) if ((await this.ctx.tryPartitionCount(t)) !== undefined) existing.push(t);
    return existing;
  }

  /** Gives up the assignment (callbacks awaited), then starts JoinGroup in the background. */
  async #startRebalance(): Promise<void> {
    const lost = this.#lost;
    this.#needsJoin = false;
    this.#lost = false;
    await this.#revoke(lost);
    this.#topicsCheckedAt = Date.now();
    const topics = await this.#existingTopics();
    this.#joinedTopics = topics;
    if (topics.length === 0) {
      // Nothing to consume yet: leave any group membership and wait for the topics.
      await this.#leave();
      return;
    }
    this.#rebalanceSettled = false;
    const rebalance = this.#join(topics);
    this.#rebalance = rebalance;
    rebalance.then(
      () => (this.#rebalanceSettled = true),
      () => (this.#rebalanceSettled = true),
    );
  }

  async #revoke(lost: boolean): Promise<void> {
    const revoked = this.#assignment;
    this.#assignment = [];
    this.#assignmentUserData = undefined;
    this.#fetcher.clear();
    // A revoking member is still in its generation until it rejoins: commits made in
    // onPartitionsRevoked (exactly-once: TxnOffsetCommit with the generation) still count.
    // A member that lost its partitions is not.
    if (lost) this.#generation = undefined;
    try {
      if (revoked.length === 0) return;
      const callback = lost ? (this.#listener.onPartitionsLost ?? this.#listener.onPartitionsRevoked) : this.#listener.onPartitionsRevoked;
      await callback?.call(this.#listener, revoked);
    } finally {
      this.#generation = undefined;
    }
  }

  async #join(topics: string[]): Promise<Joined> {
    const { groupId, sessionTimeoutMs } = this.config;
    this.#member = undefined;
    let res: joinGroupV9.JoinGroupResponse;
    for (;;) {
      try {
        res = await withCoordinator(
          this.cluster,
          CoordinatorType.GROUP,
          groupId,
          (c) =>
            joinGroupV9.api.async(c, groupId, sessionTimeoutMs, Math.max(sessionTimeoutMs, REBALANCE_TIMEOUT_MS), this.#memberId, null, 'consumer', [{ name: ASSIGNMENT_PROTOCOL, metadata: encodeSubscription(topics, this.config.assignor.subscriptionUserData?.()) }], null),
          this.#pool,
        );
        break;
      } catch (e) {
        if (this.#closing) throw e;
        if (hasKafkaError(e, 'MEMBER_ID_REQUIRED')) {
          const memberId = memberIdOf(e);
          if (memberId !== undefined) {
            this.#memberId = memberId;
            continue;
          }
        }
        if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID')) {
          this.#memberId = '';
          continue;
        }
        if (hasKafkaError(e, 'REBALANCE_IN_PROGRESS')) continue;
        throw e;
      }
    }
    this.#memberId = res.memberId ?? this.#memberId;
    const memberId = this.#memberId;
    const generationId = res.generationId;
    const assignments: { memberId: string; assignment: Buffer }[] = [];
    if (res.leader === memberId) {
      const members = res.members.map((m) => decodeSubscription(m.memberId, m.metadata));
      const counts = new Map<string, number | undefined>();
      for (const t of new Set(members.flatMap((m) => m.topics))) counts.set(t, await this.ctx.tryPartitionCount(t));
      const plan = planAssignment(this.config.assignor, members, (t) => counts.get(t));
      for (const m of members) assignments.push({ memberId: m.memberId, assignment: encodeAssignment(plan.get(m.memberId) ?? { partitions: [] }) });
    }
    const sync = await withCoordinator(
      this.cluster,
      CoordinatorType.GROUP,
      groupId,
      (c) => syncGroupV5.api.async(c, groupId, generationId, memberId, null, 'consumer', ASSIGNMENT_PROTOCOL, assignments),
      this.#pool,
    );
    const received = decodeAssignment(sync.assignment);
    const assignment = [...received.partitions];
    this.#member = { memberId, generationId };
    this.#startHeartbeat();
    const positions = new Map<string, number>();
    const ends = new Map<string, number>();
    for (const topic of [...new Set(assignment.map((tp) => tp.topic))]) {
      const partitions = assignment.filter((a) => a.topic === topic).map((a) => a.partition);
      const committed = await this.#committed(topic, partitions);
      const reset = await this.ctx.listOffsetsWith('GroupConsumer.poll', topic, this.config.isolation);
      for (const partition of partitions) {
        const r = reset.find((o) => o.partition === partition);
        const fallback = this.config.autoOffsetReset === 'earliest' ? (r?.earliest ?? 0) : (r?.latest ?? 0);
        positions.set(tpKey(topic, partition), committed.get(partition) ?? fallback);
        if (r !== undefined) ends.set(tpKey(topic, partition), r.latest);
      }
    }
    return { memberId, generationId, assignment, userData: received.userData, positions, ends };
  }

  /** The group's committed offsets; under read_committed only once stable (no open transaction holds newer ones). */
  async #committed(topic: string, partitions: number[]): Promise<Map<number, number>> {
    const { groupId } = this.config;
    const stable = this.config.isolation === 'read_committed';
    for (;;) {
      try {
        const res = await withCoordinator(
          this.cluster,
          CoordinatorType.GROUP,
          groupId,
          (c) => offsetFetchV8.api.async(c, [{ groupId, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: partitions }] }], stable),
          this.#pool,
        );
        const out = new Map<number, number>();
        for (const p of res.groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? []) {
          if (p.committedOffset >= 0n) out.set(p.partitionIndex, Number(p.committedOffset));
        }
        return out;
      } catch (e) {
        if (!hasKafkaError(e, 'UNSTABLE_OFFSET_COMMIT') || this.#closing || this.#needsJoin) throw e;
        await sleep(UNSTABLE_RETRY_MS);
      }
    }
  }

  async #apply(joined: Joined): Promise<void> {
    this.#generation = { groupId: this.config.groupId, memberId: joined.memberId, generationId: joined.generationId };
    this.#fetcher.clear();
    for (const tp of joined.assignment) {
      const key = tpKey(tp.topic, tp.partition);
      this.#fetcher.add(tp, joined.positions.get(key) ?? 0, joined.ends.get(key));
    }
    this.#assignment = joined.assignment;
    this.#assignmentUserData = joined.userData;
    await this.#listener.onPartitionsAssigned?.call(this.#listener, [...joined.assignment]);
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    const interval = Math.max(100, Math.min(1000, Math.floor(this.config.sessionTimeoutMs / 3)));
    this.#heartbeat = setInterval(() => void this.#beat(), interval);
    this.#heartbeat.unref();
  }

  async #beat(): Promise<void> {
    const member = this.#member;
    if (member === undefined || this.#heartbeating || this.#closing) return;
    // As Kafka's max.poll.interval.ms (which is also its rebalance timeout): a member that stopped
    // polling stops heartbeating and is evicted. Not the session timeout: a commit or a standby's
    // catch-up between two polls may take longer than a short session timeout, and a member
    // evicted for it took tasks from the others in turn without end.
    if (!this.#polling.running && Date.now() - this.#lastPollAt > Math.max(this.config.sessionTimeoutMs, REBALANCE_TIMEOUT_MS)) return;
    this.#heartbeating = true;
    try {
      await withCoordinator(this.cluster, CoordinatorType.GROUP, this.config.groupId, (c) => heartbeatV4.api.async(c, this.config.groupId, member.generationId, member.memberId, null), this.#pool);
    } catch (e) {
      if (this.#member !== member) return;
      if (hasKafkaError(e, 'REBALANCE_IN_PROGRESS')) this.#rejoin(false);
      else if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID')) {
        if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID')) this.#memberId = '';
        this.#rejoin(true);
      }
    } finally {
      this.#heartbeating = false;
    }
  }

  #rejoin(lost: boolean): void {
    this.#member = undefined;
    this.#needsJoin = true;
    if (lost) this.#lost = true;
    this.#fetcher.interrupt();
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const api = 'GroupConsumer.commit';
    this.#usable(api, true);
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
    }
    if (offsets.length === 0) return;
    const generation = this.#generation;
    if (generation === undefined) {
      throw transportError(TransportErrorCode.COMMIT_FAILED, `${api}: the consumer is not a member of group '${this.config.groupId}'; poll until partitions are assigned`);
    }
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1 }]);
    try {
      await withCoordinator(
        this.cluster,
        CoordinatorType.GROUP,
        this.config.groupId,
        (c) => offsetCommitV8.api.async(c, this.config.groupId, generation.generationId, generation.memberId, null, [...byTopic].map(([name, partitions]) => ({ name, partitions }))),
        this.#pool,
      );
    } catch (e) {
      if (hasKafkaError(e, 'REBALANCE_IN_PROGRESS')) this.#rejoin(false);
      else if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION')) this.#rejoin(true);
      throw toTransportError(api, e, TransportErrorCode.COMMIT_FAILED);
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    const states = partitions.map((tp) => this.#require('GroupConsumer.pause', tp));
    for (const s of states) this.#fetcher.pause(s);
  }

  resume(partitions: readonly TopicPartition[]): void {
    const states = partitions.map((tp) => this.#require('GroupConsumer.resume', tp));
    for (const s of states) this.#fetcher.resume(s);
  }

  paused(): TopicPartition[] {
    return [...this.#fetcher.states.values()].filter((s) => s.userPaused).map((s) => ({ topic: s.tp.topic, partition: s.tp.partition }));
  }

  seek(partition: TopicPartition, offset: number): void {
    const api = 'GroupConsumer.seek';
    checkOffset(api, 'offset', offset);
    this.#fetcher.seek(this.#require(api, partition), offset);
  }

  position(partition: TopicPartition): number | undefined {
    return this.#fetcher.states.get(tpKey(partition.topic, partition.partition))?.position;
  }

  currentLag(partition: TopicPartition): number | undefined {
    const s = this.#fetcher.states.get(tpKey(partition.topic, partition.partition));
    if (s === undefined || s.end === undefined) return undefined;
    return Math.max(0, s.end - s.position);
  }

  assignment(): TopicPartition[] {
    return [...this.#assignment];
  }

  assignmentUserData(): Uint8Array | undefined {
    return this.#assignmentUserData;
  }

  generation(): ConsumerGenerationInfo | undefined {
    return this.#generation;
  }

  async close(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    this.#fetcher.interrupt();
    await this.#polling.idle();
    try {
      if (this.#assignment.length > 0) await this.#revoke(false);
    } finally {
      this.#closed = true;
      this.config.onClose(this);
      if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
      await this.#leave();
      // A join still waiting at the coordinator fails once the pool closes; do not wait for it.
      this.#rebalance?.catch(() => undefined);
      await this.#fetcher.close();
      await this.#pool.close().catch(() => undefined);
    }
  }

  /** Leaves the group so the others rebalance at once instead of after the session timeout. */
  async #leave(): Promise<void> {
    const memberId = this.#memberId;
    this.#member = undefined;
    this.#generation = undefined;
    if (memberId === '') return;
    this.#memberId = '';
    await withCoordinator(this.cluster, CoordinatorType.GROUP, this.config.groupId, (c) => leaveGroupV5.api.async(c, this.config.groupId, [{ memberId, reason: 'closed' }]), this.#pool).catch(
      () => undefined,
    );
  }

  #require(api: string, tp: TopicPartition) {
    this.#usable(api);
    const s = this.#fetcher.states.get(tpKey(tp?.topic, tp?.partition));
    if (s === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: partition must be assigned (got ${String(tp?.topic)}-${String(tp?.partition)})`);
    return s;
  }

  #usable(api: string, allowClosing = false): void {
    if (this.#closed || (this.#closing && !allowClosing)) throw transportError(TransportErrorCode.CLOSED, `${api}: the consumer is closed; create a new one`);
  }
}

function memberIdOf(e: unknown): string | undefined {
  const queue: unknown[] = [e];
  for (let i = 0; i < queue.length && i < 32; i++) {
    const err = queue[i] as { memberId?: unknown; response?: { memberId?: unknown }; errors?: unknown[]; cause?: unknown } | null;
    if (typeof err !== 'object' || err === null) continue;
    if (typeof err.memberId === 'string' && err.memberId.length > 0) return err.memberId;
    if (typeof err.response?.memberId === 'string' && err.response.memberId.length > 0) return err.response.memberId;
    queue.push(err.cause, ...(Array.isArray(err.errors) ? err.errors : []));
  }
  return undefined;
}

function isNetwork(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT' || code === TransportErrorCode.NOT_CONNECTED;
}
