import { afterEach, describe, expect, it } from 'vitest';
import { SerdeError, TransportError } from '../../../src/errors.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { partitionForKey } from '../../../src/transport/partitioner.js';
import { TransportErrorCode } from '../../../src/transport/transport-error-codes.js';
import type { TypedConsumer, TypedConsumerRecord } from '../../../src/transport/typed-consumer.js';
import { expectTransportError, text } from '../../support/transport-contract.js';

const enc = new TextEncoder();

/** Polls until `n` records arrived (or 5 s passed, so a missing record fails the assertion, not the run). */
async function pollN<K, V>(consumer: TypedConsumer<K, V>, n: number): Promise<TypedConsumerRecord<K, V>[]> {
  const out: TypedConsumerRecord<K, V>[] = [];
  const deadline = Date.now() + 5_000;
  while (out.length < n && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 100 })));
  return out;
}

describe('EmbeddedBroker.createTopic, producer() and consumer()', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const newBroker = (): EmbeddedBroker => {
    const broker = new EmbeddedBroker();
    cleanup.push(() => broker.close());
    return broker;
  };

  it('createTopic creates one partition by default, takes partitions and config, and leaves an existing topic as it is', async () => {
    const broker = newBroker();
    await broker.createTopic('plain');
    await broker.createTopic('wide', { partitions: 4, config: { 'cleanup.policy': 'compact' } });
    await broker.createTopic('wide', { partitions: 8 });
    expect(broker.describeTopic('plain')).toEqual({ name: 'plain', partitions: 1, compacted: false, config: {} });
    expect(broker.describeTopic('wide')).toEqual({ name: 'wide', partitions: 4, compacted: true, config: { 'cleanup.policy': 'compact' } });
  });

  it('createTopic rejects what Kafka rejects, creating nothing', async () => {
    const broker = newBroker();
    const err = await expectTransportError(broker.createTopic('t', { partitions: 0 }), TransportErrorCode.INVALID_ARGUMENT);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toBe("createTopics: partitions must be an integer >= 1 (got 0 for 't')");
    await expectTransportError(broker.createTopic('bad name'), TransportErrorCode.INVALID_ARGUMENT);
    expect(broker.topics()).toEqual([]);
  });

  it('the producer serializes with its serdes and partitions by key bytes like the Java client', async () => {
    const broker = newBroker();
    await broker.createTopic('readings', { partitions: 4 });
    const producer = broker.producer({ keySerde: Serdes.string(), valueSerde: Serdes.json<{ v: number }>() });
    cleanup.push(() => producer.close());
    const keys = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
    const meta = await producer.send(keys.map((key, i) => ({ topic: 'readings', key, value: { v: i }, timestamp: 1_000 + i })));
    expect(meta.map((m) => m.partition)).toEqual(keys.map((k) => partitionForKey(enc.encode(k), 4)));
    const stored = [0, 1, 2, 3].flatMap((p) => broker.records('readings', p)).sort((a, b) => a.timestamp - b.timestamp);
    expect(stored.map((r) => [text(r.key), text(r.value), r.timestamp])).toEqual(keys.map((k, i) => [k, `{"v":${i}}`, 1_000 + i]));
  });

  it('the producer sends a single record, a tombstone, and a keyless record; string keys and JSON values by default', async () => {
    const broker = newBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    cleanup.push(() => producer.close());
    await producer.send({ topic: 't', key: 'k', value: { a: [1, 'x'] } });
    await producer.send([{ topic: 't', key: 'k', value: null }, { topic: 't', value: 'no key', partition: 0 }]);
    expect(broker.records('t', 0).map((r) => [text(r.key), text(r.value)])).toEqual([
      ['k', '{"a":[1,"x"]}'],
      ['k', null],
      [null, '"no key"'],
    ]);
  });

  it('a value its serde rejects fails the send and appends nothing of it', async () => {
    const broker = newBroker();
    await broker.createTopic('t');
    const producer = broker.producer({ valueSerde: Serdes.string() });
    cleanup.push(() => producer.close());
    const bad = producer.send([{ topic: 't', key: 'a', value: 'fine' }, { topic: 't', key: 'b', value: { not: 'a string' } as unknown as string }]);
    await expect(bad).rejects.toMatchObject({ code: 'RIVULET_SERDE_SERIALIZE' });
    await expect(bad).rejects.toBeInstanceOf(SerdeError);
    expect(broker.records('t', 0)).toEqual([]);
  });

  it('the consumer reads every partition and deserializes keys and values with its serdes', async () => {
    const broker = newBroker();
    await broker.createTopic('stats', { partitions: 3 });
    const producer = broker.producer({ keySerde: Serdes.json<{ id: number }>(), valueSerde: Serdes.json<{ n: number }>() });
    cleanup.push(() => producer.close());
    await producer.send(Array.from({ length: 9 }, (_, i) => ({ topic: 'stats', key: { id: i }, value: i % 4 === 0 ? null : { n: i * 10 }, timestamp: 500 + i })));
    const consumer = broker.consumer({ groupId: 'reader', keySerde: Serdes.json<{ id: number }>(), valueSerde: Serdes.json<{ n: number }>() });
    cleanup.push(() => consumer.close());
    await consumer.subscribe(['stats']);
    const got = await pollN(consumer, 9);
    expect(new Set(got.map((r) => r.partition)).size).toBeGreaterThan(1);
    expect(got.map((r) => [r.key?.id, r.value?.n ?? null, r.timestamp]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      Array.from({ length: 9 }, (_, i) => [i, i % 4 === 0 ? null : i * 10, 500 + i]),
    );
  });

  it('a payload the consumer’s serde rejects throws the SerdeError from poll', async () => {
    const broker = newBroker();
    await broker.createTopic('t');
    const producer = broker.producer({ valueSerde: Serdes.string() });
    cleanup.push(() => producer.close());
    await producer.send({ topic: 't', key: 'k', value: '{not json' });
    const consumer = broker.consumer({ groupId: 'g' });
    cleanup.push(() => consumer.close());
    await consumer.subscribe(['t']);
    let error: unknown;
    const deadline = Date.now() + 5_000;
    while (error === undefined && Date.now() < deadline) {
      try {
        await consumer.poll({ timeoutMs: 100 });
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({ code: 'RIVULET_SERDE_DESERIALIZE' });
  });

  it('close leaves the group, and a closed client refuses further calls', async () => {
    const broker = newBroker();
    await broker.createTopic('t');
    const producer = broker.producer();
    await producer.close();
    await expectTransportError(producer.send({ topic: 't', value: 1 }), TransportErrorCode.CLOSED);
    expect(broker.records('t', 0)).toEqual([]);

    const consumer = broker.consumer({ groupId: 'g' });
    await consumer.subscribe(['t']);
    await consumer.poll({ timeoutMs: 100 });
    expect(broker.describeGroup('g')?.members).toHaveLength(1);
    await consumer.close();
    expect(broker.describeGroup('g')?.members).toHaveLength(0);
    await expectTransportError(consumer.poll(), TransportErrorCode.CLOSED);
  });
});
