/**
 * The contract every {@link Transport} implementation must pass: the embedded
 * broker in unit tests, kafkajs against a real Kafka broker in integration
 * tests. Therefore every test uses fresh random topic, group and
 * transactional ids, and waits only through polling loops bounded by
 * deadlines (never fixed sleeps), so it is safe on a shared, slower broker.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/errors.js';
import { partitionForKey } from '../../src/transport/partitioner.js';
import { TransportErrorCode } from '../../src/transport/transport-error-codes.js';
import type {
  ConsumerOptions,
  ConsumerRecord,
  GroupAssignor,
  GroupConsumer,
  IsolationLevel,
  ProducerRecord,
  Reader,
  TopicPartition,
  Transport,
} from '../../src/transport/transport.js';

/** What an implementation provides to the contract. */
export interface TransportHarness {
  /** A new, unconnected transport to the same broker (one per simulated instance). */
  newTransport(): Transport;
  /**
   * Compacts a topic now. Real Kafka compacts on the log cleaner's schedule,
   * so without this hook the compaction test is skipped.
   */
  compact?(topic: string): Promise<void>;
  close?(): Promise<void>;
}

export interface TransportContractOptions {
  /** Upper bound of any single wait (rebalance, visibility). Default 30 000 ms. */
  readonly waitMs?: number;
  /**
   * The implementation has no heartbeats apart from polls, so a member that stops polling for
   * its session timeout is evicted (the embedded broker; its own tests cover that).
   */
  readonly pollIsHeartbeat?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array | null): string | null => (b === null ? null : dec.decode(b));

/** A fresh name per test, so runs against a shared broker never collide. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 12)}`;

/** Asserts that `action` fails with a `TransportError` of exactly this code and retriability. */
export async function expectTransportError(
  action: Promise<unknown> | (() => unknown),
  code: string,
  retriable = false,
): Promise<TransportError> {
  let thrown: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a TransportError ${code}`).toBeInstanceOf(TransportError);
  const err = thrown as TransportError;
  expect(err.code).toBe(code);
  expect(err.retriable).toBe(retriable);
  return err;
}

/** Polls until `done` holds for everything collected so far; fails after `waitMs`. */
export async function pollUntil(
  source: GroupConsumer | Reader,
  done: (all: readonly ConsumerRecord[]) => boolean,
  waitMs: number,
  maxRecords = 500,
): Promise<ConsumerRecord[]> {
  const all: ConsumerRecord[] = [];
  const deadline = Date.now() + waitMs;
  while (!done(all)) {
    if (Date.now() > deadline) throw new Error(`pollUntil: condition not met within ${waitMs} ms (collected ${all.length} records)`);
    all.push(...(await source.poll({ timeoutMs: 100, maxRecords })));
  }
  return all;
}

/** Reads every partition of `topic` from its start to its end as seen with `isolation`. */
export async function readAll(transport: Transport, topic: string, isolation: IsolationLevel, waitMs: number): Promise<ConsumerRecord[]> {
  const offsets = await transport.listOffsets(topic, { isolation });
  const reader = await transport.reader({ isolation });
  try {
    reader.assign(offsets.map((o) => ({ topic, partition: o.partition, offset: o.earliest })));
    const atEnd = (): boolean => offsets.every((o) => (reader.position({ topic, partition: o.partition }) ?? 0) >= o.latest);
    return await pollUntil(reader, atEnd, waitMs);
  } finally {
    await reader.close();
  }
}

const values = (records: readonly ConsumerRecord[]): (string | null)[] => records.map((r) => text(r.value));
const tpName = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

/** Registers the transport contract suite for one implementation. */
export function describeTransport(
  name: string,
  factory: () => TransportHarness | Promise<TransportHarness>,
  options: TransportContractOptions = {},
): void {
  const waitMs = options.waitMs ?? 30_000;

  describe(`Transport contract: ${name}`, () => {
    let harness: TransportHarness;
    const opened: Transport[] = [];

    /** A connected transport, closed after the test. */
    const connect = async (): Promise<Transport> => {
      const t = harness.newTransport();
      await t.connect();
      opened.push(t);
      return t;
    };

    const topicWith = async (t: Transport, partitions: number, config?: Record<string, string>): Promise<string> => {
      const topic = uniqueName('contract');
      await t.createTopics([config === undefined ? { topic, partitions } : { topic, partitions, config }]);
      return topic;
    };

    /** A consumer subscribed to `topic` that has completed its first rebalance (records polled meanwhile are dropped). */
    const joinedConsumer = async (t: Transport, topic: string, opts: Partial<ConsumerOptions> = {}): Promise<GroupConsumer> => {
      const c = await t.consumer({ groupId: uniqueName('group'), ...opts });
      let assigned = false;
      await c.subscribe([topic], { onPartitionsAssigned: () => void (assigned = true) });
      await pollUntil(c, () => assigned, waitMs);
      return c;
    };

    beforeAll(async () => {
      harness = await factory();
    });

    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((t) => t.close()));
    });

    afterAll(async () => {
      await harness?.close?.();
    });

    describe('topics', () => {
      it('createTopics is idempotent and an existing topic keeps its partitions', async () => {
        const t = await connect();
        const topic = uniqueName('contract');
        await t.createTopics([{ topic, partitions: 3 }]);
        await t.createTopics([{ topic, partitions: 3 }]);
        await t.createTopics([{ topic, partitions: 5 }]);
        expect(await t.partitionCount(topic)).toBe(3);
        expect(await t.listOffsets(topic)).toEqual([0, 1, 2].map((partition) => ({ partition, earliest: 0, latest: 0 })));
      });

      it('createTopics naming a topic twice creates it once, with the first request\'s partitions', async () => {
        const t = await connect();
        const topic = uniqueName('contract');
        await t.createTopics([
          { topic, partitions: 2 },
          { topic, partitions: 4 },
        ]);
        expect(await t.partitionCount(topic)).toBe(2);
      });

      it('partitionCount is undefined for a missing topic and deleteTopics removes one', async () => {
        const t = await connect();
        expect(await t.partitionCount(uniqueName('missing'))).toBeUndefined();
        const topic = await topicWith(t, 1);
        await t.deleteTopics([topic]);
        const deadline = Date.now() + waitMs;
        while ((await t.partitionCount(topic)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(await t.partitionCount(topic)).toBeUndefined();
      });

      it('rejects sends to a missing topic or partition', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const p = await t.producer();
        await expectTransportError(p.send([{ topic: uniqueName('missing'), value: bytes('x') }]), TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        await expectTransportError(p.send([{ topic, partition: 2, value: bytes('x') }]), TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      });

      it('clusterId names the broker: the same for every transport to it, never empty', async () => {
        const a = await connect();
        const b = await connect();
        const id = await a.clusterId();
        expect(id.length).toBeGreaterThan(0);
        expect(await b.clusterId()).toBe(id);
        expect(await a.clusterId()).toBe(id);
      });

      it('fails every call before connect with NOT_CONNECTED', async () => {
        const t = harness.newTransport();
        opened.push(t);
        await expectTransportError(t.createTopics([{ topic: uniqueName('x'), partitions: 1 }]), TransportErrorCode.NOT_CONNECTED);
        await expectTransportError(t.producer(), TransportErrorCode.NOT_CONNECTED);
      });
    });

    describe('produce and consume', () => {
      it('keyed records land on murmur2 partitions, keep per-partition order and get increasing offsets', async () => {
        const t = await connect();
        const topic = await topicWith(t, 4);
        const p = await t.producer({ idempotent: true });
        const records: ProducerRecord[] = Array.from({ length: 200 }, (_, i) => ({
          topic,
          key: bytes(`key-${i % 37}`),
          value: bytes(`v${i}`),
          timestamp: 1_700_000_000_000 + i,
          headers: { trace: bytes(`h${i}`) },
        }));
        const meta = await p.send(records);
        expect(meta).toHaveLength(200);
        const perPartition = new Map<number, number[]>();
        meta.forEach((m, i) => {
          expect(m.topic).toBe(topic);
          expect(m.partition).toBe(partitionForKey(records[i]!.key!, 4));
          perPartition.set(m.partition, [...(perPartition.get(m.partition) ?? []), m.offset]);
        });
        for (const offsets of perPartition.values()) {
          expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
          expect(new Set(offsets).size).toBe(offsets.length);
        }
        const latest = await t.listOffsets(topic);
        for (const o of latest) expect(o.latest).toBe((perPartition.get(o.partition)?.length ?? 0) + o.earliest);

        const c = await t.consumer({ groupId: uniqueName('group') });
        await c.subscribe([topic]);
        const got = await pollUntil(c, (all) => all.length >= 200, waitMs);
        expect(got).toHaveLength(200);
        for (const part of [0, 1, 2, 3]) {
          const sent = records.filter((_, i) => meta[i]!.partition === part).map((r) => text(r.value));
          expect(values(got.filter((r) => r.partition === part))).toEqual(sent);
        }
        const first = got.find((r) => text(r.value) === 'v0')!;
        expect(text(first.key)).toBe('key-0');
        expect(first.timestamp).toBe(1_700_000_000_000);
        expect(text(first.headers['trace'] ?? null)).toBe('h0');
        expect(first.offset).toBe(meta[0]!.offset);
      });

      it('one send of several MiB per partition, over two topics, arrives whole and in order at the offsets it reported', async () => {
        const t = await connect();
        const [a, b] = [await topicWith(t, 2), await topicWith(t, 1)];
        const p = await t.producer({ idempotent: true });
        const pad = 'x'.repeat(1000);
        // More than a broker's default message.max.bytes (1 MiB) for every partition.
        const records: ProducerRecord[] = Array.from({ length: 6000 }, (_, i) => ({
          topic: i % 3 === 2 ? b : a,
          partition: i % 3 === 2 ? 0 : i % 2,
          key: bytes(`k${i}`),
          value: bytes(`${i}:${pad}`),
        }));
        const meta = await p.send(records);
        expect(meta).toHaveLength(records.length);
        for (const topic of [a, b]) {
          const got = await readAll(t, topic, 'read_uncommitted', waitMs);
          const sent = records.map((r, i) => ({ r, m: meta[i]! })).filter(({ r }) => r.topic === topic);
          expect(got).toHaveLength(sent.length);
          for (const part of new Set(sent.map(({ m }) => m.partition))) {
            const mine = sent.filter(({ m }) => m.partition === part);
            const read = got.filter((r) => r.partition === part);
            expect(read.map((r) => text(r.key))).toEqual(mine.map(({ r }) => text(r.key ?? null)));
            expect(read.map((r) => r.offset)).toEqual(mine.map(({ m }) => m.offset));
          }
        }
      });

      it('honours explicit partitions and round-trips null keys and values', async () => {
        const t = await connect();
        const topic = await topicWith(t, 3);
        const p = await t.producer();
        const meta = await p.send([
          { topic, partition: 2, key: null, value: bytes('a') },
          { topic, partition: 2, key: bytes('k'), value: null },
        ]);
        expect(meta.map((m) => [m.partition, m.offset])).toEqual([
          [2, 0],
          [2, 1],
        ]);
        const got = await readAll(t, topic, 'read_uncommitted', waitMs);
        expect(got.map((r) => [r.partition, text(r.key), text(r.value)])).toEqual([
          [2, null, 'a'],
          [2, 'k', null],
        ]);
      });

      it('a consumer of the same group resumes from the committed offset', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const groupId = uniqueName('group');
        const p = await t.producer();
        await p.send(Array.from({ length: 30 }, (_, i) => ({ topic, value: bytes(`v${i}`) })));
        expect(await t.committedOffsets(groupId, topic)).toEqual([{ partition: 0, offset: null }]);

        const c1 = await t.consumer({ groupId });
        await c1.subscribe([topic]);
        const first = await pollUntil(c1, (all) => all.length >= 10, waitMs, 10);
        expect(values(first)).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
        await c1.commit([{ topic, partition: 0, offset: first.at(-1)!.offset + 1 }]);
        expect(c1.position({ topic, partition: 0 })).toBe(10);
        await c1.close();
        expect(await t.committedOffsets(groupId, topic)).toEqual([{ partition: 0, offset: 10 }]);

        const c2 = await t.consumer({ groupId });
        await c2.subscribe([topic]);
        const rest = await pollUntil(c2, (all) => all.length >= 20, waitMs);
        expect(values(rest)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i + 10}`));
      });

      it("autoOffsetReset 'latest' skips records that existed before the assignment", async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer();
        await p.send([{ topic, value: bytes('old') }]);
        const c = await joinedConsumer(t, topic, { autoOffsetReset: 'latest' });
        await p.send([{ topic, value: bytes('new') }]);
        const got = await pollUntil(c, (all) => all.length >= 1, waitMs);
        expect(values(got)).toEqual(['new']);
      });

      it('pause holds back a partition until resume', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const c = await joinedConsumer(t, topic);
        expect(c.assignment().map(tpName).sort()).toEqual([`${topic}-0`, `${topic}-1`]);
        c.pause([{ topic, partition: 0 }]);
        expect(c.paused()).toEqual([{ topic, partition: 0 }]);
        const p = await t.producer();
        await p.send([
          { topic, partition: 0, value: bytes('p0') },
          { topic, partition: 1, value: bytes('p1') },
        ]);
        const whilePaused = await pollUntil(c, (all) => all.length >= 1, waitMs);
        whilePaused.push(...(await c.poll({ timeoutMs: 200 })));
        expect(values(whilePaused)).toEqual(['p1']);
        c.resume([{ topic, partition: 0 }]);
        expect(values(await pollUntil(c, (all) => all.length >= 1, waitMs))).toEqual(['p0']);
      });

      it('currentLag counts the records on the broker not yet polled: known from the assignment on, 0 once caught up', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const c = await joinedConsumer(t, topic);
        const [tp0, tp1] = [{ topic, partition: 0 }, { topic, partition: 1 }];
        expect([c.currentLag(tp0), c.currentLag(tp1)]).toEqual([0, 0]);
        expect(c.currentLag({ topic: `${topic}-other`, partition: 0 })).toBeUndefined();
        const p = await t.producer();
        await p.send(Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, value: bytes(`v${i}`) })));
        expect(values(await pollUntil(c, (all) => all.length >= 2, waitMs, 2))).toEqual(['v0', 'v1']);
        expect(c.currentLag(tp0)).toBe(3);
        await pollUntil(c, (all) => all.length >= 3, waitMs);
        expect([c.currentLag(tp0), c.currentLag(tp1)]).toEqual([0, 0]);
      });

      it('seek re-reads an assigned partition from an offset', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const c = await joinedConsumer(t, topic);
        const p = await t.producer();
        await p.send(['a', 'b', 'c'].map((v) => ({ topic, value: bytes(v) })));
        expect(values(await pollUntil(c, (all) => all.length >= 3, waitMs))).toEqual(['a', 'b', 'c']);
        c.seek({ topic, partition: 0 }, 1);
        expect(c.position({ topic, partition: 0 })).toBe(1);
        expect(values(await pollUntil(c, (all) => all.length >= 2, waitMs))).toEqual(['b', 'c']);
        expect(() => c.seek({ topic, partition: 5 }, 0)).toThrow(TransportError);
      });
    });

    describe('consumer groups', () => {
      it('two consumers split 4 partitions; after one closes the other owns all 4 and resumes from committed offsets', async () => {
        const [ta, tb] = [await connect(), await connect()];
        const topic = await topicWith(ta, 4);
        const groupId = uniqueName('group');
        const seen: { by: string; record: ConsumerRecord }[] = [];
        const revokedFromA: TopicPartition[][] = [];
        const a = await ta.consumer({ groupId, clientId: 'a' });
        const b = await tb.consumer({ groupId, clientId: 'b' });
        await a.subscribe([topic], { onPartitionsRevoked: (tps) => void revokedFromA.push([...tps]) });
        await b.subscribe([topic]);

        // Process, then commit what was processed: at-least-once without duplicates.
        const step = async (name: string, c: GroupConsumer, maxRecords = 50): Promise<void> => {
          const records = await c.poll({ timeoutMs: 100, maxRecords });
          const next = new Map<number, number>();
          for (const r of records) {
            seen.push({ by: name, record: r });
            next.set(r.partition, r.offset + 1);
          }
          if (next.size > 0) await c.commit([...next].map(([partition, offset]) => ({ topic, partition, offset })));
        };
        const until = async (cond: () => boolean, ...steps: (() => Promise<void>)[]): Promise<void> => {
          const deadline = Date.now() + waitMs;
          while (!cond()) {
            if (Date.now() > deadline) throw new Error('condition not met before the deadline');
            await Promise.all(steps.map((s) => s()));
          }
        };

        await until(() => a.assignment().length === 2 && b.assignment().length === 2, () => step('a', a), () => step('b', b));
        const owned = [...a.assignment(), ...b.assignment()].map(tpName).sort();
        expect(owned).toEqual([0, 1, 2, 3].map((p) => `${topic}-${p}`));
        const aOwned = new Set(a.assignment().map((tp) => tp.partition));

        const producer = await ta.producer();
        const send = (from: number, n: number) =>
          producer.send(Array.from({ length: n }, (_, i) => ({ topic, key: bytes(`k${from + i}`), value: bytes(`v${from + i}`) })));
        await send(0, 400);
        await until(() => seen.length >= 400, () => step('a', a), () => step('b', b));
        for (const s of seen) expect(aOwned.has(s.record.partition)).toBe(s.by === 'a');

        await send(400, 200);
        await step('a', a, 30); // a processes part of its new records, then leaves
        await a.close();
        expect(revokedFromA.at(-1)?.map(tpName).sort()).toEqual([...aOwned].map((p) => `${topic}-${p}`).sort());
        await until(() => b.assignment().length === 4 && seen.length >= 600, () => step('b', b));

        const got = seen.map((s) => text(s.record.value)).sort();
        expect(got).toEqual(Array.from({ length: 600 }, (_, i) => `v${i}`).sort());
        expect((await tb.committedOffsets(groupId, topic)).reduce((n, o) => n + (o.offset ?? 0), 0)).toBe(600);
      });

      it("a custom assignor sees every member's subscription userData and gives each member its own assignment userData", async () => {
        const [ta, tb] = [await connect(), await connect()];
        const topic = await topicWith(ta, 3);
        const groupId = uniqueName('group');
        const joins: Record<string, number> = { a: 0, b: 0 };
        // Not range: every partition goes to member 'a', so the assignor demonstrably ran.
        const assignorFor = (label: string): GroupAssignor => ({
          subscriptionUserData: () => bytes(`${label}${++joins[label]!}`),
          assign(members, partitionCount) {
            const labels = members.map((m) => (m.userData === undefined ? '-' : text(m.userData))).sort();
            const all = Array.from({ length: partitionCount(topic) ?? 0 }, (_, partition) => ({ topic, partition }));
            return new Map(
              members.map((m) => {
                const own = m.userData === undefined ? '-' : text(m.userData)!;
                return [m.memberId, { partitions: own.startsWith('a') ? all : [], userData: bytes(`${own}|${labels.join(',')}`) }];
              }),
            );
          },
        });
        const a = await ta.consumer({ groupId, clientId: 'a', assignor: assignorFor('a') });
        await a.subscribe([topic]);
        await pollUntil(a, () => a.assignment().length === 3 && a.assignmentUserData() !== undefined, waitMs);
        expect(text(a.assignmentUserData()!)).toMatch(/^a\d+\|a\d+$/);

        const b = await tb.consumer({ groupId, clientId: 'b', assignor: assignorFor('b') });
        await b.subscribe([topic]);
        const deadline = Date.now() + waitMs;
        const settled = (): boolean =>
          a.assignment().length === 3 && b.generation() !== undefined && b.assignment().length === 0 && text(a.assignmentUserData() ?? null)?.includes(',b') === true && b.assignmentUserData() !== undefined;
        while (!settled()) {
          if (Date.now() > deadline) throw new Error(`assignor rebalance not seen: a=${text(a.assignmentUserData() ?? null)} b=${text(b.assignmentUserData() ?? null)}`);
          await Promise.all([a.poll({ timeoutMs: 100 }), b.poll({ timeoutMs: 100 })]);
        }
        const [aData, bData] = [text(a.assignmentUserData()!)!, text(b.assignmentUserData()!)!];
        // Each member gets its own userData, and the leader saw both subscriptions' userData.
        expect(aData).toMatch(/^a\d+\|a\d+,b\d+$/);
        expect(bData).toMatch(/^b\d+\|a\d+,b\d+$/);
        expect(bData.split('|')[1]).toBe(aData.split('|')[1]);
        // subscriptionUserData runs at every join, not once per consumer.
        expect(joins['a']).toBeGreaterThanOrEqual(2);
      });

      it.skipIf(options.pollIsHeartbeat === true)('a live member that pauses polling longer than its session timeout keeps its partitions (heartbeats go on; poll gaps are bounded by max.poll.interval, not the session)', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const groupId = uniqueName('group');
        const a = await t.consumer({ groupId, sessionTimeoutMs: 6000 });
        let revoked = 0;
        let assigned = false;
        await a.subscribe([topic], { onPartitionsAssigned: () => void (assigned = true), onPartitionsRevoked: () => void revoked++ });
        await pollUntil(a, () => assigned, waitMs);
        const generation = a.generation()!.generationId;
        // A commit or a standby's catch-up between two polls can outlast a short session timeout.
        // Past two session timeouts: a member that stopped heartbeating after one would be gone.
        await new Promise((r) => setTimeout(r, 15_000));
        // Long enough for a heartbeat to learn of an eviction and the member to rejoin.
        for (const until = Date.now() + 5000; Date.now() < until; ) await a.poll({ timeoutMs: 200 });
        expect(revoked).toBe(0);
        expect(a.assignment()).toHaveLength(2);
        expect(a.generation()!.generationId).toBe(generation);
      }, 60_000);

      it('rebalance callbacks report the partitions given up and received', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const events: string[] = [];
        const c = await t.consumer({ groupId: uniqueName('group') });
        await c.subscribe([topic], {
          onPartitionsAssigned: (tps) => void events.push(`assigned ${tps.map(tpName).sort().join(',')}`),
          onPartitionsRevoked: (tps) => void events.push(`revoked ${tps.map(tpName).sort().join(',')}`),
        });
        await pollUntil(c, () => events.length > 0, waitMs);
        expect(c.generation()).toMatchObject({ generationId: expect.any(Number), memberId: expect.any(String) });
        await c.close();
        expect(events).toEqual([`assigned ${topic}-0,${topic}-1`, `revoked ${topic}-0,${topic}-1`]);
      });
    });

    describe('transactions', () => {
      it('committed records are visible to read_committed, aborted ones never; read_uncommitted sees both', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer({ transactionalId: uniqueName('tx') });
        expect(p.transactional).toBe(true);

        await p.beginTransaction();
        await p.send([{ topic, value: bytes('a1') }, { topic, value: bytes('a2') }]);
        // While open: the records exist but the last stable offset has not moved.
        const [uncommittedEnd] = await t.listOffsets(topic);
        const [stableEnd] = await t.listOffsets(topic, { isolation: 'read_committed' });
        expect(uncommittedEnd!.latest).toBe(2);
        expect(stableEnd!.latest).toBe(0);
        await p.commitTransaction();

        await p.beginTransaction();
        await p.send([{ topic, value: bytes('b1') }]);
        await p.abortTransaction();

        await p.beginTransaction();
        await p.send([{ topic, value: bytes('c1') }]);
        await p.commitTransaction();

        expect(values(await readAll(t, topic, 'read_committed', waitMs))).toEqual(['a1', 'a2', 'c1']);
        // As in Kafka: read_uncommitted returns aborted records too.
        expect(values(await readAll(t, topic, 'read_uncommitted', waitMs))).toEqual(['a1', 'a2', 'b1', 'c1']);

        const c = await t.consumer({ groupId: uniqueName('group'), isolation: 'read_committed' });
        await c.subscribe([topic]);
        expect(values(await pollUntil(c, (all) => all.length >= 3, waitMs))).toEqual(['a1', 'a2', 'c1']);
        expect(await c.poll({ timeoutMs: 100 })).toEqual([]);
      });

      it('transactional sends of many requests each, to partitions new and already in the transaction, commit whole and in order', async () => {
        const t = await connect();
        const topic = await topicWith(t, 3);
        const p = await t.producer({ transactionalId: uniqueName('tx') });
        const batch = (from: number, partitions: number) =>
          Array.from({ length: 3000 }, (_, i): ProducerRecord => ({ topic, partition: i % partitions, key: bytes(`k${from + i}`), value: bytes(String(from + i)) }));
        // Partition 2 joins the transaction in the second send, after 0 and 1 hold several requests' worth.
        const sends = [batch(0, 2), batch(3000, 3)];
        await p.beginTransaction();
        const meta = [...(await p.send(sends[0]!)), ...(await p.send(sends[1]!))];
        await p.commitTransaction();
        const sent = sends.flat();
        const got = await readAll(t, topic, 'read_committed', waitMs);
        expect(got).toHaveLength(sent.length);
        for (const part of [0, 1, 2]) {
          const mine = sent.map((r, i) => ({ r, m: meta[i]! })).filter(({ r }) => r.partition === part);
          const read = got.filter((r) => r.partition === part);
          expect(read.map((r) => text(r.value))).toEqual(mine.map(({ r }) => text(r.value)));
          expect(read.map((r) => r.offset)).toEqual(mine.map(({ m }) => m.offset));
        }
      });

      it('offsets sent in a transaction are committed with it, and dropped by an abort', async () => {
        const t = await connect();
        const input = await topicWith(t, 1);
        const output = await topicWith(t, 1);
        const groupId = uniqueName('group');
        const p = await t.producer({ transactionalId: uniqueName('tx') });

        await p.beginTransaction();
        await p.send([{ topic: output, value: bytes('out1') }]);
        await p.sendOffsets(groupId, [{ topic: input, partition: 0, offset: 5 }]);
        expect(await t.committedOffsets(groupId, input)).toEqual([{ partition: 0, offset: null }]);
        await p.commitTransaction();
        expect(await t.committedOffsets(groupId, input)).toEqual([{ partition: 0, offset: 5 }]);

        await p.beginTransaction();
        await p.send([{ topic: output, value: bytes('out2') }]);
        await p.sendOffsets(groupId, [{ topic: input, partition: 0, offset: 9 }]);
        await p.abortTransaction();
        expect(await t.committedOffsets(groupId, input)).toEqual([{ partition: 0, offset: 5 }]);
        expect(values(await readAll(t, output, 'read_committed', waitMs))).toEqual(['out1']);
      });

      it('sendOffsets accepts the generation of a current group member', async () => {
        const t = await connect();
        const input = await topicWith(t, 1);
        const c = await joinedConsumer(t, input);
        const generation = c.generation()!;
        const p = await t.producer({ transactionalId: uniqueName('tx') });
        await p.beginTransaction();
        await p.sendOffsets(generation.groupId, [{ topic: input, partition: 0, offset: 3 }], generation);
        await p.commitTransaction();
        expect(await t.committedOffsets(generation.groupId, input)).toEqual([{ partition: 0, offset: 3 }]);
      });

      it('sendOffsets with the generation of a member the group has moved past fails with COMMIT_FAILED; the current generation is accepted', async () => {
        const [ta, tb] = [await connect(), await connect()];
        const input = await topicWith(ta, 2);
        const groupId = uniqueName('group');
        const a = await ta.consumer({ groupId, clientId: 'a' });
        let aJoined = false;
        await a.subscribe([input], { onPartitionsAssigned: () => void (aJoined = true) });
        await pollUntil(a, () => aJoined, waitMs);
        const stale = a.generation()!;
        expect(a.assignment()).toHaveLength(2);
        // A second member: the group moves to a new generation that splits the partitions.
        const b = await tb.consumer({ groupId, clientId: 'b' });
        await b.subscribe([input]);
        const deadline = Date.now() + waitMs;
        while (!(a.assignment().length === 1 && b.assignment().length === 1 && (a.generation()?.generationId ?? stale.generationId) !== stale.generationId)) {
          if (Date.now() > deadline) throw new Error('the group did not settle on a new generation with both members');
          await Promise.all([a.poll({ timeoutMs: 100 }), b.poll({ timeoutMs: 100 })]);
        }
        const p = await ta.producer({ transactionalId: uniqueName('tx') });
        await p.beginTransaction();
        await expectTransportError(p.sendOffsets(groupId, [{ topic: input, partition: 0, offset: 7 }], stale), TransportErrorCode.COMMIT_FAILED);
        await p.abortTransaction();
        expect(await ta.committedOffsets(groupId, input)).toEqual([
          { partition: 0, offset: null },
          { partition: 1, offset: null },
        ]);
        const mine = a.assignment()[0]!;
        await p.beginTransaction();
        await p.sendOffsets(groupId, [{ ...mine, offset: 7 }], a.generation()!);
        await p.commitTransaction();
        expect((await ta.committedOffsets(groupId, input)).find((o) => o.partition === mine.partition)).toEqual({ partition: mine.partition, offset: 7 });
      });

      it('a read_committed member does not start a partition whose offsets an open transaction holds; it starts where that transaction commits them', async () => {
        const t = await connect();
        const input = await topicWith(t, 1);
        const groupId = uniqueName('group');
        const plain = await t.producer();
        await plain.send(Array.from({ length: 10 }, (_, i) => ({ topic: input, partition: 0, value: bytes(`v${i}`) })));
        const p = await t.producer({ transactionalId: uniqueName('tx') });
        await p.beginTransaction();
        await p.sendOffsets(groupId, [{ topic: input, partition: 0, offset: 6 }]);

        const c = await t.consumer({ groupId, isolation: 'read_committed', autoOffsetReset: 'earliest' });
        await c.subscribe([input]);
        const early: ConsumerRecord[] = [];
        for (const until = Date.now() + 3000; Date.now() < until; ) early.push(...(await c.poll({ timeoutMs: 100 })));
        expect(values(early)).toEqual([]);
        expect(c.assignment()).toEqual([]);

        await p.commitTransaction();
        expect(values(await pollUntil(c, (all) => all.length >= 4, waitMs))).toEqual(['v6', 'v7', 'v8', 'v9']);
      });

      it('a second producer with the same transactionalId fences the first and aborts its transaction', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const transactionalId = uniqueName('tx');
        const zombie = await t.producer({ transactionalId });
        await zombie.beginTransaction();
        await zombie.send([{ topic, value: bytes('zombie') }]);

        const successor = await t.producer({ transactionalId });
        await expectTransportError(zombie.send([{ topic, value: bytes('late') }]), TransportErrorCode.FENCED);
        await expectTransportError(zombie.commitTransaction(), TransportErrorCode.FENCED);
        await zombie.close();

        await successor.beginTransaction();
        await successor.send([{ topic, value: bytes('successor') }]);
        await successor.commitTransaction();
        expect(values(await readAll(t, topic, 'read_committed', waitMs))).toEqual(['successor']);
      });

      it('a transactional producer refuses to send outside a transaction', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer({ transactionalId: uniqueName('tx') });
        await expectTransportError(p.send([{ topic, value: bytes('x') }]), TransportErrorCode.ILLEGAL_STATE);
        await expectTransportError(p.commitTransaction(), TransportErrorCode.ILLEGAL_STATE);
        const plain = await t.producer();
        await expectTransportError(plain.beginTransaction(), TransportErrorCode.ILLEGAL_STATE);
      });
    });

    describe('compaction', () => {
      it('keeps the latest value per key and drops tombstones', async (ctx) => {
        if (harness.compact === undefined) return ctx.skip();
        const t = await connect();
        const topic = await topicWith(t, 1, { 'cleanup.policy': 'compact', 'delete.retention.ms': '0' });
        const p = await t.producer();
        const kv = (k: string, v: string | null): ProducerRecord => ({ topic, key: bytes(k), value: v === null ? null : bytes(v) });
        await p.send([kv('k1', 'v1'), kv('k2', 'v2'), kv('k1', 'v3'), kv('k2', null), kv('k3', 'v4'), kv('k3', 'v5')]);
        await harness.compact(topic);
        const got = await readAll(t, topic, 'read_uncommitted', waitMs);
        expect(got.map((r) => [text(r.key), text(r.value), r.offset])).toEqual([
          ['k1', 'v3', 2],
          ['k3', 'v5', 5],
        ]);
        expect((await t.listOffsets(topic))[0]).toEqual({ partition: 0, earliest: 0, latest: 6 });
      });

      it('rejects records without a key on a compacted topic', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1, { 'cleanup.policy': 'compact' });
        const p = await t.producer();
        await expectTransportError(p.send([{ topic, value: bytes('x') }]), TransportErrorCode.INVALID_RECORD);
      });
    });

    describe('size limits (Kafka defaults)', () => {
      it('refuses a record over 1 MiB with RIVULET_TRANSPORT_RECORD_TOO_LARGE and writes nothing of the send', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer();
        const big = new Uint8Array(1_100_000);
        await expectTransportError(p.send([{ topic, key: bytes('small'), value: bytes('x') }, { topic, key: bytes('big'), value: big }]), TransportErrorCode.RECORD_TOO_LARGE);
        expect((await t.listOffsets(topic))[0]?.latest).toBe(0);
      });

      it('splits a send of 2.4 MiB to one partition into batches the broker accepts', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer();
        const meta = await p.send(Array.from({ length: 24 }, (_, i) => ({ topic, key: bytes(`k${i}`), value: new Uint8Array(100_000) })));
        expect(meta.map((m) => m.offset)).toEqual(Array.from({ length: 24 }, (_, i) => i));
        expect((await t.listOffsets(topic))[0]?.latest).toBe(24);
      });

      it("refuses a batch over the topic's max.message.bytes (Kafka's MESSAGE_TOO_LARGE)", async () => {
        const t = await connect();
        const topic = await topicWith(t, 1, { 'max.message.bytes': '100000' });
        const p = await t.producer();
        await expectTransportError(
          p.send(Array.from({ length: 10 }, (_, i) => ({ topic, key: bytes(`k${i}`), value: new Uint8Array(20_000) }))),
          TransportErrorCode.RECORD_TOO_LARGE,
        );
      });
    });

    describe('reader', () => {
      it('reads assigned partitions from an offset and tracks its position', async () => {
        const t = await connect();
        const topic = await topicWith(t, 2);
        const p = await t.producer();
        await p.send(Array.from({ length: 10 }, (_, i) => ({ topic, partition: i % 2, value: bytes(`v${i}`) })));
        const r = await t.reader();
        r.assign([{ topic, partition: 1, offset: 2 }]);
        expect(r.assignment()).toEqual([{ topic, partition: 1 }]);
        const got = await pollUntil(r, (all) => all.length >= 3, waitMs);
        expect(values(got)).toEqual(['v5', 'v7', 'v9']);
        expect(r.position({ topic, partition: 1 })).toBe(5);
        r.seek({ topic, partition: 1 }, 4);
        expect(values(await pollUntil(r, (all) => all.length >= 1, waitMs))).toEqual(['v9']);
        await r.close();
      });

      it('fails with OFFSET_OUT_OF_RANGE when positioned beyond the log end', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const r = await t.reader();
        r.assign([{ topic, partition: 0, offset: 7 }]);
        await expectTransportError(r.poll({ timeoutMs: 0 }), TransportErrorCode.OFFSET_OUT_OF_RANGE);
      });

      it('deleteRecords moves the earliest offset', async () => {
        const t = await connect();
        const topic = await topicWith(t, 1);
        const p = await t.producer();
        await p.send(['a', 'b', 'c', 'd'].map((v) => ({ topic, value: bytes(v) })));
        await t.deleteRecords(topic, [{ partition: 0, offset: 2 }]);
        expect(await t.listOffsets(topic)).toEqual([{ partition: 0, earliest: 2, latest: 4 }]);
        expect(values(await readAll(t, topic, 'read_uncommitted', waitMs))).toEqual(['c', 'd']);
        await expectTransportError(t.deleteRecords(topic, [{ partition: 0, offset: 99 }]), TransportErrorCode.OFFSET_OUT_OF_RANGE);
      });
    });
  });
}
