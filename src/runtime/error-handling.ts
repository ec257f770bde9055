import { createHash } from 'node:crypto';
import { RivuletError, TaskFailure } from '../errors.js';
import type { TaskMetrics } from '../metrics/task-metrics.js';
import type { SourceRecord } from '../processors/internal-context.js';
import type { RecordCollector } from './record-collector.js';
import type { ResolvedConfig } from './streams-config.js';

/**
 * What to do with a record that cannot be deserialized (or has an invalid
 * timestamp), or whose processing threw: stop the application (`fail`), log and
 * count it (`skip`), or also write it to the dead-letter topic
 * `<applicationId>-dlq` with the error in its headers (`dead-letter`).
 */
export type ErrorHandling = 'fail' | 'skip' | 'dead-letter';

/** Where a record failed; `production`: an output record the producer cannot take. */
export type FailureStage = 'deserialization' | 'processing' | 'serialization' | 'production';

/** An output record the producer cannot take, as a {@link ProductionErrorHandler} sees it. */
export interface ProductionFailure {
  /** What was wrong, e.g. code `RIVULET_TRANSPORT_RECORD_TOO_LARGE`. */
  readonly error: RivuletError;
  readonly topic: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  /** The input record whose processing produced it, when there is one. */
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: number } | undefined;
}

/** Decides per record what happens to output the producer cannot take (Kafka Streams' `ProductionExceptionHandler`). */
export type ProductionErrorHandler = (failure: ProductionFailure) => ErrorHandling;

/** Header names on dead-letter records. */
export const DLQ_HEADERS = {
  stage: 'rivulet.error.stage',
  code: 'rivulet.error.code',
  reason: 'rivulet.error.reason',
  topic: 'rivulet.source.topic',
  partition: 'rivulet.source.partition',
  offset: 'rivulet.source.offset',
  timestamp: 'rivulet.source.timestamp',
  /** Set when the copy was cut: the original key and value sizes in bytes, and the value's SHA-256 (hex). */
  keySize: 'rivulet.source.key.size',
  valueSize: 'rivulet.source.value.size',
  valueSha256: 'rivulet.source.value.sha256',
} as const;

/**
 * Largest key + value a dead-letter copy carries. The input topic may accept
 * larger records than the dead-letter topic (and a 1 MiB record plus error
 * headers is over Kafka's default limit), and a dead-letter write the broker
 * rejects would fail every commit from then on; half of Kafka's default
 * `max.message.bytes` leaves room for headers.
 */
export const DLQ_MAX_RECORD_BYTES = 512 * 1024;

/** The dead-letter topic of an application. */
export function deadLetterTopic(applicationId: string): string {
  return `${applicationId}-dlq`;
}

export { TaskFailure } from '../errors.js';

/** A record as it was read, before deserialization: what failure reports and dead-letter copies carry. */
export type FailedRecord = SourceRecord;

const encoder = new TextEncoder();

/** The record's key and value as the dead-letter topic can take them, with what was cut said in headers. */
function deadLetterCopy(rec: FailedRecord): { key: Uint8Array | null; value: Uint8Array | null; headers: Record<string, string> } {
  const keySize = rec.key?.length ?? 0;
  const valueSize = rec.value?.length ?? 0;
  if (keySize + valueSize <= DLQ_MAX_RECORD_BYTES) return { key: rec.key, value: rec.value, headers: {} };
  const sha256 = createHash('sha256').update(rec.value ?? new Uint8Array()).digest('hex');
  // Keys are kept whole where they fit (they partition and identify); values are cut first.
  const key = rec.key === null ? null : rec.key.subarray(0, Math.min(keySize, DLQ_MAX_RECORD_BYTES / 2));
  const value = rec.value === null ? null : rec.value.subarray(0, DLQ_MAX_RECORD_BYTES - (key?.length ?? 0));
  return { key, value, headers: { [DLQ_HEADERS.keySize]: String(keySize), [DLQ_HEADERS.valueSize]: String(valueSize), [DLQ_HEADERS.valueSha256]: sha256 } };
}

/**
 * Applies the configured handling to a failed record: throws a {@link TaskFailure}
 * (`fail`), or logs, counts and — with `dead-letter` — copies it to the
 * dead-letter topic with the error in its headers.
 */
export function handleFailedRecord(
  owner: { readonly name: string; readonly config: ResolvedConfig; readonly collector: RecordCollector; readonly metrics: TaskMetrics },
  stage: FailureStage,
  error: unknown,
  rec: FailedRecord,
  handling: ErrorHandling = stage === 'deserialization' ? owner.config.deserializationErrorHandling : owner.config.processingErrorHandling,
): void {
  const cfg = owner.config;
  const code = error instanceof RivuletError ? error.code : stage === 'processing' ? 'RIVULET_PROCESSING_FAILED' : 'RIVULET_SERDE_DESERIALIZE';
  const reason = error instanceof Error ? error.message : String(error);
  const where = { task: owner.name, stage, code, topic: rec.topic, partition: rec.partition, offset: rec.offset, timestamp: rec.timestamp, reason };
  if (handling === 'fail') {
    cfg.logger.error('record failed; stopping (handling: fail)', where);
    throw new TaskFailure('RIVULET_RECORD_FAILED', `${owner.name}: ${stage} of ${rec.topic}-${rec.partition}@${rec.offset} failed: ${reason}`, { cause: error });
  }
  cfg.logger.warn(handling === 'skip' ? 'record skipped' : 'record dead-lettered', where);
  owner.metrics.dropped[stage === 'production' ? 'unproducible' : 'invalid-value']++;
  if (handling !== 'dead-letter') return;
  owner.metrics.deadLettered++;
  const copy = deadLetterCopy(rec);
  owner.collector.send({
    topic: deadLetterTopic(cfg.applicationId),
    partition: undefined,
    key: copy.key,
    value: copy.value,
    timestamp: rec.timestamp,
    headers: {
      ...(rec.headers ?? {}),
      ...copy.headers,
      [DLQ_HEADERS.stage]: stage,
      [DLQ_HEADERS.code]: code,
      [DLQ_HEADERS.reason]: encoder.encode(reason.slice(0, 1000)),
      [DLQ_HEADERS.topic]: rec.topic,
      [DLQ_HEADERS.partition]: String(rec.partition),
      [DLQ_HEADERS.offset]: String(rec.offset),
      [DLQ_HEADERS.timestamp]: String(rec.timestamp),
    },
  });
}

/**
 * Applies `productionErrorHandling` to an output record the producer cannot
 * take. The dead-letter copy carries the output's key and value (cut to
 * {@link DLQ_MAX_RECORD_BYTES}) and the coordinates of the input record that
 * produced it, so it can be found and replayed.
 */
export function handleProductionFailure(
  owner: { readonly name: string; readonly config: ResolvedConfig; readonly collector: RecordCollector; readonly metrics: TaskMetrics },
  failure: ProductionFailure,
  headers: FailedRecord['headers'],
): void {
  const configured = owner.config.productionErrorHandling;
  let handling: ErrorHandling;
  if (typeof configured === 'function') {
    try {
      handling = configured(failure);
    } catch (e) {
      owner.config.logger.error('productionErrorHandling threw; treating the record as failed', { task: owner.name, reason: e instanceof Error ? e.message : String(e) });
      handling = 'fail';
    }
    if (handling !== 'fail' && handling !== 'skip' && handling !== 'dead-letter') {
      owner.config.logger.error(`productionErrorHandling must return 'fail', 'skip' or 'dead-letter' (got ${JSON.stringify(handling)}); treating the record as failed`, { task: owner.name });
      handling = 'fail';
    }
  } else {
    handling = configured;
  }
  const src = failure.source;
  const rec: FailedRecord = {
    topic: src?.topic ?? failure.topic,
    partition: src?.partition ?? -1,
    offset: src?.offset ?? -1,
    key: failure.key,
    value: failure.value,
    timestamp: failure.timestamp,
    ...(headers === undefined ? {} : { headers }),
  };
  handleFailedRecord(owner, 'production', failure.error, rec, handling);
}
