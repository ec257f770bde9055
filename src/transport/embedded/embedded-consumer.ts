import type {
  ConsumerGenerationInfo,
  GroupAssignor,
  ConsumerRecord,
  GroupConsumer,
  IsolationLevel,
  PollOptions,
  RebalanceListener,
  TopicPartition,
  TopicPartitionOffset,
} from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import type { BrokerCore } from './broker-core.js';
import type { ConsumerGroup, GroupMember } from './group-coordinator.js';
import { Notifier, waitForAny } from './notifier.js';
import type { PartitionLog } from './partition-log.js';
import { checkOffset, checkPollOptions, checkTopicPartition, invalid, tpKey } from '../validate.js';

/** Resolved consumer settings. */
export interface EmbeddedConsumerConfig {
  readonly groupId: string;
  readonly clientId: string;
  readonly isolation: IsolationLevel;
  readonly sessionTimeoutMs: number;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly assignor?: GroupAssignor;
}

/** Where the group protocol left this member after one step. */
type GroupStatus = 'ready' | 'progress' | 'waiting-group' | 'waiting-offsets';

interface FetchState {
  readonly topic: string;
  readonly partition: number;
  position: number;
}

/**
 * Group consumer of the embedded broker. All group work happens inside `poll`,
 * as with Kafka's consumer: join, revoke (listener awaited), wait for the
 * others, take the new assignment (listener awaited), fetch.
 */
export class EmbeddedConsumer implements GroupConsumer {
  readonly #group: ConsumerGroup;
  #subscription: readonly string[] | undefined;
  #listener: RebalanceListener = {};
  #member: GroupMember | undefined;
  /** Generation of the local assignment; -1 while it holds none. */
  #generation = -1;
  #assignment: TopicPartition[] = [];
  #assignmentUserData: Uint8Array | undefined;
  readonly #fetch = new Map<string, FetchState>();
  readonly #paused = new Set<string>();
  #rotation = 0;
  #polling = false;
  #inflight: Promise<unknown> | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  /** Interrupts a waiting poll on close. */
  readonly #wake = new Notifier();

  constructor(
    private readonly core: BrokerCore,
    private readonly config: EmbeddedConsumerConfig,
    private readonly onClose: (c: EmbeddedConsumer) => void,
  ) {
    this.#group = core.groups.group(config.groupId);
  }

  async subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void> {
    const api = 'GroupConsumer.subscribe';
    this.#open(api);
    if (!Array.isArray(topics) || topics.length === 0 || !topics.every((t) => typeof t === 'string' && t.length > 0)) {
      invalid(`${api}: topics must be a non-empty array of topic names (got ${JSON.stringify(topics)})`);
    }
    this.#subscription = [...new Set(topics)];
    this.#listener = listener ?? {};
    if (this.#member !== undefined) this.#group.updateSubscription(this.#member, this.#subscription);
  }

  async poll(options?: PollOptions): Promise<ConsumerRecord[]> {
    const api = 'GroupConsumer.poll';
    this.#open(api);
    const { maxRecords, timeoutMs } = checkPollOptions(api, options);
    if (this.#polling) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: poll is already running; await it before polling again`);
    if (this.#subscription === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: the consumer must subscribe before polling`);
    }
    this.#polling = true;
    if (this.#member !== undefined) this.#group.setPolling(this.#member, true, Date.now());
    const run = this.#pollLoop(maxRecords, Date.now() + timeoutMs);
    this.#inflight = run;
    try {
      return await run;
    } finally {
      this.#polling = false;
      this.#inflight = undefined;
      if (this.#member !== undefined) this.#group.setPolling(this.#member, false, Date.now());
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const api = 'GroupConsumer.commit';
    this.#open(api);
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
    }
    this.#group.validateGeneration(api, this.#member?.memberId, this.#generation);
    this.#group.commitOffsets(offsets);
  }

  pause(partitions: readonly TopicPartition[]): void {
    const keys = partitions.map((tp) => this.#assignedKey('GroupConsumer.pause', tp));
    for (const k of keys) this.#paused.add(k);
  }

  resume(partitions: readonly TopicPartition[]): void {
    const keys = partitions.map((tp) => this.#assignedKey('GroupConsumer.resume', tp));
    for (const k of keys) this.#paused.delete(k);
    // A poll waiting on other partitions should now see the resumed ones.
    if (keys.length > 0) this.#wake.notify();
  }

  paused(): TopicPartition[] {
    return this.#assignment.filter((tp) => this.#paused.has(tpKey(tp.topic, tp.partition)));
  }

  seek(partition: TopicPartition, offset: number): void {
    const key = this.#assignedKey('GroupConsumer.seek', partition);
    this.#fetch.get(key)!.position = checkOffset('GroupConsumer.seek', 'offset', offset);
    this.#wake.notify();
  }

  position(partition: TopicPartition): number | undefined {
    return this.#fetch.get(tpKey(partition.topic, partition.partition))?.position;
  }

  currentLag(partition: TopicPartition): number | undefined {
    const state = this.#fetch.get(tpKey(partition.topic, partition.partition));
    if (state === undefined) return undefined;
    // The broker is in-process: its end offset is always current.
    const log = this.#log(partition.topic, partition.partition);
    return log === undefined ? 0 : Math.max(0, log.endOffset(this.config.isolation) - state.position);
  }

  assignment(): TopicPartition[] {
    return [...this.#assignment];
  }

  assignmentUserData(): Uint8Array | undefined {
    return this.#assignmentUserData;
  }

  generation(): ConsumerGenerationInfo | undefined {
    const member = this.#member;
    if (member === undefined || this.#generation < 0 || !this.#group.isMember(member)) return undefined;
    return { groupId: this.config.groupId, memberId: member.memberId, generationId: this.#generation };
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#wake.notify();
    await this.#inflight?.catch(() => {});
    let failure: unknown;
    const member = this.#member;
    if (member !== undefined && this.#group.isMember(member)) {
      // The assignment (and its generation) stays until the callback returns: commits made in it still succeed.
      const revoked = this.assignment();
      try {
        if (revoked.length > 0) await this.#listener.onPartitionsRevoked?.(revoked);
      } catch (e) {
        failure = e;
      }
      this.#dropAssignment();
      this.#group.leave(member);
    } else if (this.#assignment.length > 0) {
      const lost = this.#dropAssignment();
      try {
        await (this.#listener.onPartitionsLost ?? this.#listener.onPartitionsRevoked)?.call(this.#listener, lost);
      } catch (e) {
        failure = e;
      }
    }
    this.#member = undefined;
    this.onClose(this);
    if (failure !== undefined) throw failure;
  }

  /** Simulates a crash: stops without leaving, so the group evicts this member after its session timeout. */
  abandon(): void {
    this.#closing = true;
    this.#closed ??= Promise.resolve();
    this.#wake.notify();
  }

  async #pollLoop(maxRecords: number, deadline: number): Promise<ConsumerRecord[]> {
    await this.core.yieldNow();
    const out: ConsumerRecord[] = [];
    for (;;) {
      if (this.#closing) return out;
      const status = await this.#stepGroup();
      if (status === 'progress') continue;
      if (status === 'ready') {
        this.#fetchInto(maxRecords, out);
        if (out.length > 0) return out;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.#closing) return out;
      // Re-check synchronously before sleeping: a notify between the step above and the
      // registration below would otherwise be lost until the timeout.
      if (this.#groupNeedsStep()) continue;
      const sources: Notifier[] = [this.#wake, this.#group.changed];
      if (status === 'waiting-offsets') sources.push(this.core.txns.completed);
      if (status === 'ready') for (const log of this.#fetchableLogs()) sources.push(log.changed);
      await waitForAny(sources, remaining);
    }
  }

  /** Runs at most one step of the group protocol for this member. */
  async #stepGroup(): Promise<GroupStatus> {
    const group = this.#group;
    const listener = this.#listener;
    if (this.#member !== undefined && !group.isMember(this.#member)) {
      // Evicted: the partitions may be someone else's already, so they are lost, not revoked.
      const lost = this.#dropAssignment();
      this.#member = undefined;
      if (lost.length > 0) await (listener.onPartitionsLost ?? listener.onPartitionsRevoked)?.call(listener, lost);
      return 'progress';
    }
    if (this.#member === undefined) {
      this.#member = group.join(this.config.clientId, this.#subscription!, this.config.sessionTimeoutMs, Date.now(), this.config.assignor);
      return 'progress';
    }
    const member = this.#member;
    if (group.state === 'PreparingRebalance' && !member.joined) {
      // The assignment (and its generation) stays until the callback returns: commits made in it still succeed.
      const revoked = this.assignment();
      try {
        if (revoked.length > 0) await listener.onPartitionsRevoked?.(revoked);
      } finally {
        this.#dropAssignment();
        group.rejoin(member);
      }
      return 'progress';
    }
    if (group.state === 'Stable' && member.generationId !== this.#generation) {
      // KIP-447: an open transaction may still commit offsets for these partitions; reading the
      // committed offsets before it ends could replay or skip records.
      if (this.core.txns.hasPendingOffsets(this.config.groupId, member.assignment)) return 'waiting-offsets';
      this.#takeAssignment(member);
      await listener.onPartitionsAssigned?.(this.assignment());
      return 'progress';
    }
    return group.state === 'Stable' && member.generationId === this.#generation ? 'ready' : 'waiting-group';
  }

  #groupNeedsStep(): boolean {
    const member = this.#member;
    if (member === undefined || !this.#group.isMember(member)) return true;
    if (this.#group.state === 'PreparingRebalance') return !member.joined;
    return this.#group.state === 'Stable' && member.generationId !== this.#generation && !this.core.txns.hasPendingOffsets(this.config.groupId, member.assignment);
  }

  #takeAssignment(member: GroupMember): void {
    this.#generation = member.generationId;
    this.#assignment = [...member.assignment];
    this.#assignmentUserData = member.assignmentUserData;
    this.#fetch.clear();
    this.#paused.clear();
    for (const { topic, partition } of this.#assignment) {
      const committed = this.#group.committed(topic, partition);
      const log = this.#log(topic, partition);
      const position = committed ?? (log === undefined ? 0 : this.#resetPosition(log));
      this.#fetch.set(tpKey(topic, partition), { topic, partition, position });
    }
  }

  /** Forgets the assignment (and pauses) and returns what was owned. */
  #dropAssignment(): TopicPartition[] {
    const owned = this.#assignment;
    this.#assignment = [];
    this.#assignmentUserData = undefined;
    this.#generation = -1;
    this.#fetch.clear();
    this.#paused.clear();
    return owned;
  }

  #fetchInto(maxRecords: number, out: ConsumerRecord[]): void {
    const n = this.#assignment.length;
    if (n === 0) return;
    // Rotate the starting partition so one busy partition cannot starve the others.
    const start = this.#rotation++ % n;
    for (let i = 0; i < n && out.length < maxRecords; i++) {
      const tp = this.#assignment[(start + i) % n]!;
      const key = tpKey(tp.topic, tp.partition);
      if (this.#paused.has(key)) continue;
      const state = this.#fetch.get(key)!;
      const log = this.#log(tp.topic, tp.partition);
      if (log === undefined) continue;
      if (!log.inRange(state.position)) state.position = this.#resetPosition(log);
      state.position = log.read(state.position, maxRecords - out.length, this.config.isolation, out).position;
    }
  }

  *#fetchableLogs(): Iterable<PartitionLog> {
    for (const tp of this.#assignment) {
      if (this.#paused.has(tpKey(tp.topic, tp.partition))) continue;
      const log = this.#log(tp.topic, tp.partition);
      if (log !== undefined) yield log;
    }
  }

  #resetPosition(log: PartitionLog): number {
    return this.config.autoOffsetReset === 'earliest' ? log.logStartOffset : log.endOffset(this.config.isolation);
  }

  #log(topic: string, partition: number): PartitionLog | undefined {
    return this.core.topics.get(topic)?.partitions[partition];
  }

  #assignedKey(api: string, tp: TopicPartition): string {
    this.#open(api);
    const key = tpKey(tp.topic, tp.partition);
    if (!this.#fetch.has(key)) {
      throw transportError(
        TransportErrorCode.ILLEGAL_STATE,
        `${api}: partition must be assigned to this consumer (got ${tp.topic}-${tp.partition}; assigned: ${this.#assignment.map((a) => `${a.topic}-${a.partition}`).join(', ') || 'none'})`,
      );
    }
    return key;
  }

  #open(api: string): void {
    if (this.#closing) throw transportError(TransportErrorCode.CLOSED, `${api}: the consumer is closed; create a new one`);
  }
}
