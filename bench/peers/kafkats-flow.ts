/**
 * @kafkats/flow's runner for the peer benchmark (bench/peers/README.md is the contract).
 *
 *   npx vite-node bench/peers/kafkats-flow.ts -- engine --workload W1 --data bench/.data/peers
 *   npx vite-node bench/peers/kafkats-flow.ts -- broker --brokers 127.0.0.1:9092 --input in --windowed w --alerts a --status s --app-id id
 *
 * engine: the workload's topology in-process with in-memory stores, fed and
 * read the way flow's TestDriver does it: a KafkaClient whose consumer and
 * producer are mocks. (flow's TestDriver itself cannot run here: it imports
 * vitest, which throws outside a vitest worker; `EngineDriver` is its mocks
 * without vitest's spies.) Prints one JSON line.
 * broker: examples/iot-anomaly's topology with flow's own Kafka client, one
 * worker, at-least-once, offsets committed every 1 s, until SIGTERM.
 *
 * What flow 0.12 cannot express, and what stands in for it here (the `note` of
 * the result line says so too):
 * - No `suppress` and no grace period: a windowed aggregate emits every update
 *   and keeps updating windows for 24 window sizes. Final results with grace are
 *   made in user code after the aggregate (`FinalWindows`): it drops updates of
 *   windows already closed (end + grace <= stream time, as Kafka Streams drops
 *   late records) and emits each window's last aggregate once stream time passes
 *   its end + grace. flow's DSL has no processor API, so this is a flatMapValues
 *   with its own (not fault-tolerant) buffer, and the record timestamp (which no
 *   flow user function sees) comes from the loop that pipes records (engine) or
 *   from a wrapper around the consumer's handler (broker).
 * - No timestamp extractor: in broker mode the same consumer wrapper sets each
 *   message's timestamp to its reading's `timestamp` field before flow sees it.
 * - No statistics operator: count/sum/min/max/mean/M2 (Welford) in `aggregate`.
 */
import { KafkaClient, type Codec, type SendResult } from '@kafkats/client';
import { codec, flow, TimeWindows, type KStream, type StateStoreProvider, type Windowed } from '@kafkats/flow';
import { EventEmitter } from 'node:events';
import { lmdb } from '@kafkats/flow-state-lmdb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunnerArgs, rssBaseline, rssPerMillion, runMain, type BrokerArgs, type BrokerEngineArgs, type EngineArgs } from './args.js';
import { readPeerRecords, type PeerRecord } from './data.js';
import type { WindowedResult } from '../../examples/iot-anomaly/topology.js';

const SYSTEM = 'kafkats-flow';
const DAY = 86_400_000;
const NOTE =
  'flow has no suppress, grace or timestamp access: final results with grace are made in user code after its windowed aggregate (which emits every update); statistics by aggregate (Welford)';


/** Timestamp of the record being processed (set by whoever hands the record to flow). */
let currentTs = 0;

/** Window statistics, updated by Welford's algorithm. */
interface Stats {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  m2: number;
}

const initStats = (): Stats => ({ count: 0, sum: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0 });

function addStats(s: Stats, x: number): Stats {
  if (!Number.isFinite(x)) return s;
  const count = s.count + 1;
  const delta = x - s.mean;
  const mean = s.mean + delta / count;
  return { count, sum: s.sum + x, min: Math.min(s.min, x), max: Math.max(s.max, x), mean, m2: s.m2 + delta * (x - mean) };
}

/** Sample variance (NaN below two values). */
const variance = (s: Stats): number => (s.count < 2 ? NaN : s.m2 / (s.count - 1));

/**
 * Binary codec for stats: six big-endian doubles (count, sum, min, max, mean,
 * M2), what the rivulet and Kafka Streams runners store and write; a text codec
 * cost flow a string build and parse per store access.
 */
const statsCodec: Codec<Stats> = {
  encode: (s) => {
    const b = Buffer.allocUnsafe(48);
    b.writeDoubleBE(s.count, 0);
    b.writeDoubleBE(s.sum, 8);
    b.writeDoubleBE(s.min, 16);
    b.writeDoubleBE(s.max, 24);
    b.writeDoubleBE(s.mean, 32);
    b.writeDoubleBE(s.m2, 40);
    return b;
  },
  decode: (b) => ({ count: b.readDoubleBE(0), sum: b.readDoubleBE(8), min: b.readDoubleBE(16), max: b.readDoubleBE(24), mean: b.readDoubleBE(32), m2: b.readDoubleBE(40) }),
};

/**
 * `suppress(untilWindowCloses)` with grace, in user code: fed every update of
 * a windowed aggregate and the current stream time; returns the windows that
 * closed.
 */
class FinalWindows<V> {
  private streamTime = -Infinity;
  /** Open windows by end time; `ends` is sorted ascending. */
  private readonly byEnd = new Map<number, Map<string, { key: Windowed<string>; value: V }>>();
  private readonly ends: number[] = [];

  constructor(private readonly graceMs: number) {}

  /** Whether a window ending at `end` is closed at the current stream time. */
  closed(end: number): boolean {
    return end + this.graceMs <= this.streamTime;
  }

  /** Raises stream time to `ts` and returns the windows that closed. */
  advance(ts: number): { key: Windowed<string>; value: V }[] {
    if (ts <= this.streamTime) return [];
    this.streamTime = ts;
    const out: { key: Windowed<string>; value: V }[] = [];
    while (this.ends.length > 0 && this.closed(this.ends[0] as number)) {
      const end = this.ends.shift() as number;
      for (const w of (this.byEnd.get(end) as Map<string, { key: Windowed<string>; value: V }>).values()) out.push(w);
      this.byEnd.delete(end);
    }
    return out;
  }

  /** Buffers the update unless its window is closed. */
  offer(key: Windowed<string>, value: V): void {
    const end = key.window.end;
    if (this.closed(end)) return; // late: Kafka Streams drops it
    let bucket = this.byEnd.get(end);
    if (bucket === undefined) {
      bucket = new Map();
      this.byEnd.set(end, bucket);
      let i = this.ends.length;
      while (i > 0 && (this.ends[i - 1] as number) > end) i--;
      this.ends.splice(i, 0, end);
    }
    bucket.set(`${key.key}@${key.window.start}`, { key, value });
  }
}

/**
 * The windowed aggregate's updates (`updates`) turned into final results per
 * window (`FinalWindows`): a stream keyed by the window.
 */
function finalResults<V>(updates: KStream<Windowed<string>, V>, graceMs: number): KStream<Windowed<string>, V> {
  const finals = new FinalWindows<V>(graceMs);
  return updates
    .map((key, value) => [key as Windowed<string>, { key: key as Windowed<string>, value: value as V }] as const)
    .flatMapValues((u) => {
      const closed = finals.advance(currentTs);
      if (u !== null) finals.offer(u.key, u.value);
      return closed;
    })
    .map((_k, w) => {
      const c = w as { key: Windowed<string>; value: V };
      return [c.key, c.value] as const;
    });
}

/**
 * State stores: flow's default in-memory stores (what its TestDriver uses), or
 * with KAFKATS_FLOW_STATE=lmdb its persistent LMDB stores
 * (@kafkats/flow-state-lmdb). LMDB is not the default: each store put awaits
 * its own LMDB commit, about 200 records/s here.
 */
function stateKind(): 'memory' | 'lmdb' {
  const kind = process.env['KAFKATS_FLOW_STATE'] ?? 'memory';
  if (kind !== 'memory' && kind !== 'lmdb') throw new Error(`KAFKATS_FLOW_STATE must be memory or lmdb (got ${JSON.stringify(kind)})`);
  return kind;
}

function stateStore(stateDir: string): StateStoreProvider | undefined {
  return stateKind() === 'lmdb' ? lmdb({ stateDir, mapSize: 16 * 1024 ** 3 }) : undefined;
}

// ---------------------------------------------------------------- engine

const str = codec.string();

/** The message flow's consumer hands to its handler. */
interface InMessage {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** flow's TestDriver's mock consumer: records are handed to flow's handler one at a time. */
class MockConsumer extends EventEmitter {
  private handler: ((m: InMessage, ctx: unknown) => Promise<void>) | null = null;
  private stopResolve: (() => void) | null = null;
  private offset = 0n;

  runEach(_topics: unknown, handler: (m: InMessage, ctx: unknown) => Promise<void>): Promise<void> {
    this.handler = handler;
    this.emit('running');
    return new Promise((resolve) => {
      this.stopResolve = () => {
        this.emit('stopped');
        resolve();
      };
    });
  }
  stop(): void {
    this.stopResolve?.();
    this.stopResolve = null;
  }
  pause(): void {}
  resume(): void {}

  async send(topic: string, key: Buffer | null, value: Buffer, timestamp: bigint): Promise<void> {
    if (this.handler === null) throw new Error('consumer not started');
    const offset = this.offset++;
    await this.handler({ topic, partition: 0, offset, timestamp, key, value, headers: {} }, { signal: new AbortController().signal, topic, partition: 0, offset, groupId: 'peers' });
  }
}

/**
 * flow's TestDriver's mock producer, counting what goes to `output` instead of
 * keeping it, and answering with a send result as a broker would (flow records
 * changelog offsets from it when the store provider checkpoints them, as
 * LMDB's does; the TestDriver's mock answers nothing and then fails).
 */
class MockProducer {
  outputs = 0;
  private readonly offsets = new Map<string, bigint>();
  send(topic: string, _message: unknown): Promise<SendResult> {
    if (topic === 'output') this.outputs++;
    const offset = this.offsets.get(topic) ?? 0n;
    this.offsets.set(topic, offset + 1n);
    return Promise.resolve({ topic, partition: 0, offset, timestamp: new Date(0) });
  }
  disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

/** A flow app on a KafkaClient whose network parts are the mocks above (what flow's TestDriver sets up). */
class EngineDriver {
  readonly consumer = new MockConsumer();
  readonly producer = new MockProducer();
  readonly app: ReturnType<typeof flow>;

  constructor(applicationId: string, stateStoreProvider: StateStoreProvider | undefined) {
    const client = new KafkaClient({ clientId: applicationId, brokers: ['localhost:9092'] });
    const c = client as unknown as Record<string, unknown>;
    c['connect'] = () => Promise.resolve();
    c['disconnect'] = () => Promise.resolve();
    // As with the TestDriver and no broker: changelog topics are not created (their records still go to the producer).
    c['getMetadata'] = () => Promise.reject(new Error('No brokers available'));
    c['consumer'] = () => this.consumer;
    c['producer'] = () => this.producer;
    this.app = flow({ applicationId, client, ...(stateStoreProvider === undefined ? {} : { stateStoreProvider }) });
  }

  input<K, V>(topic: string, options: { key: Codec<K>; value: Codec<V> }): KStream<K, V> {
    return this.app.stream<K, V>(topic, options);
  }
}

/** Topic names of an engine topology: the driver's fixed names, or the broker's pre-loaded topics. */
interface EngineTopics {
  readonly input: string;
  readonly impressions: string;
  readonly clicks: string;
  readonly output: string;
}
const DRIVER_TOPICS: EngineTopics = { input: 'input', impressions: 'impressions', clicks: 'clicks', output: 'output' };

/** Where an engine topology reads its inputs: the engine driver's mock consumer or a real flow app. */
interface TopologyInput {
  input<K, V>(topic: string, options: { key: Codec<K>; value: Codec<V> }): KStream<K, V>;
}

function buildEngineTopology(driver: TopologyInput, workload: EngineArgs['workload'], t: EngineTopics = DRIVER_TOPICS): void {
  switch (workload) {
    case 'W1':
    case 'memory':
    case 'W2': {
      const windows = workload === 'W2' ? TimeWindows.of('60s').advanceBy('1s') : TimeWindows.of('10s');
      const updates = driver
        .input<string, string>(t.input, { key: str, value: str })
        .groupByKey({ key: str, value: str })
        .windowedBy(windows)
        .aggregate(initStats, (_k, v, s) => addStats(s, Number(v)), { storeName: 'stats', value: statsCodec })
        .toStream();
      finalResults(updates, 2_000)
        .map((w, s) => {
          const st = s as Stats;
          const k = w as Windowed<string>;
          return [`${k.key}@${k.window.start}` as string, st] as const;
        })
        .to(t.output, { key: str, value: statsCodec });
      return;
    }
    case 'wordcount':
      driver
        .input<string, string>(t.input, { key: str, value: str })
        .flatMapValues((line) => (line ?? '').split(' '))
        .groupBy((_k, word) => word as string, { key: str, value: str })
        .count({ storeName: 'counts' })
        .toStream()
        .to(t.output, { key: str, value: codec.json<number>() });
      return;
    case 'join': {
      const impressions = driver.input<string, string>(t.impressions, { key: str, value: str });
      const clicks = driver.input<string, string>(t.clicks, { key: str, value: str });
      // flow's join window is |t1 - t2| <= 10 s with no grace (the input is in timestamp order, so none is needed).
      impressions.join(clicks, (i: string, c: string) => `${i}/${c}`, { within: TimeWindows.of('10s'), key: str, value: str, otherValue: str }).to(t.output, { key: str, value: str });
      return;
    }
  }
}

async function engine(args: EngineArgs): Promise<void> {
  const records = readPeerRecords(args.workload, args.data);
  if (records.length === 0) throw new Error(`no records in ${args.data} for ${args.workload}`);
  const maxTs = records.reduce((m, r) => Math.max(m, r.ts), -Infinity);
  const flushTopics = args.workload === 'join' ? ['impressions', 'clicks'] : ['input'];
  const flushValue = args.workload === 'wordcount' ? '' : '0';
  // LMDB's files live in a temporary dir, removed at the end or when the orchestrator stops the run.
  const stateDir = stateKind() === 'lmdb' ? mkdtempSync(join(tmpdir(), 'kafkats-flow-peers-')) : undefined;
  const removeState = (): void => {
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  };
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => {
      removeState();
      process.exit(sig === 'SIGTERM' ? 143 : 130);
    });
  const driver = new EngineDriver(`peers-${args.workload}`, stateDir === undefined ? undefined : stateStore(stateDir));
  buildEngineTopology(driver, args.workload);
  await driver.app.start();
  try {
    // As the TestDriver's send: key and value encoded by their codecs.
    const send = async (r: PeerRecord): Promise<void> => {
      currentTs = r.ts;
      await driver.consumer.send(r.topic, r.key === null ? null : str.encode(r.key), str.encode(r.value), BigInt(r.ts));
    };
    const before = rssBaseline();
    const started = performance.now();
    let pausedMs = 0;
    for (const r of records) await send(r);
    let rssBytes: number | undefined;
    let peakRssBytes: number | undefined;
    if (args.workload === 'memory') {
      // Before the flush record: every accumulator is open (the flush closes them all).
      const m = rssPerMillion(before, records.length);
      rssBytes = m.rssBytes;
      peakRssBytes = m.peakRssBytes;
      // The GC and reading RSS are not part of the processing time.
      pausedMs += m.ms;
    }
    for (const t of flushTopics) await send({ topic: t, key: 'flush', ts: maxTs + DAY, value: flushValue });
    const outputs = driver.producer.outputs;
    const seconds = (performance.now() - started - pausedMs) / 1000;
    const windowed = args.workload === 'W1' || args.workload === 'W2' || args.workload === 'memory';
    const result = {
      workload: args.workload,
      system: SYSTEM,
      recordsPerSec: Math.round(records.length / seconds),
      records: records.length,
      seconds: Number(seconds.toFixed(3)),
      outputs,
      ...(rssBytes === undefined ? {} : { rssBytes, peakRssBytes }),
      note: [
        windowed ? NOTE : undefined,
        args.workload === 'join' ? 'join window |dt| <= 10 s without grace (flow has none); each record fetches the other side by scanning every stored entry (in-memory) or every entry of the time range (LMDB)' : undefined,
        stateKind() === 'lmdb' ? 'state in LMDB (@kafkats/flow-state-lmdb): every put awaits its own LMDB commit' : 'state in flow\'s default in-memory stores',
      ]
        .filter((n) => n !== undefined)
        .join('; '),
    };
    console.log(JSON.stringify(result));
  } finally {
    await driver.app.close();
    removeState();
  }
}

// ---------------------------------------------------------------- broker

/** A device reading as examples/iot-anomaly's generator writes it (invalid ones are dropped). */
interface Reading {
  readonly timestamp: string;
  readonly value: number;
  readonly device_id: string;
  readonly status: string;
}

function validReading(v: unknown): Reading | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Record<string, unknown>;
  if (typeof r['device_id'] !== 'string' || r['device_id'] === '') return null;
  if (typeof r['value'] !== 'number' || !Number.isFinite(r['value'])) return null;
  if (typeof r['timestamp'] !== 'string' || Number.isNaN(Date.parse(r['timestamp']))) return null;
  return { device_id: r['device_id'], value: r['value'], timestamp: r['timestamp'], status: typeof r['status'] === 'string' ? r['status'] : 'Unknown' };
}

/** Readings parsed once, by the consumer wrapper (which needs the timestamp), and handed to the value codec. */
const parsed = new WeakMap<Buffer, Reading | null>();
let currentReading: Reading | null = null;

const readingCodec: Codec<Reading | null> = {
  encode: (r) => Buffer.from(JSON.stringify(r)),
  decode: (b) => {
    const hit = parsed.get(b);
    if (hit !== undefined) return hit;
    try {
      return validReading(JSON.parse(b.toString()));
    } catch {
      return null;
    }
  },
};

/** The rows rivulet's IoT example writes, so both systems produce the same JSON. */
type WindowedRow = WindowedResult;

function row(label: string, w: Windowed<string>, s: Stats): WindowedRow {
  const v = variance(s);
  return {
    device_id: w.key,
    window: label,
    window_start: new Date(w.window.start).toISOString(),
    window_end: new Date(w.window.end).toISOString(),
    count: s.count,
    avg: s.mean,
    min: s.min,
    max: s.max,
    stddev: Number.isNaN(v) ? null : Math.sqrt(v),
  };
}

/** z of `x` against stats that include it (0 below two values or with no spread), as rivulet's kernel computes it. */
function zScore(s: Stats, x: number): number {
  if (s.count < 2) return 0;
  const sd = Math.sqrt(variance(s));
  return sd === 0 || Number.isNaN(sd) ? 0 : (x - s.mean) / sd;
}

function buildIotTopology(app: ReturnType<typeof flow>, args: BrokerArgs): void {
  const GRACE = 5_000;
  const readings = app.stream<string, Reading | null>(args.input, { key: str, value: readingCodec, offsetReset: 'earliest' }).filter((_k, r) => r !== null) as KStream<string, Reading>;
  const byDevice = readings.groupByKey({ key: str, value: readingCodec as Codec<Reading> });
  const stats = (windows: TimeWindows, storeName: string) =>
    byDevice.windowedBy(windows).aggregate(initStats, (_k, r, s) => addStats(s, r.value), { storeName, value: statsCodec }).toStream();
  const out = { key: str, value: codec.json<WindowedRow>() };

  finalResults(stats(TimeWindows.of('10s'), 'device-stats-tumbling-10s'), GRACE)
    .map((w, s) => [(w as Windowed<string>).key, row('tumbling 10s', w as Windowed<string>, s as Stats)] as const)
    .to(args.windowed, out);

  const hopping = stats(TimeWindows.of('30s').advanceBy('10s'), 'device-stats-hopping-30s');
  finalResults(hopping, GRACE)
    .map((w, s) => [(w as Windowed<string>).key, row('hopping 30s/10s', w as Windowed<string>, s as Stats)] as const)
    .to(args.windowed, out);

  // Alerts: the record's z-score against its newest hopping window (the update
  // of the window starting at floor(ts / 10 s) * 10 s), unless that window
  // closed (the record is late).
  let streamTime = -Infinity;
  hopping
    .filter((w, s) => {
      streamTime = Math.max(streamTime, currentTs);
      const k = w as Windowed<string>;
      if (k.window.start !== Math.floor(currentTs / 10_000) * 10_000 || k.window.end + GRACE <= streamTime || currentReading === null) return false;
      return Math.abs(zScore(s as Stats, currentReading.value)) > 2;
    })
    .map((w, s) => {
      const r = currentReading as Reading;
      return [(w as Windowed<string>).key, { device_id: r.device_id, timestamp: r.timestamp, value: r.value, z_score: zScore(s as Stats, r.value), status: r.status }] as const;
    })
    .to(args.alerts, { key: str, value: codec.json() });

  readings
    .groupBy((_k, r) => (r as Reading).status, { key: str, value: readingCodec as Codec<Reading> })
    .count({ storeName: 'status-counts' })
    .toStream()
    .to(args.status, { key: str, value: codec.json<number>() });
}

/** The part of flow's consumer this runner wraps. */
interface WrappableConsumer {
  once(event: 'partitionsAssigned', fn: () => void): unknown;
  runEach(topics: unknown, handler: (message: { value: Buffer | null; timestamp: bigint }, ctx: unknown) => Promise<void>, options?: unknown): Promise<void>;
}

/**
 * flow has no timestamp extractor and no hook for "partitions assigned": wraps
 * the consumers `client` creates, to print the running line at the first
 * assignment and to hand flow each message with the timestamp `stamp` gives it
 * (which also sets `currentTs`, the stream time the user-code suppress sees).
 */
function wrapConsumers(client: KafkaClient, stamp: (message: { value: Buffer | null; timestamp: bigint }) => number): void {
  let announced = false;
  const makeConsumer = client.consumer.bind(client);
  client.consumer = ((config) => {
    const consumer = makeConsumer(config);
    const c = consumer as unknown as WrappableConsumer;
    c.once('partitionsAssigned', () => {
      if (announced) return;
      announced = true;
      console.log(JSON.stringify({ event: 'running' }));
    });
    const runEach = c.runEach.bind(c);
    c.runEach = (topics, handler, options) =>
      runEach(
        topics,
        async (message, ctx) => {
          const ts = stamp(message);
          currentTs = ts;
          await handler({ ...message, timestamp: BigInt(ts) }, ctx);
        },
        options,
      );
    return consumer;
  }) as typeof client.consumer;
}

/** Producer settings of both broker modes: flow's default linger is 5 ms; 100 ms (Kafka Streams' producer default) sends fuller batches. */
const PRODUCER = { lingerMs: 100, maxBatchBytes: 1 << 20 };

/** Runs `app` until SIGTERM/SIGINT or until it fails, then closes it and `client`. */
async function runUntilStopped(app: ReturnType<typeof flow>, client: KafkaClient): Promise<void> {
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  try {
    await Promise.race([app.start(), stopped]);
    const failed = new Promise<never>((_, reject) => {
      const timer = setInterval(() => {
        if (app.state() === 'ERROR') {
          clearInterval(timer);
          reject(new Error('kafkats-flow: the app failed'));
        }
      }, 500);
      void stopped.then(() => clearInterval(timer));
    });
    await Promise.race([stopped, failed]);
  } finally {
    await app.close();
    await client.disconnect();
  }
}

async function broker(args: BrokerArgs): Promise<void> {
  const client = new KafkaClient({ clientId: args.appId, brokers: args.brokers, logLevel: 'warn' });
  wrapConsumers(client, (message) => {
    let reading: Reading | null = null;
    if (message.value !== null) {
      try {
        reading = validReading(JSON.parse(message.value.toString()));
      } catch {
        reading = null;
      }
      parsed.set(message.value, reading);
    }
    currentReading = reading;
    return reading === null ? Number(message.timestamp) : Date.parse(reading.timestamp);
  });
  const app = brokerFlow(args.appId, client);
  buildIotTopology(app, args);
  await runUntilStopped(app, client);
}

/** The broker modes' flow app: one worker, at-least-once, offsets committed every 1 s. */
function brokerFlow(applicationId: string, client: KafkaClient): ReturnType<typeof flow> {
  return flow({
    applicationId,
    client,
    numStreamThreads: 1,
    processingGuarantee: 'at_least_once',
    producer: PRODUCER,
    runEach: { autoCommit: true, autoCommitIntervalMs: 1_000, partitionConcurrency: 1 },
  });
}

/**
 * broker-engine: the engine workload's topology (as in engine mode) on the
 * pre-loaded topics, one worker, at-least-once, offsets committed every 1 s,
 * in-memory stores, binary stats codec; the record timestamp is the message's.
 */
async function brokerEngine(args: BrokerEngineArgs): Promise<void> {
  if (args.guarantee !== 'at_least_once') throw new Error('kafkats-flow: broker-engine runs at-least-once only here');
  const client = new KafkaClient({ clientId: args.appId, brokers: args.brokers, logLevel: 'warn' });
  wrapConsumers(client, (message) => Number(message.timestamp));
  const app = brokerFlow(args.appId, client);
  const offsetReset = 'earliest' as const;
  buildEngineTopology({ input: (topic, options) => app.stream(topic, { ...options, offsetReset }) }, args.workload, {
    input: args.inputs[0] as string,
    impressions: args.inputs[0] as string,
    clicks: args.inputs[1] ?? '',
    output: args.output,
  });
  await runUntilStopped(app, client);
}

runMain(async () => {
  const args = parseRunnerArgs(process.argv.slice(2));
  if (args.mode === 'engine') await engine(args);
  else if (args.mode === 'broker') await broker(args);
  else await brokerEngine(args);
});
