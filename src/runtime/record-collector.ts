import type { RecordHeaders } from '../transport/transport.js';
import { encodeUtf8 } from '../serde/utf8.js';

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

/** Bytes of key, value and headers: what counts against the producer's and broker's record limits. */
export function recordBytes(r: Pick<OutgoingRecord, 'key' | 'value' | 'headers'>): number {
  let n = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers)) n += Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  return n;
}
