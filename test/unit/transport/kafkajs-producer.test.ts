import { describe, expect, it } from 'vitest';
import type { Producer as KafkaJsProducer, ProducerBatch, RecordMetadata as KafkaJsRecordMetadata } from 'kafkajs';
import type { KafkaJsContext } from '../../../src/transport/kafkajs/kafkajs-context.js';
import { KafkaJsProducerClient, MAX_IN_FLIGHT } from '../../../src/transport/kafkajs/kafkajs-producer.js';
import { kafkajsModule } from '../../../src/transport/kafkajs/kafkajs-internals.js';

/** A context whose partition counts are known up front, counting the awaited look-ups. */
function fakeContext(counts: Record<string, number>, cached: boolean): { ctx: KafkaJsContext; lookups: string[] } {
  const lookups: string[] = [];
  const ctx = {
    cachedPartitionCount: (topic: string) => (cached ? counts[topic] : undefined),
    requirePartitionCount: async (topic: string) => {
      lookups.push(topic);
      const n = counts[topic];
      if (n === undefined) throw new Error(`no topic ${topic}`);
      return n;
    },
  } as unknown as KafkaJsContext;
  return { ctx, lookups };
}

/** A kafkajs producer that records what it was asked to send and answers with base offsets 100, 200, ... */
function fakeProducer(): { producer: KafkaJsProducer; batches: ProducerBatch[] } {
  const batches: ProducerBatch[] = [];
  const producer = {
    sendBatch: async (batch: ProducerBatch): Promise<KafkaJsRecordMetadata[]> => {
      batches.push(batch);
      const out: KafkaJsRecordMetadata[] = [];
      for (const { topic, messages } of batch.topicMessages ?? []) {
        for (const p of new Set(messages.map((m) => m.partition!))) out.push({ topicName: topic, partition: p, errorCode: 0, baseOffset: String(100 * (p + 1)) });
      }
      return out;
    },
    disconnect: async () => undefined,
  } as unknown as KafkaJsProducer;
  return { producer, batches };
}

const records = Array.from({ length: 50 }, (_, i) => ({
  topic: i % 2 === 0 ? 'a' : 'b',
  partition: i % 3,
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`v${i}`),
  timestamp: 1_700_000_000_000 + i,
}));

describe('KafkaJsProducerClient.send', () => {
  it('looks up each topic\'s partition count at most once per send, and not at all when cached', async () => {
    for (const cached of [true, false]) {
      const { ctx, lookups } = fakeContext({ a: 3, b: 3 }, cached);
      const client = new KafkaJsProducerClient(ctx, fakeProducer().producer, false, () => undefined);
      await client.send(records);
      expect(lookups.sort()).toEqual(cached ? [] : ['a', 'b']);
    }
  });

  it('hands kafkajs number timestamps and reports per-record offsets and timestamps in order', async () => {
    const { ctx } = fakeContext({ a: 3, b: 3 }, true);
    const { producer, batches } = fakeProducer();
    const client = new KafkaJsProducerClient(ctx, producer, false, () => undefined);
    const metadata = await client.send(records);
    const sent = batches.flatMap((b) => b.topicMessages!.flatMap((t) => t.messages));
    expect(sent.every((m) => typeof m.timestamp === 'number')).toBe(true);
    const next = new Map<string, number>();
    metadata.forEach((m, i) => {
      const r = records[i]!;
      const key = `${r.topic}/${r.partition}`;
      const offset = next.get(key) ?? 100 * (r.partition + 1);
      next.set(key, offset + 1);
      expect(m).toEqual({ topic: r.topic, partition: r.partition, offset, timestamp: r.timestamp });
    });
  });

  it('refetches the count for a partition past the cached one and fails only if it is still out of range', async () => {
    const { ctx, lookups } = fakeContext({ a: 3 }, true);
    const client = new KafkaJsProducerClient(ctx, fakeProducer().producer, false, () => undefined);
    await expect(client.send([{ topic: 'a', partition: 3, key: null, value: null }])).rejects.toThrow(/partition must be < 3 for topic 'a' \(got 3\)/);
    expect(lookups).toEqual(['a']);
  });

  it('sends again the partitions kafkajs resolved a send without writing (a leader moved to a broker that had already answered)', async () => {
    const { ctx } = fakeContext({ a: 3, b: 3 }, true);
    const { producer, batches } = fakeProducer();
    const answer = producer.sendBatch.bind(producer);
    // kafkajs's sendBatch keys its retries by broker: the first call answers for partition 0 only,
    // as when partitions 1 and 2 moved to the broker that had already answered for partition 0.
    let calls = 0;
    producer.sendBatch = async (batch) => {
      const out = await answer(batch);
      return calls++ === 0 ? out.filter((m) => m.partition === 0) : out;
    };
    const client = new KafkaJsProducerClient(ctx, producer, false, () => undefined);
    const metadata = await client.send(records);
    expect(metadata.every((m) => m.offset >= 100)).toBe(true);
    expect(batches).toHaveLength(2);
    const resent = batches[1]!.topicMessages!.flatMap((t) => t.messages.map((m) => m.partition));
    expect(new Set(resent)).toEqual(new Set([1, 2]));
    expect(resent).toHaveLength(records.filter((r) => r.partition !== 0).length);
    expect(client.unansweredResends).toBe(4);
  });

  it('fails retriably when partitions stay unanswered, instead of reporting them written', async () => {
    const { ctx } = fakeContext({ a: 3 }, true);
    const { producer } = fakeProducer();
    producer.sendBatch = async () => [];
    const client = new KafkaJsProducerClient(ctx, producer, false, () => undefined);
    const err = await client.send([{ topic: 'a', partition: 1, key: null, value: Buffer.from('x') }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RIVULET_TRANSPORT_NOT_CONNECTED', retriable: true });
    expect(String((err as Error).message)).toMatch(/no broker acknowledged a-1 after 10 attempts/);
  });
});

/**
 * A kafkajs idempotent producer as far as ordering goes: each sendBatch takes the
 * eosManager's broker lock (a kafkajs Lock with its 0xffff timeout), then its
 * sequence numbers, and holds the lock until its answer. Calls reach the lock
 * after `delayOf(call)` timer ticks, so later calls can get there first.
 */
function lockingProducer(opts: { delayOf: (call: number) => number; failCall?: number; unansweredCall?: number }) {
  const Lock = kafkajsModule<new (o: { timeout: number }) => { acquire(): Promise<void>; release(): Promise<void> }>('utils/lock.js');
  const lock = new Lock({ timeout: 0xffff });
  const taken: { call: number; first: number; values: string[] }[] = [];
  let calls = 0;
  let sequence = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const producer = {
    sendBatch: async (batch: ProducerBatch): Promise<KafkaJsRecordMetadata[]> => {
      const call = calls++;
      for (let i = opts.delayOf(call); i > 0; i--) await new Promise((r) => setImmediate(r));
      await lock.acquire();
      const messages = (batch.topicMessages ?? []).flatMap((t) => t.messages);
      taken.push({ call, first: sequence, values: messages.map((m) => String(m.value)) });
      const base = sequence;
      sequence += messages.length;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 5));
        if (call === opts.failCall) throw Object.assign(new Error('request timed out'), { name: 'KafkaJSRequestTimeoutError', retriable: true });
        // kafkajs's per-broker retry bookkeeping: resolved, nothing written, sequence not advanced.
        if (call === opts.unansweredCall) {
          sequence = base;
          return [];
        }
        return (batch.topicMessages ?? []).map((t) => ({ topicName: t.topic, partition: 0, errorCode: 0, baseOffset: String(base) }));
      } finally {
        inFlight--;
        await lock.release();
      }
    },
    disconnect: async () => undefined,
  } as unknown as KafkaJsProducer;
  return { producer, taken, maxInFlight: () => maxInFlight, calls: () => calls };
}

describe('KafkaJsProducerClient.send with requests in flight', () => {
  // 1,500 records for one partition: six requests of 250.
  const many = Array.from({ length: 1500 }, (_, i) => ({ topic: 'a', partition: 0, key: null, value: Buffer.from(String(i)), timestamp: 1_700_000_000_000 }));

  it('an idempotent producer keeps up to 5 requests in flight, with sequence numbers in request order even when later requests reach the lock first', async () => {
    const { ctx } = fakeContext({ a: 1 }, true);
    // The first request reaches the lock last: kafkajs's own FIFO lock would number it after the others.
    const fake = lockingProducer({ delayOf: (call) => 6 - call });
    const client = new KafkaJsProducerClient(ctx, fake.producer, false, () => undefined, { idempotent: true });
    const metadata = await client.send(many);
    expect(fake.maxInFlight()).toBeGreaterThan(1);
    expect(fake.maxInFlight()).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    // Sequence numbers in record order: the broker appends in that order.
    const bySequence = [...fake.taken].sort((x, y) => x.first - y.first).flatMap((t) => t.values);
    expect(bySequence).toEqual(many.map((r) => String(r.value)));
    expect(metadata.map((m) => m.offset)).toEqual(many.map((_, i) => i));
  });

  it('a plain producer sends one request at a time', async () => {
    const { ctx } = fakeContext({ a: 1 }, true);
    const fake = lockingProducer({ delayOf: () => 0 });
    const client = new KafkaJsProducerClient(ctx, fake.producer, false, () => undefined);
    await client.send(many);
    expect(fake.maxInFlight()).toBe(1);
  });

  it('a request failing while others are in flight fails the send after all settled, and the producer refuses further sends (retriably)', async () => {
    const { ctx } = fakeContext({ a: 1 }, true);
    const fake = lockingProducer({ delayOf: () => 0, failCall: 2 });
    const client = new KafkaJsProducerClient(ctx, fake.producer, false, () => undefined, { idempotent: true });
    await expect(client.send(many)).rejects.toMatchObject({ code: 'RIVULET_TRANSPORT_NOT_CONNECTED' });
    const calls = fake.calls();
    const again = await client.send(many.slice(0, 1)).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'RIVULET_TRANSPORT_ILLEGAL_STATE', retriable: true });
    expect(fake.calls()).toBe(calls);
  });

  it('a partition left unanswered while later requests are in flight fails the send retriably instead of being sent again out of order', async () => {
    const { ctx } = fakeContext({ a: 1 }, true);
    const fake = lockingProducer({ delayOf: () => 0, unansweredCall: 1 });
    const client = new KafkaJsProducerClient(ctx, fake.producer, false, () => undefined, { idempotent: true });
    const err = await client.send(many).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RIVULET_TRANSPORT_NOT_CONNECTED', retriable: true });
    expect(String((err as Error).message)).toMatch(/no broker acknowledged a-0 after 1 attempt /);
    expect(client.unansweredResends).toBe(0);
    // Later requests used the sequence numbers after the lost one: the producer must be replaced.
    await expect(client.send(many.slice(0, 1))).rejects.toMatchObject({ code: 'RIVULET_TRANSPORT_ILLEGAL_STATE', retriable: true });
  });
});

describe('KafkaJsProducerClient.sendOffsets', () => {
  /** A transactional kafkajs producer whose sendOffsets fails with `failures` in turn, then succeeds. */
  function transactional(failures: { type: string; code: number }[]): { producer: KafkaJsProducer; calls: () => number } {
    let calls = 0;
    const tx = {
      sendOffsets: async () => {
        const f = failures[calls++];
        if (f !== undefined) throw Object.assign(new Error(`broker said ${f.type}`), { name: 'KafkaJSProtocolError', ...f, retriable: true });
      },
      isActive: () => true,
    };
    const producer = { transaction: async () => tx, disconnect: async () => undefined } as unknown as KafkaJsProducer;
    return { producer, calls: () => calls };
  }

  it('waits out CONCURRENT_TRANSACTIONS (the coordinator still writing the previous markers) and sends once it clears', async () => {
    const { ctx } = fakeContext({ in: 1 }, true);
    const concurrent = { type: 'CONCURRENT_TRANSACTIONS', code: 51 };
    const { producer, calls } = transactional([concurrent, concurrent, concurrent]);
    const client = new KafkaJsProducerClient(ctx, producer, true, () => undefined);
    await client.beginTransaction();
    await client.sendOffsets('g', [{ topic: 'in', partition: 0, offset: 5 }]);
    expect(calls()).toBe(4);
  });

  it('does not retry other errors', async () => {
    const { ctx } = fakeContext({ in: 1 }, true);
    const { producer, calls } = transactional([{ type: 'ILLEGAL_GENERATION', code: 22 }]);
    const client = new KafkaJsProducerClient(ctx, producer, true, () => undefined);
    await client.beginTransaction();
    await expect(client.sendOffsets('g', [{ topic: 'in', partition: 0, offset: 5 }])).rejects.toMatchObject({ code: 'RIVULET_TRANSPORT_COMMIT_FAILED' });
    expect(calls()).toBe(1);
  });
});
