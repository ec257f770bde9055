/**
 * rivulet's runner for the peer benchmark (bench/peers/README.md is the contract).
 *
 *   npx vite-node bench/peers/rivulet.ts -- engine --workload W1 --data bench/.data/peers
 *   npx vite-node bench/peers/rivulet.ts -- broker --brokers 127.0.0.1:9092 --input in --windowed w --alerts a --status s --app-id id
 *
 * engine: the workload's topology through rivulet's TopologyTestDriver (which
 * commits after every piped record, as Kafka Streams' does); prints one JSON line.
 * broker: examples/iot-anomaly's topology in one KafkaStreams instance (default
 * config: at-least-once, commit every 1 s) until SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIotTopology } from '../../examples/iot-anomaly/topology.js';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Suppressed } from '../../src/dsl/suppressed.js';
import { JoinWindows, TimeWindows, type Windowed } from '../../src/dsl/windows.js';
import type { WindowStatistics } from '../../src/processors/window-stats.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import type { Logger } from '../../src/runtime/streams-config.js';
import type { Serde } from '../../src/serde/serde.js';
import { Serdes } from '../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../src/testing/topology-test-driver.js';
import type { Topology } from '../../src/topology/topology.js';
import { parseRunnerArgs, rssBaseline, rssPerMillion, runMain, type BrokerArgs, type BrokerEngineArgs, type EngineArgs } from './args.js';
import { readPeerRecords } from './data.js';

const SYSTEM = 'rivulet';
const DAY = 86_400_000;
const str = Serdes.string();


/** Six big-endian doubles (count, sum, min, max, mean, M2), as the Kafka Streams runner writes them. */
const statsSerde = Serdes.custom<WindowStatistics>(
  'stats',
  (s) => {
    const b = new Uint8Array(48);
    const v = new DataView(b.buffer);
    const m2 = s.count > 0 ? s.variancePop * s.count : 0;
    [s.count, s.sum, s.min, s.max, s.mean, m2].forEach((x, i) => v.setFloat64(i * 8, x));
    return b;
  },
  (b) => {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const count = v.getFloat64(0);
    const m2 = v.getFloat64(40);
    const variancePop = count > 0 ? m2 / count : Number.NaN;
    const variance = count > 1 ? m2 / (count - 1) : Number.NaN;
    return { count, sum: v.getFloat64(8), min: v.getFloat64(16), max: v.getFloat64(24), mean: v.getFloat64(32), variance, stddev: Math.sqrt(variance), variancePop, stddevPop: Math.sqrt(variancePop) };
  },
);

/** Final window statistics per key to `output`: `windows` is tumbling 10 s or hopping 60 s / 1 s, grace 2 s. */
/** Topic names of an engine topology: the test driver's fixed names, or the broker's pre-loaded topics. */
interface EngineTopics {
  readonly input: string;
  readonly impressions: string;
  readonly clicks: string;
  readonly output: string;
}
const DRIVER_TOPICS: EngineTopics = { input: 'input', impressions: 'impressions', clicks: 'clicks', output: 'output' };

function statsTopology(windows: TimeWindows, t: EngineTopics): Topology {
  const b = new StreamsBuilder();
  b.stream<string, string>(t.input, { keySerde: str, valueSerde: str })
    .groupByKey({ keySerde: str, valueSerde: str })
    .windowedBy(windows)
    .stats((v) => Number(v), { storeName: 'stats' })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((w: Windowed<string>, s: WindowStatistics) => ({ key: `${w.key}@${w.window.start}`, value: s }))
    .to(t.output, { keySerde: str, valueSerde: statsSerde });
  return b.build();
}

function wordCountTopology(t: EngineTopics): Topology {
  const b = new StreamsBuilder();
  b.stream<string | null, string>(t.input, { keySerde: str, valueSerde: str })
    .flatMapValues((line) => line.split(' '))
    .groupBy((_k, word) => word, { keySerde: str, valueSerde: str, name: 'words' })
    .count({ storeName: 'counts' })
    .toStream()
    .to(t.output, { keySerde: str, valueSerde: Serdes.json<number>() });
  return b.build();
}

function joinTopology(t: EngineTopics): Topology {
  const b = new StreamsBuilder();
  const impressions = b.stream<string, string>(t.impressions, { keySerde: str, valueSerde: str });
  const clicks = b.stream<string, string>(t.clicks, { keySerde: str, valueSerde: str });
  impressions
    .join(clicks, (i: string, c: string) => `${i}/${c}`, JoinWindows.ofTimeDifferenceAndGrace('10s', '2s'), { name: 'ad-join', keySerde: str, valueSerde: str, otherValueSerde: str })
    .to(t.output, { keySerde: str, valueSerde: str });
  return b.build();
}

function topologyOf(workload: EngineArgs['workload'], t: EngineTopics = DRIVER_TOPICS): Topology {
  switch (workload) {
    case 'W1':
    case 'memory':
      return statsTopology(TimeWindows.ofSizeAndGrace('10s', '2s'), t);
    case 'W2':
      return statsTopology(TimeWindows.ofSizeAndGrace('60s', '2s').advanceBy('1s'), t);
    case 'wordcount':
      return wordCountTopology(t);
    case 'join':
      return joinTopology(t);
  }
}

async function engine(args: EngineArgs): Promise<void> {
  const records = readPeerRecords(args.workload, args.data);
  if (records.length === 0) throw new Error(`no records in ${args.data} for ${args.workload}`);
  const maxTs = records.reduce((m, r) => Math.max(m, r.ts), -Infinity);
  const flushTopics = args.workload === 'join' ? ['impressions', 'clicks'] : ['input'];
  const flushValue = args.workload === 'wordcount' ? '' : '0';
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-peers-'));
  const driver = new TopologyTestDriver(topologyOf(args.workload), { applicationId: `peers-${args.workload}`, stateDir });
  try {
    const inputs = new Map(['input', 'impressions', 'clicks'].filter((t) => flushTopics.includes(t)).map((t) => [t, driver.createInputTopic<string | null, string>(t, str, str)]));
    const valueSerde = args.workload === 'join' ? str : args.workload === 'wordcount' ? Serdes.json() : statsSerde;
    const output = driver.createOutputTopic<string, unknown>('output', str, valueSerde as Serde<unknown>);
    const before = rssBaseline();
    const started = performance.now();
    let pausedMs = 0;
    for (const r of records) (inputs.get(r.topic) as NonNullable<ReturnType<typeof inputs.get>>).pipeInput(r.key, r.value, r.ts);
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
    for (const t of flushTopics) (inputs.get(t) as NonNullable<ReturnType<typeof inputs.get>>).pipeInput('flush', flushValue, maxTs + DAY);
    let outputs = 0;
    while (!output.isEmpty()) {
      output.readRecord();
      outputs++;
    }
    const seconds = (performance.now() - started - pausedMs) / 1000;
    const result = {
      workload: args.workload,
      system: SYSTEM,
      recordsPerSec: Math.round(records.length / seconds),
      records: records.length,
      seconds: Number(seconds.toFixed(3)),
      outputs,
      ...(rssBytes === undefined ? {} : { rssBytes, peakRssBytes }),
    };
    console.log(JSON.stringify(result));
  } finally {
    driver.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: (m, f) => console.warn(m, f ?? ''), error: (m, f) => console.error(m, f ?? '') };

async function broker(args: BrokerArgs | BrokerEngineArgs): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-peers-broker-'));
  const topology =
    args.mode === 'broker'
      ? buildIotTopology({ topics: { input: args.input, windowed: args.windowed, alerts: args.alerts, status: args.status } })
      : topologyOf(args.workload, { input: args.inputs[0] as string, impressions: args.inputs[0] as string, clicks: args.inputs[1] ?? '', output: args.output });
  const processingGuarantee = args.guarantee;
  const app = new KafkaStreams(topology, { applicationId: args.appId, brokers: args.brokers, stateDir, logger: quiet, processingGuarantee });
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  try {
    await app.start();
    await Promise.race([app.waitForState('RUNNING', 120_000), stopped]);
    if (!stopping) console.log(JSON.stringify({ event: 'running' }));
    const failed = new Promise<never>((_, reject) =>
      app.onStateChange((next) => {
        if (next === 'ERROR') reject(new Error('rivulet: the instance failed', { cause: app.error() }));
      }),
    );
    // Handled here even if it comes after SIGTERM (while closing).
    failed.catch(() => undefined);
    await Promise.race([stopped, failed]);
  } finally {
    await app.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

runMain(async () => {
  const args = parseRunnerArgs(process.argv.slice(2));
  if (args.mode === 'engine') await engine(args);
  else await broker(args);
});
