import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/errors.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import type { EmbeddedTransport } from '../../../src/transport/embedded/embedded-transport.js';
import { TransportErrorCode } from '../../../src/transport/transport-error-codes.js';
import type { ConsumerRecord, GroupConsumer, TopicPartition } from '../../../src/transport/transport.js';
import {
  bytes,
  describeTransport,
  expectTransportError,
  pollUntil,
  readAll,
  text,
  uniqueName,
} from '../../support/transport-contract.js';

describeTransport('embedded broker', () => {
  const broker = new EmbeddedBroker();
  return {
    newTransport: () => broker.transport(),
    compact: async (topic) => broker.compact(topic),
    close: async () => broker.close(),
  };
}, { pollIsHeartbeat: true });

const WAIT = 5_000;
const values = (records: readonly ConsumerRecord[]): (string | null)[] => records.map((r) => text(r.value));

describe('EmbeddedBroker specifics', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  const setup = async (): Promise<{ broker: EmbeddedBroker; connect: () => Promise<EmbeddedTransport> }> => {
    const broker = new EmbeddedBroker({ compactionThreshold: 100 });
    const transports: EmbeddedTransport[] = [];
    cleanup.push(async () => {
      await Promise.allSettled(transports.map((t) => t.close()));
      broker.close();
    });
    const connect = async (): Promise<EmbeddedTransport> => {
      const t = broker.transport();
      await t.connect();
      transports.push(t);
      return t;
    };
    return { broker, connect };
  };

  it('every broker has a cluster id of its own: its log lives in memory and dies with it', async () => {
    const a = await setup();
    const b = await setup();
    expect(await (await a.connect()).clusterId()).not.toBe(await (await b.connect()).clusterId());
  });

  it('shares topics, groups and offsets between transports of one broker', async () => {
    const { broker, connect } = await setup();
    const [a, b] = [await connect(), await connect()];
    await a.createTopics([{ topic: 'shared', partitions: 2, config: { 'retention.ms': '1000' } }]);
    expect(await b.partitionCount('shared')).toBe(2);
    expect(broker.topics()).toEqual(['shared']);
    expect(broker.describeTopic('shared')).toEqual({ name: 'shared', partitions: 2, compacted: false, config: { 'retention.ms': '1000' } });
  });

  it('validates topic specs like Kafka', async () => {
    const { connect } = await setup();
    const t = await connect();
    await expectTransportError(t.createTopics([{ topic: 'bad name', partitions: 1 }]), TransportErrorCode.INVALID_ARGUMENT);
    await expectTransportError(t.createTopics([{ topic: 'ok', partitions: 0 }]), TransportErrorCode.INVALID_ARGUMENT);
    await expectTransportError(
      t.createTopics([{ topic: 'ok', partitions: 1, config: { 'cleanup.policy': 'sometimes' } }]),
      TransportErrorCode.INVALID_ARGUMENT,
    );
    expect(await t.partitionCount('ok')).toBeUndefined();
  });

  it('stores the producer’s byte arrays without copying them', async () => {
    const { broker, connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const key = bytes('k');
    const value = bytes('v');
    await (await t.producer()).send([{ topic: 't', key, value }]);
    const [stored] = broker.records('t', 0);
    expect(stored!.key).toBe(key);
    expect(stored!.value).toBe(value);
  });

  it('transaction markers take offsets, and read_committed positions move past them', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const p = await t.producer({ transactionalId: 'tx' });
    await p.beginTransaction();
    const [m1] = await p.send([{ topic: 't', value: bytes('a') }]);
    await p.commitTransaction();
    await p.beginTransaction();
    const [m2] = await p.send([{ topic: 't', value: bytes('b') }]);
    await p.commitTransaction();
    expect([m1!.offset, m2!.offset]).toEqual([0, 2]);
    expect(await t.listOffsets('t', { isolation: 'read_committed' })).toEqual([{ partition: 0, earliest: 0, latest: 4 }]);
    const r = await t.reader({ isolation: 'read_committed' });
    r.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const got = await pollUntil(r, () => (r.position({ topic: 't', partition: 0 }) ?? 0) >= 4, WAIT);
    expect(values(got)).toEqual(['a', 'b']);
  });

  it('an open transaction holds back read_committed readers of every partition it wrote until it commits', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 2 }]);
    const tx = await t.producer({ transactionalId: 'tx' });
    const plain = await t.producer();
    await tx.beginTransaction();
    await tx.send([{ topic: 't', partition: 0, value: bytes('tx0') }, { topic: 't', partition: 1, value: bytes('tx1') }]);
    await plain.send([{ topic: 't', partition: 0, value: bytes('after') }]);
    const c = await t.consumer({ groupId: 'g', isolation: 'read_committed' });
    await c.subscribe(['t']);
    expect(await c.poll({ timeoutMs: 50 })).toEqual([]);
    const waiting = pollUntil(c, (all) => all.length >= 3, WAIT);
    await tx.commitTransaction();
    const got = await waiting;
    expect(values(got.filter((r) => r.partition === 0))).toEqual(['tx0', 'after']);
    expect(values(got.filter((r) => r.partition === 1))).toEqual(['tx1']);
  });

  it('poll waits for data and returns as soon as it arrives', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const c = await t.consumer({ groupId: 'g' });
    await c.subscribe(['t']);
    await c.poll({ timeoutMs: 0 });
    const p = await t.producer();
    const started = Date.now();
    const polled = c.poll({ timeoutMs: 10_000 });
    setTimeout(() => void p.send([{ topic: 't', value: bytes('x') }]), 20);
    expect(values(await polled)).toEqual(['x']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('close interrupts a waiting poll', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const c = await t.consumer({ groupId: 'g' });
    await c.subscribe(['t']);
    const polled = c.poll({ timeoutMs: 10_000 });
    await new Promise((r) => setImmediate(r));
    await c.close();
    expect(await polled).toEqual([]);
    await expectTransportError(c.poll(), TransportErrorCode.CLOSED);
  });

  it('does not starve the event loop when records are always available', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const p = await t.producer();
    await p.send(Array.from({ length: 2_000 }, () => ({ topic: 't', value: bytes('x') })));
    const c = await t.consumer({ groupId: 'g' });
    await c.subscribe(['t']);
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let polls = 0;
    let read = 0;
    while (read < 2_000) {
      read += (await c.poll({ maxRecords: 10 })).length;
      polls++;
    }
    ticking = false;
    // Every poll gives the event loop a turn.
    expect(turns).toBeGreaterThanOrEqual(polls - 1);

    // A tight send loop yields too (on a time budget rather than every call).
    turns = 0;
    ticking = true;
    setImmediate(tick);
    const until = Date.now() + 50;
    while (Date.now() < until) await p.send([{ topic: 't', value: bytes('y') }]);
    ticking = false;
    expect(turns).toBeGreaterThan(2);
  });

  it('rejects a second concurrent poll on one consumer', async () => {
    const { connect } = await setup();
    const t = await connect();
    await t.createTopics([{ topic: 't', partitions: 1 }]);
    const c = await t.consumer({ groupId: 'g' });
    await c.subscribe(['t']);
    const first = c.poll({ timeoutMs: 50 });
    await expectTransportError(c.poll(), TransportErrorCode.ILLEGAL_STATE);
    await first;
    await expectTransportError(async () => (await t.consumer({ groupId: 'h' })).poll(), TransportErrorCode.ILLEGAL_STATE);
  });

  describe('groups', () => {
    const track = (c: GroupConsumer, log: string[], name: string) =>
      c.subscribe(['t'], {
        onPartitionsAssigned: (tps) => void log.push(`${name} assigned ${tps.map((tp) => tp.partition).join(',')}`),
        onPartitionsRevoked: (tps) => void log.push(`${name} revoked ${tps.map((tp) => tp.partition).join(',')}`),
        onPartitionsLost: (tps) => void log.push(`${name} lost ${tps.map((tp) => tp.partition).join(',')}`),
      });

    it('evicts a member that stops polling; it loses its partitions and its commits fail', async () => {
      const { broker, connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 4 }]);
      const log: string[] = [];
      const a = await t.consumer({ groupId: 'g', clientId: 'a', sessionTimeoutMs: 150 });
      const b = await t.consumer({ groupId: 'g', clientId: 'b', sessionTimeoutMs: 150 });
      await track(a, log, 'a');
      await track(b, log, 'b');
      const deadline = Date.now() + WAIT;
      while (a.assignment().length !== 2 || b.assignment().length !== 2) {
        if (Date.now() > deadline) throw new Error('no stable split');
        await Promise.all([a.poll({ timeoutMs: 20 }), b.poll({ timeoutMs: 20 })]);
      }
      const staleGeneration = a.generation()!;

      // a stops polling; b keeps polling and takes everything once a's session expires.
      while (b.assignment().length !== 4) {
        if (Date.now() > deadline) throw new Error('b never took over');
        await b.poll({ timeoutMs: 50 });
      }
      expect(broker.describeGroup('g')!.members.map((m) => m.clientId)).toEqual(['b']);
      await expectTransportError(a.commit([{ topic: 't', partition: 0, offset: 1 }]), TransportErrorCode.COMMIT_FAILED);
      const tx = await t.producer({ transactionalId: 'tx' });
      await tx.beginTransaction();
      await expectTransportError(
        tx.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }], staleGeneration),
        TransportErrorCode.COMMIT_FAILED,
      );
      await tx.abortTransaction();

      // a's next poll reports the loss and rejoins as a new member.
      await a.poll({ timeoutMs: 0 });
      expect(log).toContain('a lost 0,1');
      while (a.assignment().length !== 2 || b.assignment().length !== 2) {
        if (Date.now() > deadline) throw new Error('no split after rejoin');
        await Promise.all([a.poll({ timeoutMs: 20 }), b.poll({ timeoutMs: 20 })]);
      }
      expect(a.generation()!.memberId).not.toBe(staleGeneration.memberId);
    });

    it('a crashed (abandoned) instance is evicted after its session timeout and its open transaction aborted by timeout', async () => {
      const { broker, connect } = await setup();
      const crashing = await connect();
      const survivor = await connect();
      await survivor.createTopics([{ topic: 't', partitions: 2 }, { topic: 'out', partitions: 1 }]);
      const dead = await crashing.consumer({ groupId: 'g', sessionTimeoutMs: 100 });
      await dead.subscribe(['t']);
      await dead.poll({ timeoutMs: 0 });
      expect(dead.assignment()).toHaveLength(2);
      const deadTx = await crashing.producer({ transactionalId: 'dead-tx', transactionTimeoutMs: 150 });
      await deadTx.beginTransaction();
      await deadTx.send([{ topic: 'out', value: bytes('never') }]);
      await deadTx.sendOffsets('g', [{ topic: 't', partition: 0, offset: 1 }]);
      crashing.abandon();

      const live = await survivor.consumer({ groupId: 'g' });
      await live.subscribe(['t']);
      const deadline = Date.now() + WAIT;
      while (live.assignment().length !== 2) {
        if (Date.now() > deadline) throw new Error('survivor never took over');
        await live.poll({ timeoutMs: 50 });
      }
      // The survivor only got the partitions once the dead transaction (holding offsets for them) was gone.
      expect(await survivor.committedOffsets('g', 't')).toEqual([
        { partition: 0, offset: null },
        { partition: 1, offset: null },
      ]);
      expect(values(await readAll(survivor, 'out', 'read_committed', WAIT))).toEqual([]);
      expect(broker.records('out', 0, 'read_uncommitted').map((r) => text(r.value))).toEqual(['never']);
      await expectTransportError(deadTx.send([]), TransportErrorCode.CLOSED);
    });

    it('a member taking over waits for an open transaction holding offsets of its partitions (KIP-447)', async () => {
      const { connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 1 }]);
      const p = await t.producer();
      await p.send(Array.from({ length: 5 }, (_, i) => ({ topic: 't', value: bytes(`v${i}`) })));
      const tx = await t.producer({ transactionalId: 'tx' });
      await tx.beginTransaction();
      await tx.sendOffsets('g', [{ topic: 't', partition: 0, offset: 3 }]);
      const c = await t.consumer({ groupId: 'g' });
      await c.subscribe(['t']);
      expect(await c.poll({ timeoutMs: 50 })).toEqual([]);
      expect(c.assignment()).toEqual([]);
      const got = pollUntil(c, (all) => all.length >= 2, WAIT);
      await tx.commitTransaction();
      expect(values(await got)).toEqual(['v3', 'v4']);
    });

    it('a member leaving mid-rebalance does not make the others revoke twice', async () => {
      const { broker, connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 3 }]);
      const logs: string[][] = [[], [], []];
      const cs = await Promise.all([0, 1, 2].map((i) => t.consumer({ groupId: 'g', clientId: `c${i}` })));
      for (const [i, c] of cs.entries()) await track(c, logs[i]!, `c${i}`);
      const deadline = Date.now() + WAIT;
      while (cs.some((c) => c.assignment().length !== 1)) {
        if (Date.now() > deadline) throw new Error('no split');
        await Promise.all(cs.map((c) => c.poll({ timeoutMs: 20 })));
      }
      for (const l of logs) l.length = 0;
      // c0 rejoins a new rebalance (triggered by c2's subscribe), then c2 leaves before c1 joins.
      await track(cs[2]!, logs[2]!, 'c2');
      await cs[0]!.poll({ timeoutMs: 0 });
      expect(broker.describeGroup('g')!.state).toBe('PreparingRebalance');
      await cs[2]!.close();
      while (cs[0]!.assignment().length === 0 || cs[1]!.assignment().length === 0) {
        if (Date.now() > deadline) throw new Error('no split after leave');
        await Promise.all([cs[0]!.poll({ timeoutMs: 20 }), cs[1]!.poll({ timeoutMs: 20 })]);
      }
      expect(logs[0]).toEqual(['c0 revoked 0', 'c0 assigned 0,1']);
      expect(logs[1]).toEqual(['c1 revoked 1', 'c1 assigned 2']);
      expect(logs[2]).toEqual(['c2 revoked 2']);
    });

    it('rebalances when a subscribed topic is created later', async () => {
      const { connect } = await setup();
      const t = await connect();
      const c = await t.consumer({ groupId: 'g' });
      const log: string[] = [];
      await track(c, log, 'c');
      await c.poll({ timeoutMs: 0 });
      expect(log).toEqual(['c assigned ']);
      await t.createTopics([{ topic: 't', partitions: 2 }]);
      await (await t.producer()).send([{ topic: 't', partition: 1, value: bytes('x') }]);
      expect(values(await pollUntil(c, (all) => all.length >= 1, WAIT))).toEqual(['x']);
      expect(log).toEqual(['c assigned ', 'c assigned 0,1']);
    });

    it('splits co-partitioned topics identically (range assignment)', async () => {
      const { connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 'left', partitions: 3 }, { topic: 'right', partitions: 3 }]);
      const members = await Promise.all([0, 1].map(() => t.consumer({ groupId: 'g' })));
      for (const m of members) await m.subscribe(['left', 'right']);
      const deadline = Date.now() + WAIT;
      while (members.some((m) => m.assignment().length === 0)) {
        if (Date.now() > deadline) throw new Error('no split');
        await Promise.all(members.map((m) => m.poll({ timeoutMs: 20 })));
      }
      for (const m of members) {
        const by = (topic: string) => m.assignment().filter((tp: TopicPartition) => tp.topic === topic).map((tp) => tp.partition);
        expect(by('left')).toEqual(by('right'));
      }
    });
  });

  describe('transactions', () => {
    it('a transaction open longer than its timeout is aborted and its producer fenced', async () => {
      const { connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 1 }]);
      const p = await t.producer({ transactionalId: 'tx', transactionTimeoutMs: 50 });
      await p.beginTransaction();
      await p.send([{ topic: 't', value: bytes('slow') }]);
      const r = await t.reader({ isolation: 'read_committed' });
      r.assign([{ topic: 't', partition: 0, offset: 0 }]);
      // The abort marker moves the last stable offset past the aborted record.
      await pollUntil(r, () => (r.position({ topic: 't', partition: 0 }) ?? 0) >= 2, WAIT);
      const err = await expectTransportError(p.commitTransaction(), TransportErrorCode.FENCED);
      expect(err.message).toMatch(/transactionTimeoutMs/);
      expect(await r.poll()).toEqual([]);
    });

    it('an idle transactional producer is not timed out: transactions start at the first write', async () => {
      const { connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 1 }]);
      const p = await t.producer({ transactionalId: 'tx', transactionTimeoutMs: 20 });
      await p.beginTransaction();
      await new Promise((r) => setTimeout(r, 60));
      await p.send([{ topic: 't', value: bytes('ok') }]);
      await p.commitTransaction();
      expect(values(await readAll(t, 't', 'read_committed', WAIT))).toEqual(['ok']);
    });

    it('closing a producer aborts its open transaction', async () => {
      const { connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 't', partitions: 1 }]);
      const p = await t.producer({ transactionalId: 'tx' });
      await p.beginTransaction();
      await p.send([{ topic: 't', value: bytes('x') }]);
      await p.close();
      expect(await t.listOffsets('t', { isolation: 'read_committed' })).toEqual([{ partition: 0, earliest: 0, latest: 2 }]);
      expect(values(await readAll(t, 't', 'read_committed', WAIT))).toEqual([]);
    });
  });

  describe('compaction', () => {
    it('runs automatically once a compacted log grows past the threshold', async () => {
      const { broker, connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
      const p = await t.producer();
      for (let i = 0; i < 1_000; i++) await p.send([{ topic: 'c', key: bytes(`k${i % 10}`), value: bytes(`v${i}`) }]);
      // Threshold 100 with doubling: never more than about twice the live keys plus the threshold.
      expect(broker.storedEntries('c', 0)).toBeLessThanOrEqual(110);
      const latest = new Map(broker.records('c', 0).map((r) => [text(r.key), text(r.value)]));
      for (let k = 0; k < 10; k++) expect(latest.get(`k${k}`)).toBe(`v${990 + k}`);
    });

    it('keeps a tombstone for delete.retention.ms after compaction first sees it', async () => {
      const { broker, connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact', 'delete.retention.ms': '40' } }]);
      const p = await t.producer();
      await p.send([{ topic: 'c', key: bytes('k'), value: bytes('v') }, { topic: 'c', key: bytes('k'), value: null }]);
      broker.compact('c');
      expect(broker.records('c', 0).map((r) => [r.offset, r.value])).toEqual([[1, null]]);
      await new Promise((r) => setTimeout(r, 60));
      broker.compact('c');
      expect(broker.records('c', 0)).toEqual([]);
    });

    it('leaves open transactions alone and drops aborted records and markers', async () => {
      const { broker, connect } = await setup();
      const t = await connect();
      await t.createTopics([{ topic: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
      const p = await t.producer({ transactionalId: 'tx' });
      await p.beginTransaction();
      await p.send([{ topic: 'c', key: bytes('a'), value: bytes('aborted') }]);
      await p.abortTransaction();
      await p.beginTransaction();
      await p.send([{ topic: 'c', key: bytes('b'), value: bytes('b1') }]);
      await p.commitTransaction();
      await p.beginTransaction();
      await p.send([{ topic: 'c', key: bytes('b'), value: bytes('open') }]);
      broker.compact('c');
      // Kept: b1 (offset 2) and the open record (offset 4); aborted record and both markers dropped.
      expect(broker.storedEntries('c', 0)).toBe(2);
      await p.commitTransaction();
      expect(values(await readAll(t, 'c', 'read_committed', WAIT))).toEqual(['b1', 'open']);
    });
  });

  it('expires records by retention.ms (append time) only when configured', async () => {
    const { broker, connect } = await setup();
    const t = await connect();
    await t.createTopics([
      { topic: 'short', partitions: 1, config: { 'retention.ms': '30' } },
      { topic: 'default', partitions: 1 },
    ]);
    const p = await t.producer();
    const old = { value: bytes('old'), timestamp: 0 };
    await p.send([{ topic: 'short', ...old }, { topic: 'default', ...old }]);
    await new Promise((r) => setTimeout(r, 50));
    await p.send([{ topic: 'short', value: bytes('new') }, { topic: 'default', value: bytes('new') }]);
    expect(await t.listOffsets('short')).toEqual([{ partition: 0, earliest: 1, latest: 2 }]);
    expect(values(broker.records('short', 0))).toEqual(['new']);
    // Record timestamps from 1970 do not matter: nothing expires without retention.ms.
    expect(values(broker.records('default', 0))).toEqual(['old', 'new']);
  });

  it('errors carry the TransportError class, a code and a message with the remedy', async () => {
    const { connect } = await setup();
    const t = await connect();
    const err = await expectTransportError(t.listOffsets('nope'), TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toBe("Transport.listOffsets: topic must exist (got 'nope'); create it with createTopics first");
    await expectTransportError(t.consumer({ groupId: '' }), TransportErrorCode.INVALID_ARGUMENT);
    await expectTransportError(t.producer({ transactionalId: '' }), TransportErrorCode.INVALID_ARGUMENT);
    await expectTransportError(t.reader({ isolation: 'snapshot' as never }), TransportErrorCode.INVALID_ARGUMENT);
    expect(uniqueName('x')).not.toBe(uniqueName('x'));
  });
});
