import type { ProcessorContext } from './processor.js';
import type { StreamRecord } from './stream-record.js';

/** Why a record was dropped; each reason has its own counter in the metrics. */
export type DropReason = 'late' | 'null-key' | 'null-value' | 'invalid-value' | 'expired-window' | 'duplicate' | 'unproducible';

/** The input record being processed, as read (opaque to processors: they only hand it back). */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers?: { readonly [name: string]: Uint8Array | string };
}

/** What the runtime gives rivulet's own processors beyond the public context. */
export interface InternalProcessorContext<KOut = unknown, VOut = unknown> extends ProcessorContext<KOut, VOut> {
  /**
   * Counts the drop by reason, logs it, and sends the record to the late-records
   * topic when configured. Processors that buffer records pass the source they
   * captured with {@link sourceRecord}; otherwise the record being processed is meant.
   */
  dropRecord(reason: DropReason, record: StreamRecord<unknown, unknown>, detail: string, source?: SourceRecord): void;
  /** The input record being processed now, for processors that act on it later. */
  sourceRecord(): SourceRecord | undefined;
  /**
   * Hands the record to the processing error handling (dead-letter topic by
   * default) without aborting its other branches; throws only under `fail`.
   */
  rejectRecord(error: unknown, source?: SourceRecord): void;
  /** Adds time spent in the WASM kernel to the task's metrics. */
  recordKernelTime(ms: number): void;
  /**
   * For work that finishes after `process` returned: captures the record being
   * processed, so results forwarded later carry its metadata and a failure goes
   * to the processing error handler (dead-letter topic) with its original bytes.
   */
  defer(): DeferredRecord<KOut, VOut>;
}

/** See {@link InternalProcessorContext.defer}. */
export interface DeferredRecord<KOut, VOut> {
  forward(record: StreamRecord<KOut, VOut>): void;
  fail(error: unknown): void;
}

/** Processors whose work completes asynchronously (`mapValuesAsync`); the runtime waits for them before committing. */
export interface AsyncAware {
  /** Nothing more should be handed in until {@link capacity} resolves. */
  readonly saturated: boolean;
  capacity(): Promise<void>;
  /** Resolves once every record handed in has been forwarded or failed. */
  settle(): Promise<void>;
  /** Records handed in and not yet forwarded or failed. */
  readonly pending: number;
}

/** The runtime always passes an internal context; public processors just do not see the extras. */
export function internal<K, V>(ctx: ProcessorContext<K, V>): InternalProcessorContext<K, V> {
  return ctx as InternalProcessorContext<K, V>;
}

/**
 * Aggregations skip records without a key or value (as Kafka Streams does),
 * counting and logging them; returns true when the record was dropped.
 */
export function dropUnaggregatable(ctx: InternalProcessorContext<unknown, unknown>, r: StreamRecord<unknown, unknown>, storeName: string): boolean {
  if (r.key === null || r.key === undefined) {
    ctx.dropRecord('null-key', r, `${storeName}: records with a null key cannot be aggregated`);
    return true;
  }
  if (r.value === null || r.value === undefined) {
    ctx.dropRecord('null-value', r, `${storeName}: records with a null value are skipped by aggregations`);
    return true;
  }
  return false;
}
