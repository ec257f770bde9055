/**
 * A rivulet instance whose only output is a file sink, in its own process so the
 * file-sink crash test can SIGKILL it mid-commit (test/integration/file-sink-crash.test.ts).
 *
 *   vite-node test/support/file-sink-runner.ts '<json FileSinkRunnerConfig>'
 *
 * Prints `{ state, processed }` lines; on `close` on stdin it closes and exits 0.
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { runAsChild } from './child-instance.js';

export interface FileSinkRunnerConfig {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly input: string;
  readonly path: string;
  readonly stateDir: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as FileSinkRunnerConfig;
const b = new StreamsBuilder();
b.stream<string, { seq: number }>(config.input, { valueSerde: Serdes.json() }).toFile(config.path, { format: 'jsonl', name: 'file-out' });
const app = new KafkaStreams(b.build(), {
  applicationId: config.applicationId,
  brokers: config.brokers,
  processingGuarantee: 'exactly_once',
  stateDir: config.stateDir,
  // Many small commits, so kills land inside one.
  commitIntervalMs: 50,
  maxPollRecords: 500,
  sessionTimeoutMs: 6_000,
  transactionTimeoutMs: 10_000,
});
await runAsChild(app, () => ({ state: app.state(), processed: app.metrics().processed }));
