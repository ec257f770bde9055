import type { RecordMetadata, StreamRecord } from './stream-record.js';

/** Stream time advances with record timestamps; wall-clock time with the system clock. */
export type PunctuationType = 'stream-time' | 'wall-clock';

/** Handle returned by `schedule`, to stop a punctuation. */
export interface Cancellable {
  cancel(): void;
}

/**
 * What a processor can reach while it runs: forward records downstream, its
 * task's state stores, punctuation. Matches Kafka Streams' `api.ProcessorContext`.
 */
export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string;
  /** `<subtopology>_<partition>`, as Kafka Streams names tasks. */
  readonly taskId: string;
  /** The input partition of this task. */
  readonly partition: number;
  /** Sends a record to all children, or to the named child only. */
  forward<K extends KOut, V extends VOut>(record: StreamRecord<K, V>, childName?: string): void;
  /** A store this processor was connected to (by the DSL or `Topology.addProcessor`). */
  getStateStore<S>(name: string): S;
  /** Calls `punctuator` every `intervalMs` of stream time or wall-clock time. */
  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestamp: number) => void): Cancellable;
  /** Topic, partition and offset of the record being processed, if it came from a topic. */
  recordMetadata(): RecordMetadata | undefined;
  /** The task's stream time: the largest record timestamp it has seen. */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
}

/**
 * One node of a topology. `process` is synchronous on purpose: the runtime
 * processes a polled batch without yielding per record, and state stores are
 * served from memory (see the README's state section).
 */
export interface Processor<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  /**
   * Called at every commit, parents before children, before stores are
   * flushed: operators that buffer (windowed aggregates, suppression) emit here.
   */
  flush?(): void;
  /** Called once the commit that followed `flush` succeeded (offsets committed): sinks outside Kafka publish here. */
  committed?(): void;
  close?(): void;
}

/** Makes a fresh processor per task. */
export type ProcessorSupplier<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> = () => Processor<KIn, VIn, KOut, VOut>;
