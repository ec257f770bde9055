/**
 * The bare kafkajs consumer of the peer benchmark (bench/peers/README.md): broker
 * mode only. Subscribes to `--input` as group `--app-id` from the beginning,
 * turns each key into a string and JSON-parses each value, auto-commits every
 * 1 s, and keeps `Date.now() − Date.parse(timestamp)` per record; on SIGTERM it
 * prints `{"event":"latency",...}` over the records stamped within the last 60 s.
 *
 *   npx vite-node bench/peers/kafkajs-consumer.ts -- broker --brokers 127.0.0.1:9092 --input in --windowed w --alerts a --status s --app-id id
 */
import kafkajs from 'kafkajs';
import { parseRunnerArgs, runMain } from './args.js';

const { Kafka, logLevel } = kafkajs;

/** The `q` quantile (0..1) of sorted `xs`, nearest rank. */
const quantile = (xs: Float64Array, q: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))] as number;

runMain(async () => {
  const args = parseRunnerArgs(process.argv.slice(2));
  if (args.mode !== 'broker') throw new Error('kafkajs-consumer: only broker mode (a bare consumer has no topology to run in-process)');
  const kafka = new Kafka({ clientId: `peers-${args.appId}`, brokers: args.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: args.appId, allowAutoTopicCreation: false });
  // (send time, latency) of recent records: those whose timestamp is within the last 60 s.
  const stamps: number[] = [];
  const latencies: number[] = [];
  let seen = 0;
  let sink = 0;
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  process.on('SIGTERM', () => stop());
  process.on('SIGINT', () => stop());
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [args.input], fromBeginning: true });
    let announced = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (announced) return;
      announced = true;
      console.log(JSON.stringify({ event: 'running' }));
    });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key === null ? null : m.key.toString('utf8');
          const value = m.value === null ? null : (JSON.parse(m.value.toString('utf8')) as { value: number; timestamp: string });
          if (key === null || value === null) continue;
          // Keeps the parse from being optimized away.
          sink += value.value;
          const ts = Date.parse(value.timestamp);
          const now = Date.now();
          if (now - ts < 60_000) {
            stamps.push(ts);
            latencies.push(now - ts);
          }
        }
        seen += batch.messages.length;
      },
    });
    await stopped;
  } finally {
    await consumer.disconnect();
  }
  const since = Date.now() - 60_000;
  const recent = Float64Array.from(latencies.filter((_, i) => (stamps[i] as number) >= since)).sort();
  if (!Number.isFinite(sink)) throw new Error('unreachable');
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      event: 'latency',
      p50Ms: recent.length === 0 ? null : round(quantile(recent, 0.5)),
      p99Ms: recent.length === 0 ? null : round(quantile(recent, 0.99)),
      samples: recent.length,
      records: seen,
    }),
  );
});
