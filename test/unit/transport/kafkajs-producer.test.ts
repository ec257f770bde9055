import { describe, expect, it } from 'vitest';
import type { Producer as KafkaJsProducer, ProducerBatch, RecordMetadata as KafkaJsRecordMetadata } from 'kafkajs';
import type { KafkaJsContext } from '../../../src/transport/kafkajs/kafkajs-context.js';
import { KafkaJsProducerClient } from '../../../src/transport/kafkajs/kafkajs-producer.js';

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
