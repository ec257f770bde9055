/**
 * One counting instance of the standby failover test in its own process, for
 * killing with SIGKILL (test/integration/kafka-standby-failover.test.ts).
 *
 *   vite-node test/support/standby-runner.ts '<json StandbyRunnerConfig>'
 *
 * Status lines: { state, tasks, active, restores } (see child-instance.ts).
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import type { RestoreProgress } from '../../src/runtime/task-manager.js';
import { Serdes } from '../../src/serde/serdes.js';
import { runAsChild } from './child-instance.js';

export interface StandbyRunnerConfig {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  readonly stateDir: string;
  readonly numStandbyReplicas: number;
  readonly sessionTimeoutMs: number;
  readonly transactionTimeoutMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as StandbyRunnerConfig;
const b = new StreamsBuilder();
b.stream<string, unknown>(config.input, { valueSerde: Serdes.json() }).groupByKey().count({ storeName: 'counts' }).toStream().to(config.output, { valueSerde: Serdes.json<number>() });
const app = new KafkaStreams(b.build(), {
  applicationId: config.applicationId,
  brokers: config.brokers,
  processingGuarantee: 'exactly_once',
  stateDir: config.stateDir,
  commitIntervalMs: 100,
  numStandbyReplicas: config.numStandbyReplicas,
  sessionTimeoutMs: config.sessionTimeoutMs,
  transactionTimeoutMs: config.transactionTimeoutMs,
});
const restores: RestoreProgress[] = [];
app.onRestore((p) => restores.push(p));
await runAsChild(app, () => ({ state: app.state(), tasks: app.metrics().tasks, active: Object.keys(app.taskMetrics()).sort(), restores }));
