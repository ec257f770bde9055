/**
 * One rivulet instance of the crash scenarios in its own process, for killing
 * with SIGKILL (test/support/kafka-crash.ts starts it with `npx vite-node`).
 *
 *   vite-node test/support/crash-runner.ts '<json RunnerConfig>'
 *
 * Prints a JSON status line ({ state, tasks }) every 100 ms and on each state
 * change; on a `close` line on stdin it closes and exits 0.
 */
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { crashTopology, type CrashTopics } from './crash-topology.js';
import { runAsChild } from './child-instance.js';

export interface RunnerConfig {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly topics: CrashTopics;
  readonly processingGuarantee: 'at_least_once' | 'exactly_once';
  readonly stateDir: string;
  readonly commitIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly transactionTimeoutMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
const app = new KafkaStreams(crashTopology(config.topics), {
  applicationId: config.applicationId,
  brokers: config.brokers,
  processingGuarantee: config.processingGuarantee,
  stateDir: config.stateDir,
  commitIntervalMs: config.commitIntervalMs,
  sessionTimeoutMs: config.sessionTimeoutMs,
  transactionTimeoutMs: config.transactionTimeoutMs,
});
await runAsChild(app, () => ({ state: app.state(), tasks: app.metrics().tasks }));
