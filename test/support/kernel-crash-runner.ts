/**
 * One instance of the kernel changelog crash test in its own process, for
 * SIGKILL (test/integration/kernel-changelog-crash.test.ts starts it with
 * `npx vite-node`): a `stats()` topology over many keys, tumbling windows
 * emitted when they close, exactly-once.
 *
 *   vite-node test/support/kernel-crash-runner.ts '<json KernelCrashConfig>'
 *
 * Prints a JSON status line (state, processed, commits, restore progress)
 * every 100 ms; on a `close` line on stdin it closes and exits 0.
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { TimeWindows, type Windowed } from '../../src/dsl/windows.js';
import type { WindowStatistics } from '../../src/processors/window-stats.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { runAsChild } from './child-instance.js';

export interface KernelCrashConfig {
  readonly brokers: readonly string[];
  readonly applicationId: string;
  readonly input: string;
  readonly output: string;
  readonly stateDir: string;
}

export const KERNEL_CRASH_WINDOW_MS = 10_000;

const config = JSON.parse(process.argv[2] ?? '{}') as KernelCrashConfig;
const b = new StreamsBuilder();
b.stream<string, { v: number }>(config.input, { keySerde: Serdes.string(), valueSerde: Serdes.json<{ v: number }>() })
  .groupByKey()
  .windowedBy(TimeWindows.ofSizeWithNoGrace(KERNEL_CRASH_WINDOW_MS))
  .emitStrategy('onWindowClose')
  .stats((r) => r.v, { storeName: 'kernel-stats' })
  .toStream()
  .map((wk: Windowed<string>, s: WindowStatistics) => ({ key: `${wk.key}@${wk.window.start}`, value: { count: s.count, sum: s.sum, min: s.min, max: s.max } }))
  .to(config.output, { keySerde: Serdes.string(), valueSerde: Serdes.json<{ count: number; sum: number; min: number; max: number }>() });

const app = new KafkaStreams(b.build(), {
  applicationId: config.applicationId,
  brokers: config.brokers,
  processingGuarantee: 'exactly_once',
  stateDir: config.stateDir,
  commitIntervalMs: 1000,
  // Long commits and restores (200,000 changelog records) on a loaded machine must not cost the membership (Kafka Streams' default).
  sessionTimeoutMs: 45_000,
  // Closing a window of every key writes 200,000 outputs and changelog records in one transaction.
  transactionTimeoutMs: 60_000,
});
await runAsChild(app, () => {
  const m = app.metrics();
  return { state: app.state(), processed: m.processed, commits: m.commits, restores: m.restores };
});
