/**
 * What the examples share: put input records on a topic (of the embedded broker,
 * or of Kafka with `brokers`), run a topology over everything there once
 * (`runUntilCaughtUp`, Spark's availableNow), and read chosen stores just before
 * the instance closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { formatProgress, type Progress } from '../../src/runtime/progress.js';
import type { Topology } from '../../src/topology/topology.js';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { EmbeddedBroker } from '../../src/transport/embedded/embedded-broker.js';
import type { Transport } from '../../src/transport/transport.js';

export interface RunOnceOptions {
  /** Kafka bootstrap servers; without them an embedded broker is used. */
  readonly brokers?: string[];
  /** Receives a progress line about once a second while the run catches up. */
  readonly progress?: (line: string) => void;
}

export interface ExampleRun<R> {
  readonly name: string;
  readonly topology: Topology;
  /** The input topic and its records: JSON values (or `raw` text, to send malformed input), optional keys and timestamps. */
  readonly topic: string;
  readonly partitions?: number;
  readonly records: readonly { readonly key?: string; readonly value?: unknown; readonly raw?: string; readonly timestamp?: number }[];
  /** Reads the result from the running instance (interactive queries) before it closes. */
  readonly collect: (app: KafkaStreams) => R;
}

export async function runOnce<R>(run: ExampleRun<R>, options: RunOnceOptions = {}): Promise<R> {
  const stateDir = mkdtempSync(join(tmpdir(), `rivulet-${run.name}-`));
  const broker = options.brokers === undefined ? new EmbeddedBroker() : undefined;
  const admin: Transport = broker?.transport() ?? createKafkaTransport({ brokers: options.brokers as string[] });
  try {
    await admin.connect();
    await admin.createTopics([{ topic: run.topic, partitions: run.partitions ?? 1 }]);
    const producer = await admin.producer();
    const enc = new TextEncoder();
    await producer.send(
      run.records.map((r) => ({
        topic: run.topic,
        key: r.key === undefined ? null : enc.encode(r.key),
        value: enc.encode(r.raw ?? JSON.stringify(r.value)),
        ...(r.timestamp === undefined ? {} : { timestamp: r.timestamp }),
      })),
    );
    await producer.close();
    const app = new KafkaStreams(run.topology, {
      // A fresh application each run: the example reads its input from the start.
      applicationId: `${run.name}-${Date.now()}`,
      stateDir,
      commitIntervalMs: 200,
      ...(broker === undefined ? { brokers: options.brokers as string[] } : { embeddedBroker: broker }),
    });
    let result: R | undefined;
    app.onStateChange((next) => {
      if (next === 'PENDING_SHUTDOWN') result = run.collect(app);
    });
    const progress = options.progress;
    await app.runUntilCaughtUp({ timeoutMs: 120_000, ...(progress === undefined ? {} : { onProgress: (p: Progress) => progress(formatProgress(`${run.name}: catching up`, p)) }) });
    return result as R;
  } finally {
    await admin.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
