import type { RecordHeaders } from '../transport/transport.js';
import { encodeUtf8 } from '../serde/utf8.js';
import { BATCH_OVERHEAD_BYTES, recordBytes } from '../transport/record-size.js';

/** A serialized record on its way to a topic. */
export interface OutgoingRecord {
  readonly topic: string;
  /** Undefined: the collector applies the default (murmur2) partitioner. */
  readonly partition: number | undefined;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly timestamp: number;
  readonly headers: { readonly [name: string]: Uint8Array | string };
}

/** Where a task's sinks, changelogs and dead letters go: the producer at runtime, lists in the test driver. */
export interface RecordCollector {
  send(record: OutgoingRecord): void;
  /** Partition count of an output topic, for custom partitioners; undefined if unknown. */
  partitionsFor(topic: string): number | undefined;
}


/** Headers as the transport sends them: string values UTF-8 encoded. */
export function headerBytes(h: OutgoingRecord['headers']): RecordHeaders {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'string' ? encodeUtf8(v) : v;
  return out;
}

/** A record's size with its framing, as the producer checks it against Kafka's `max.request.size`. */
export function outgoingRecordBytes(r: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>): number {
  const headers = r.headers;
  for (const _ in headers) return BATCH_OVERHEAD_BYTES + recordBytes({ key: r.key, value: r.value, headers: headerBytes(headers) });
  return BATCH_OVERHEAD_BYTES + recordBytes({ key: r.key, value: r.value });
}
