/**
 * IoT readings for the broker benchmarks (bench/broker.bench.ts, bench/peers.bench.ts):
 * examples/iot-anomaly's generator without malformed records, and a loader that
 * writes them into a fresh topic in event-time order.
 */
import kafkajs from 'kafkajs';
import type { Admin, Kafka } from 'kafkajs';
import { readings } from '../examples/iot-anomaly/generator.js';

const { CompressionTypes } = kafkajs;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The demo's event-time shape (20 ms per reading, ±2 s disorder, 1 % late), without malformed records. */
export const generateReadings = (count: number, devices: number) => readings({ count, devices, startMs: Date.UTC(2025, 3, 20, 13, 40, 0), stepMs: 20, jitterMs: 2000, seed: 4 });

/** Deletes `topic` if it exists and waits until it is gone. */
export async function deleteTopicIfExists(admin: Admin, topic: string): Promise<void> {
  if (!(await admin.listTopics()).includes(topic)) return;
  await admin.deleteTopics({ topics: [topic] });
  const deadline = Date.now() + 60_000;
  while ((await admin.listTopics()).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`topic ${topic} still listed 60 s after its deletion`);
    await sleep(200);
  }
}

/**
 * (Re)creates `topic` with `partitions` partitions and writes `records` readings
 * of `devices` devices into it (not timed; checks the count). Returns the seconds it took.
 */
export async function loadReadings(kafka: Kafka, admin: Admin, opts: { topic: string; records: number; partitions: number; devices: number }): Promise<number> {
  const { topic, records } = opts;
  // A leftover topic would change N.
  await deleteTopicIfExists(admin, topic);
  await admin.createTopics({ topics: [{ topic, numPartitions: opts.partitions }], waitForLeaders: true });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  try {
    // kafkajs groups a send's messages per partition in quadratic time: many small sends load faster.
    const BATCH = 2000;
    let batch: { key: string; value: string }[] = [];
    // One send at a time: concurrent sends may land out of order, and a batch that
    // lands behind a later one is minutes of event time late for the windows.
    const flush = async () => {
      await producer.send({ topic, messages: batch, acks: 1, compression: CompressionTypes.None });
      batch = [];
    };
    for (const g of generateReadings(records, opts.devices)) {
      batch.push({ key: g.key, value: JSON.stringify(g.reading) });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await producer.disconnect();
  }
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  if (total !== records) throw new Error(`loaded ${total} records into ${topic}, expected ${records}`);
  return (Date.now() - started) / 1000;
}
