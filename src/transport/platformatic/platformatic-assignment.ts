/**
 * The group leader's side of the consumer protocol: which partitions each
 * member gets, and the bytes of Kafka's ConsumerProtocol (subscription and
 * assignment, version 0) carried by JoinGroup and SyncGroup, so Kafka's tools
 * (`kafka-consumer-groups --describe`) show rivulet's groups.
 * @module
 */
import { rangeAssignor } from '../assignor.js';
import type { GroupAssignor, GroupMemberAssignment, GroupSubscription, TopicPartition } from '../transport.js';

/** A member as the leader sees it in JoinGroup. */
export type AssignmentMember = GroupSubscription;

/** What a member receives. */
export type MemberAssignment = GroupMemberAssignment;

/**
 * The leader's plan: `assignor`'s, or the range assignor's when a custom one
 * throws, since a failing assignor must not wedge the group (every partition
 * still gets an owner).
 */
export function planAssignment(
  assignor: GroupAssignor,
  members: readonly GroupSubscription[],
  partitionCount: (topic: string) => number | undefined,
): Map<string, GroupMemberAssignment> {
  try {
    return assignor.assign(members, partitionCount);
  } catch {
    return rangeAssignor.assign(members, partitionCount);
  }
}

/**
 * The JoinGroup protocol name of rivulet's assignment: the same as the kafkajs
 * transport's, so members on either client can share a group.
 */
export const ASSIGNMENT_PROTOCOL = 'RivuletRange';

class Out {
  readonly parts: Buffer[] = [];
  i16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  i32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.i16(b.length);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array | undefined): this {
    if (b === undefined) return this.i32(-1);
    this.i32(b.byteLength);
    this.parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  #at = 0;
  constructor(private readonly b: Buffer) {}
  i16(): number {
    const v = this.b.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }
  str(): string {
    const n = this.i16();
    const s = this.b.toString('utf8', this.#at, this.#at + n);
    this.#at += n;
    return s;
  }
  bytes(): Uint8Array | undefined {
    if (this.#at + 4 > this.b.length) return undefined;
    const n = this.i32();
    if (n < 0) return undefined;
    const v = new Uint8Array(this.b.subarray(this.#at, this.#at + n));
    this.#at += n;
    return v;
  }
}

export function encodeSubscription(topics: readonly string[], userData?: Uint8Array): Buffer {
  const out = new Out().i16(0).i32(topics.length);
  for (const t of topics) out.str(t);
  return out.bytes(userData).done();
}

export function decodeSubscription(memberId: string, raw: Buffer | null): AssignmentMember {
  if (raw === null || raw.length < 6) return { memberId, topics: [] };
  const r = new In(raw);
  r.i16();
  const topics = Array.from({ length: r.i32() }, () => r.str());
  const userData = r.bytes();
  return userData === undefined ? { memberId, topics } : { memberId, topics, userData };
}

export function encodeAssignment(a: MemberAssignment): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const tp of a.partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const out = new Out().i16(0).i32(byTopic.size);
  for (const [topic, parts] of byTopic) {
    out.str(topic).i32(parts.length);
    for (const p of parts) out.i32(p);
  }
  return out.bytes(a.userData).done();
}

export function decodeAssignment(raw: Buffer | null): MemberAssignment {
  if (raw === null || raw.length < 6) return { partitions: [] };
  const r = new In(raw);
  r.i16();
  const partitions: TopicPartition[] = [];
  const topics = r.i32();
  for (let i = 0; i < topics; i++) {
    const topic = r.str();
    const n = r.i32();
    for (let j = 0; j < n; j++) partitions.push({ topic, partition: r.i32() });
  }
  partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const userData = r.bytes();
  return userData === undefined ? { partitions } : { partitions, userData };
}
