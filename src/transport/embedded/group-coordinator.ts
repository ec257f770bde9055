import { randomUUID } from 'node:crypto';
import { rangeAssignor } from '../assignor.js';
import type { GroupAssignor, GroupMemberAssignment, TopicPartition, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { Notifier } from './notifier.js';

/**
 * Group states of Kafka's coordinator, minus `CompletingRebalance`: assignment
 * is computed in-process the moment the last member joins.
 */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'Stable';

/** A member as the coordinator tracks it; the consumer holds the same object. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  subscription: readonly string[];
  readonly sessionTimeoutMs: number;
  /** Last time the member left `poll`. */
  lastSeen: number;
  /** Inside `poll` (including rebalance callbacks): alive however long it takes. */
  polling: boolean;
  /** Joined the pending rebalance, i.e. gave up its partitions. */
  joined: boolean;
  /** Generation of `assignment`; -1 before the first. */
  generationId: number;
  assignment: readonly TopicPartition[];
  /** Runs the rebalance when this member leads it; its userData hook runs at every join. */
  readonly assignor: GroupAssignor | undefined;
  /** Subscription userData of the member's latest join. */
  userData: Uint8Array | undefined;
  /** Assignment userData from the leader's assignor, with `assignment`. */
  assignmentUserData: Uint8Array | undefined;
}

/**
 * One consumer group: membership with the eager rebalance protocol, session
 * expiry, and committed offsets.
 *
 * Rebalance: any membership or subscription change moves the group to
 * `PreparingRebalance` and marks every member as not joined; each member, on
 * its next poll, revokes its partitions and joins; when all have joined (or the
 * stragglers expired), the range assignor splits the partitions, the
 * generation increments and the group is `Stable` again.
 */
export class ConsumerGroup {
  readonly members = new Map<string, GroupMember>();
  state: GroupState = 'Empty';
  generationId = 0;
  /** Fires on every state or membership change, waking polls that wait for the rebalance. */
  readonly changed = new Notifier();
  readonly #offsets = new Map<string, Map<number, number>>();
  #expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly groupId: string,
    private readonly partitionCount: (topic: string) => number | undefined,
  ) {}

  join(clientId: string, subscription: readonly string[], sessionTimeoutMs: number, now: number, assignor?: GroupAssignor): GroupMember {
    const member: GroupMember = {
      memberId: `${clientId}-${randomUUID()}`,
      clientId,
      subscription,
      sessionTimeoutMs,
      lastSeen: now,
      polling: true,
      joined: false,
      generationId: -1,
      assignment: [],
      assignor,
      userData: undefined,
      assignmentUserData: undefined,
    };
    this.members.set(member.memberId, member);
    this.#prepareRebalance();
    member.userData = member.assignor?.subscriptionUserData?.();
    member.joined = true;
    this.#tryComplete();
    return member;
  }

  /** The member gave up its partitions and joins the pending rebalance. */
  rejoin(member: GroupMember): void {
    if (this.members.get(member.memberId) !== member) return;
    member.userData = member.assignor?.subscriptionUserData?.();
    member.joined = true;
    this.#tryComplete();
  }

  leave(member: GroupMember): void {
    if (this.members.get(member.memberId) !== member) return;
    this.members.delete(member.memberId);
    this.#prepareRebalance();
    this.#tryComplete();
  }

  updateSubscription(member: GroupMember, topics: readonly string[]): void {
    member.subscription = topics;
    if (this.members.get(member.memberId) !== member) return;
    this.#prepareRebalance();
    // Assignment reads subscriptions when the rebalance completes, so a member that already
    // joined the pending one needs no second join.
    this.#tryComplete();
  }

  /** Topics appeared or vanished: rebalance if anyone subscribes to them. */
  topicsChanged(names: readonly string[], change: 'created' | 'deleted'): void {
    if (change === 'deleted') for (const n of names) this.#offsets.delete(n);
    const affected = [...this.members.values()].some((m) => m.subscription.some((t) => names.includes(t)));
    if (affected) {
      this.#prepareRebalance();
      this.#tryComplete();
    }
  }

  isMember(member: GroupMember): boolean {
    return this.members.get(member.memberId) === member;
  }

  /** Marks a member inside or outside `poll`; leaving starts its session clock. */
  setPolling(member: GroupMember, polling: boolean, now: number): void {
    member.polling = polling;
    member.lastSeen = now;
    if (!polling) this.#scheduleExpiry();
  }

  /**
   * Throws unless offsets from (memberId, generationId) may be committed: the
   * member is in the group at that generation, or it is not a member of a
   * group without members (Kafka's "simple" commit).
   */
  validateGeneration(api: string, memberId: string | undefined, generationId: number): void {
    if (memberId === undefined) {
      if (this.members.size === 0) return;
      throw transportError(
        TransportErrorCode.COMMIT_FAILED,
        `${api}: the consumer must be a member of group '${this.groupId}' to commit while the group has members; poll first`,
      );
    }
    const member = this.members.get(memberId);
    if (member === undefined || member.generationId !== generationId || generationId !== this.generationId) {
      throw transportError(
        TransportErrorCode.COMMIT_FAILED,
        `${api}: offsets must come from the group's current generation (group '${this.groupId}' is at generation ${this.generationId}, ` +
          `got member ${memberId} at ${generationId}${member === undefined ? ', which is no longer a member' : ''}); ` +
          'its partitions may belong to another member now: drop the uncommitted work',
      );
    }
  }

  commitOffsets(offsets: Iterable<TopicPartitionOffset>): void {
    for (const { topic, partition, offset } of offsets) {
      let byPartition = this.#offsets.get(topic);
      if (byPartition === undefined) this.#offsets.set(topic, (byPartition = new Map()));
      byPartition.set(partition, offset);
    }
  }

  committed(topic: string, partition: number): number | undefined {
    return this.#offsets.get(topic)?.get(partition);
  }

  dispose(): void {
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }

  /** Removes members that stayed out of `poll` longer than their session timeout. */
  expire(now: number): void {
    let evicted = false;
    for (const m of [...this.members.values()]) {
      if (!m.polling && now - m.lastSeen >= m.sessionTimeoutMs) {
        this.members.delete(m.memberId);
        evicted = true;
      }
    }
    if (evicted) {
      this.#prepareRebalance();
      this.#tryComplete();
    }
  }

  /**
   * Starts a rebalance. If one is already pending, members that joined it stay
   * joined (as in Kafka): they hold no partitions, so there is nothing to revoke again.
   */
  #prepareRebalance(): void {
    if (this.members.size === 0) this.state = 'Empty';
    else if (this.state !== 'PreparingRebalance') {
      this.state = 'PreparingRebalance';
      for (const m of this.members.values()) m.joined = false;
    }
    this.changed.notify();
  }

  #tryComplete(): void {
    if (this.state !== 'PreparingRebalance') return;
    for (const m of this.members.values()) if (!m.joined) return;
    this.generationId++;
    const members = [...this.members.values()];
    // As in Kafka, the leader is the longest-standing member (Map order is insertion order).
    const assignor = members[0]?.assignor ?? rangeAssignor;
    const subscriptions = members.map((m) => ({ memberId: m.memberId, topics: m.subscription, ...(m.userData === undefined ? {} : { userData: m.userData }) }));
    let assignment: Map<string, GroupMemberAssignment>;
    try {
      assignment = assignor.assign(subscriptions, this.partitionCount);
    } catch {
      // A failing custom assignor must not wedge the group: every partition still gets an owner.
      assignment = rangeAssignor.assign(subscriptions, this.partitionCount);
    }
    for (const m of members) {
      const a = assignment.get(m.memberId);
      m.assignment = a === undefined ? [] : [...a.partitions];
      m.assignmentUserData = a?.userData;
      m.generationId = this.generationId;
    }
    this.state = 'Stable';
    this.changed.notify();
  }

  /**
   * One timer per group, aimed at the earliest session deadline; when it fires
   * early (the member polled meanwhile) it just re-aims. Unref'd: an idle
   * broker must not keep the process alive.
   */
  #scheduleExpiry(): void {
    if (this.#expiryTimer !== undefined) return;
    let deadline = Infinity;
    for (const m of this.members.values()) {
      if (!m.polling) deadline = Math.min(deadline, m.lastSeen + m.sessionTimeoutMs);
    }
    if (deadline === Infinity) return;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      this.expire(Date.now());
      this.#scheduleExpiry();
    }, Math.max(0, deadline - Date.now()));
    this.#expiryTimer.unref();
  }
}

/** All groups of a broker, created on first use as in Kafka. */
export class GroupCoordinator {
  readonly #groups = new Map<string, ConsumerGroup>();

  constructor(private readonly partitionCount: (topic: string) => number | undefined) {}

  group(groupId: string): ConsumerGroup {
    let group = this.#groups.get(groupId);
    if (group === undefined) this.#groups.set(groupId, (group = new ConsumerGroup(groupId, this.partitionCount)));
    return group;
  }

  find(groupId: string): ConsumerGroup | undefined {
    return this.#groups.get(groupId);
  }

  groupIds(): string[] {
    return [...this.#groups.keys()].sort();
  }

  topicsChanged(names: readonly string[], change: 'created' | 'deleted'): void {
    for (const g of this.#groups.values()) g.topicsChanged(names, change);
  }

  dispose(): void {
    for (const g of this.#groups.values()) g.dispose();
  }
}
