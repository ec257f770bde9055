/**
 * One instance of the scale benchmark (bench/scale.bench.ts) in its own process,
 * so the benchmark can SIGKILL it: the IoT anomaly topology on a real broker.
 *
 *   vite-node bench/scale-instance.ts '<json ScaleInstanceConfig>'
 *
 * Prints JSON lines: `{"t":"status",…}` every 100 ms and on state changes, and
 * `{"t":"commit",…}` after each commit it sees (latency, changelog records and
 * bytes since the previous line, keys held). A `close` line on stdin closes the
 * instance and exits 0.
 */
import { createInterface } from 'node:readline';
import { buildIotTopology, type IotTopics } from '../examples/iot-anomaly/topology.js';
import { KafkaStreams } from '../src/runtime/kafka-streams.js';
import type { Logger, StreamsConfig } from '../src/runtime/streams-config.js';

export interface ScaleInstanceConfig {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly topics: IotTopics;
  readonly stateDir: string;
  readonly numStandbyReplicas: number;
  readonly sessionTimeoutMs: number;
}

/** The store whose keys are the devices with an open window: every device has one in each store. */
export const OPEN_KEYS_STORE = 'device-stats-tumbling-10s';

const config = JSON.parse(process.argv[2] ?? '{}') as ScaleInstanceConfig;
// RIVULET_SCALE_LOG=info also prints the instances' info lines (rebalances, restores) to stderr.
const info = process.env['RIVULET_SCALE_LOG'] === 'info';
const name = (config.stateDir ?? '').slice(-6);
const quiet: Logger = {
  debug: () => undefined,
  info: info ? (m, f) => console.error(`[${name} ${new Date().toISOString().slice(11, 23)}] ${m}`, f === undefined ? '' : JSON.stringify(f)) : () => undefined,
  warn: (m, f) => console.error(m, f ?? ''),
  error: (m, f) => console.error(m, f ?? ''),
};
const streamsConfig: StreamsConfig = {
  applicationId: config.applicationId,
  brokers: [...config.brokers],
  stateDir: config.stateDir,
  logger: quiet,
  sessionTimeoutMs: config.sessionTimeoutMs,
  // Standby replicas are set only when asked for, so the instance also runs on a rivulet without the option.
  ...(config.numStandbyReplicas > 0 ? { numStandbyReplicas: config.numStandbyReplicas } : {}),
};
const app = new KafkaStreams(buildIotTopology({ topics: config.topics }), streamsConfig);
const resolved = app.config as unknown as Record<string, unknown>;
const standbySupported = 'numStandbyReplicas' in resolved;

const write = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const status = () => {
  const m = app.metrics();
  const mem = process.memoryUsage();
  write({
    t: 'status',
    at: Date.now(),
    state: app.state(),
    processed: m.processed,
    commits: m.commits,
    openKeys: m.storeEntries[OPEN_KEYS_STORE] ?? 0,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    restores: m.restores,
    tasks: Object.keys(app.taskMetrics()),
    standbySupported,
    numStandbyReplicas: resolved['numStandbyReplicas'] ?? null,
  });
};
let seen = { commits: 0, records: 0, bytes: 0 };
const commits = () => {
  const m = app.metrics();
  if (m.commits === seen.commits) return;
  write({
    t: 'commit',
    at: Date.now(),
    ms: m.commitLatencyLastMs,
    commits: m.commits - seen.commits,
    changelogRecords: m.changelogRecordsSent - seen.records,
    changelogBytes: m.changelogBytesSent - seen.bytes,
    openKeys: m.storeEntries[OPEN_KEYS_STORE] ?? 0,
    processed: m.processed,
  });
  seen = { commits: m.commits, records: m.changelogRecordsSent, bytes: m.changelogBytesSent };
};
app.onStateChange(status);
const statusTimer = setInterval(status, 100);
// A commit happens about once a second; looking every 10 ms sees each one on its own.
const commitTimer = setInterval(commits, 10);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'close') return;
  void app.close().then(() => {
    clearInterval(statusTimer);
    clearInterval(commitTimer);
    status();
    process.exit(0);
  });
});
await app.start();
status();
