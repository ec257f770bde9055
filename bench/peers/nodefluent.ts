/**
 * nodefluent kafka-streams' runner for the peer benchmark (bench/peers/README.md
 * is the contract).
 *
 *   npx vite-node bench/peers/nodefluent.ts -- engine --workload wordcount --data bench/.data/peers
 *
 * kafka-streams 5.0.0 (unmaintained since 2020) is a most.js stream with a
 * key-value KStorage and no test driver: engine mode runs a KStream without a
 * topic (its in-process mode), records written into it with `writeToStream`.
 *
 * Only the word count can be expressed. It exits non-zero for the rest:
 * - W1, W2, memory: its only window operator, `KStream.window(from, to)`, is
 *   one absolute time range over the whole stream that ends at the first
 *   record at or past `to` (no per-key tumbling or hopping windows, no grace,
 *   no final results), and it has no aggregate besides count/sum/min/max of
 *   the whole stream's storage.
 * - join: `innerJoin` without a window zips the n-th record of one side with
 *   the n-th of the other (not a key join), and the windowed join throws "not
 *   implemented yet".
 * - broker: its Kafka clients are kafka-node (through sinek) or node-rdkafka
 *   (native, Node.js <= 12); there is no event-time windowing to run the IoT
 *   topology with either.
 */
import { KafkaStreams } from 'kafka-streams';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunnerArgs, runMain, type EngineArgs } from './args.js';

const SYSTEM = 'nodefluent';

const CANNOT: Partial<Record<EngineArgs['workload'], string>> = {
  W1: 'nodefluent kafka-streams cannot express keyed tumbling windows with grace and final results: its only window operator, KStream.window(from, to), is one absolute time range over the whole stream, closed by the first record past `to`',
  W2: 'nodefluent kafka-streams cannot express keyed hopping windows: its only window operator, KStream.window(from, to), is one absolute time range over the whole stream, closed by the first record past `to`',
  memory: 'nodefluent kafka-streams cannot express per-key windowed statistics (the memory workload is W1 with every window open): it has no keyed windows',
  join: 'nodefluent kafka-streams has no stream-stream join by key within a time window: innerJoin without a window zips the n-th record of each side, and innerJoin(..., windowed = true) throws "not implemented yet"',
};

/** Word count: split lines into words, count per word in KStorage, every updated count is an output. */
async function wordcount(dir: string): Promise<void> {
  // Lines read and split from their timestamps before the timer starts (the
  // word count ignores timestamps; kafka-streams has no record time).
  const lines = readFileSync(join(dir, 'wordcount.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.slice(l.indexOf(',') + 1));
  if (lines.length === 0) throw new Error(`no records in ${dir}/wordcount.txt`);

  // No broker: the factory's client is never started (a stream without a topic).
  const factory = new KafkaStreams({ kafkaHost: '127.0.0.1:9', groupId: 'peers-wordcount', clientName: 'peers-wordcount' });
  const stream = factory.getKStream();
  let outputs = 0;
  // The flush line (empty) gives the empty word: its count is the last output.
  const FLUSH_WORD = '';
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  stream
    .concatMap((line: string) => stream.getNewMostFrom(line.split(' ').map((word) => ({ key: word }))))
    .countByKey('key', 'count');
  void stream.forEach((kv: { key: string; count: number }) => {
    outputs++;
    if (kv.key === FLUSH_WORD) finish();
  });
  await stream.start();
  // most.js subscribes to the stream's event emitter on a later tick.
  await new Promise((r) => setImmediate(r));

  const started = performance.now();
  for (let i = 0; i < lines.length; i++) {
    stream.writeToStream(lines[i]);
    // Let the asynchronous count (a promise per word) keep up.
    if ((i & 1023) === 1023) await new Promise((r) => setImmediate(r));
  }
  stream.writeToStream('');
  await done;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      workload: 'wordcount',
      system: SYSTEM,
      recordsPerSec: Math.round(lines.length / seconds),
      records: lines.length,
      seconds: Number(seconds.toFixed(3)),
      outputs,
      note: 'in-process KStream without a topic (kafka-streams has no test driver); counts in its in-memory KStorage, every updated count is an output',
    }),
  );
  await stream.close();
}

runMain(async () => {
  const args = parseRunnerArgs(process.argv.slice(2));
  if (args.mode === 'broker' || args.mode === 'broker-engine') {
    throw new Error(
      'nodefluent: broker mode is not implemented: kafka-streams has no event-time windows (the IoT topology needs per-device tumbling and hopping windows with grace), and its clients are kafka-node through sinek or native node-rdkafka (Node.js <= 12)',
    );
  }
  const reason = CANNOT[args.workload];
  if (reason !== undefined) throw new Error(`nodefluent: ${args.workload}: ${reason}`);
  await wordcount(args.data);
});
