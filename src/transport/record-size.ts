import type { ProducerRecord } from './transport.js';
import { TransportErrorCode, transportError } from './transport-error-codes.js';

/**
 * Kafka's size limits, as both transports apply them.
 *
 * - A broker refuses a record batch larger than its topic's `max.message.bytes`
 *   (Kafka's default 1048588: 1 MiB plus the batch header) with MESSAGE_TOO_LARGE.
 * - A producer refuses, before sending, a record that cannot fit one request
 *   (`max.request.size`, 1 MiB by default): RecordTooLargeException in Kafka's client.
 * - Producers put at most {@link MAX_BATCH_BYTES} of one partition's records in one batch,
 *   half the default limit, so a batch of small records never meets it.
 * @module
 */

/** Kafka's default topic `max.message.bytes` (and broker `message.max.bytes`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** Kafka's producer `max.request.size` default: the largest record a producer sends. */
export const MAX_RECORD_BYTES = 1_048_576;
/** Bytes of one partition's records per batch (half the broker's default limit). */
export const MAX_BATCH_BYTES = 512 * 1024;
/** A v2 record batch's header. */
export const BATCH_OVERHEAD_BYTES = 61;
/** A record's framing in a v2 record batch, at most (varint lengths, offsets, timestamp delta, attributes). */
export const RECORD_OVERHEAD_BYTES = 32;

/** A record's size in a record batch, at most. */
export function recordBytes(r: Pick<ProducerRecord, 'key' | 'value' | 'headers'>): number {
  let bytes = RECORD_OVERHEAD_BYTES + (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
  if (r.headers !== undefined) for (const [name, value] of Object.entries(r.headers)) bytes += name.length + (value as Uint8Array).byteLength + 4;
  return bytes;
}

/** Refuses a record no batch can carry, naming it: RIVULET_TRANSPORT_RECORD_TOO_LARGE. */
export function checkRecordSize(api: string, r: ProducerRecord, partition: number, bytes: number): void {
  if (bytes + BATCH_OVERHEAD_BYTES <= MAX_RECORD_BYTES) return;
  throw transportError(
    TransportErrorCode.RECORD_TOO_LARGE,
    `${api}: a record must be at most ${MAX_RECORD_BYTES} bytes with its framing (Kafka's max.request.size; got ${bytes + BATCH_OVERHEAD_BYTES} bytes: key ${r.key?.byteLength ?? 0}, value ${r.value?.byteLength ?? 0}) for topic '${r.topic}' partition ${partition}; make the record smaller or split it`,
  );
}
