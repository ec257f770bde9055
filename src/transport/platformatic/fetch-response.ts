/**
 * The Fetch v12 response, decoded in one pass over one contiguous buffer.
 *
 * The library hands a response parser its bytes as the socket's chunks, and
 * every read of its reader walks those chunks from the first (a varint of the
 * 40th 64 KiB chunk walks 40 of them) and returns a fresh `[value, length]`
 * pair; each record's timestamp delta becomes a BigInt and each record an
 * object the fetcher then copies into a {@link ConsumerRecord}. In a restore
 * that was a quarter of the CPU. Here the response is copied once into one
 * buffer, the partition fields are read in place, and a batch's records are
 * decoded only when the fetcher takes them, straight into consumer records
 * whose keys and values are views of a copy of their batch.
 * The layout is Kafka's (FetchResponse v12, record batch v2).
 * @module
 */
import { compressionsAlgorithmsByBitmask, createAPI, fetchV12, type Reader as ProtocolReader } from '@platformatic/kafka';
import type { ConsumerRecord, RecordHeaders } from '../transport.js';

const COMPRESSION = 0x07;
const CONTROL = 0x20;
/** Base offset (8) and batch length (4): the bytes before a batch's length counts. */
const BATCH_LOG_OVERHEAD = 12;
/** Bytes of a v2 batch header after the length field, up to the record count. */
const BATCH_HEADER_REST = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4;

/** One record batch: its header, and its records still encoded in `data[start, end)`. */
export interface FetchedBatch {
  readonly firstOffset: number;
  readonly lastOffsetDelta: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly count: number;
  readonly data: Buffer;
  readonly start: number;
  readonly end: number;
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: number;
}

export interface FetchedPartition {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly abortedTransactions: readonly AbortedTransaction[];
  readonly batches: readonly FetchedBatch[];
}

export interface FetchResponse {
  readonly errorCode: number;
  readonly responses: readonly { readonly topicId: string; readonly partitions: readonly FetchedPartition[] }[];
}

/** A cursor over one buffer; varints read without allocating. */
class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
  ) {
    this.pos = pos;
  }

  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A 64-bit integer as a Number (offsets and timestamps stay far below 2^53). */
  int64(): number {
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  bigint64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned varint up to 2^53 (Numbers; no 32-bit overflow for varlongs). */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let b = buf[pos++] as number;
    let v = b & 0x7f;
    let mul = 128;
    while (b >= 0x80) {
      if (pos >= buf.length) throw new RangeError('fetch response: varint runs past the end of the response');
      b = buf[pos++] as number;
      v += (b & 0x7f) * mul;
      mul *= 128;
    }
    this.pos = pos;
    return v;
  }

  /** Zig-zag signed varint (int32 or int64 alike, as a Number). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }

  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) return '';
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** A view of the next `n` bytes. */
  view(n: number): Buffer {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** The response's bytes after the header, as one buffer (a copy when they came in several chunks). */
function contiguous(reader: ProtocolReader): Buffer {
  return reader.buffer.slice(reader.position, reader.length);
}

export function parseFetchResponse(_correlationId: number, _apiKey: number, _apiVersion: number, reader: ProtocolReader): FetchResponse {
  const c = new Cursor(contiguous(reader));
  c.int32(); // throttle_time_ms
  const errorCode = c.int16();
  c.int32(); // session_id
  const topics = c.uvarint() - 1;
  const responses: { topicId: string; partitions: FetchedPartition[] }[] = [];
  for (let t = 0; t < topics; t++) {
    const topicId = c.compactString();
    const count = c.uvarint() - 1;
    const partitions: FetchedPartition[] = [];
    for (let p = 0; p < count; p++) {
      const partitionIndex = c.int32();
      const partitionError = c.int16();
      const highWatermark = c.int64();
      const lastStableOffset = c.int64();
      const logStartOffset = c.int64();
      const abortedTransactions: AbortedTransaction[] = [];
      const aborted = c.uvarint() - 1;
      for (let i = 0; i < aborted; i++) {
        abortedTransactions.push({ producerId: c.bigint64(), firstOffset: c.int64() });
        c.skipTaggedFields();
      }
      c.int32(); // preferred_read_replica
      const size = c.uvarint() - 1;
      const batches = size > 0 ? readBatches(c.buf, c.pos, c.pos + size) : [];
      if (size > 0) c.pos += size;
      c.skipTaggedFields();
      partitions.push({ partitionIndex, errorCode: partitionError, highWatermark, lastStableOffset, logStartOffset, abortedTransactions, batches });
    }
    c.skipTaggedFields();
    responses.push({ topicId, partitions });
  }
  return { errorCode, responses };
}

/** The whole batches in `buf[start, end)`; a batch cut off by the fetch size limit is left for the next fetch. */
function readBatches(buf: Buffer, start: number, end: number): FetchedBatch[] {
  const out: FetchedBatch[] = [];
  const c = new Cursor(buf, start);
  while (end - c.pos >= BATCH_LOG_OVERHEAD) {
    const batchStart = c.pos;
    const firstOffset = c.int64();
    const length = c.int32();
    if (end - c.pos < length || length < BATCH_HEADER_REST + 4) break;
    const batchEnd = c.pos + length;
    c.int32(); // partition leader epoch
    const magic = c.int8();
    if (magic !== 2) throw new RangeError(`fetch response: record batch at offset ${firstOffset} has format v${magic}; rivulet reads v2 batches (Kafka 0.11 and later)`);
    c.pos += 4; // crc
    const attributes = c.int16();
    const lastOffsetDelta = c.int32();
    const firstTimestamp = c.int64();
    const maxTimestamp = c.int64();
    const producerId = c.bigint64();
    c.pos += 2 + 4; // producer epoch, base sequence
    const count = c.int32();
    const compression = attributes & COMPRESSION;
    let data = buf;
    let recordsStart = c.pos;
    let recordsEnd = batchEnd;
    if (compression !== 0) {
      const algorithm = compressionsAlgorithmsByBitmask[compression];
      if (algorithm === undefined) throw new RangeError(`fetch response: record batch at offset ${firstOffset} uses compression codec ${compression}, which rivulet cannot read`);
      data = algorithm.decompressSync(buf.subarray(c.pos, batchEnd));
      recordsStart = 0;
      recordsEnd = data.length;
    }
    out.push({ firstOffset, lastOffsetDelta, attributes, producerId, firstTimestamp, maxTimestamp, count, data, start: recordsStart, end: recordsEnd });
    c.pos = batchStart + BATCH_LOG_OVERHEAD + length;
  }
  return out;
}

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});

/**
 * Appends the records of `batch` at offsets >= `from` to `out` as consumer
 * records of `topic`-`partition`. `logAppendTime` stamps them all with the
 * batch's max timestamp, as Kafka's consumers do for LogAppendTime topics.
 */
export function decodeRecords(batch: FetchedBatch, topic: string, partition: number, from: number, logAppendTime: boolean, out: ConsumerRecord[]): void {
  // Keys and values are views of one copy of the batch (a decompressed batch is a buffer of its
  // own already): a record kept for long holds its batch alive, not the whole response, and
  // one copy per batch costs less than one per key and value.
  const data = batch.data.length === batch.end - batch.start ? batch.data : Buffer.from(batch.data.subarray(batch.start, batch.end));
  const c = new Cursor(data, batch.data === data ? batch.start : 0);
  const end = batch.data === data ? batch.end : data.length;
  const base = logAppendTime ? batch.maxTimestamp : batch.firstTimestamp;
  for (let i = 0; i < batch.count && c.pos < end; i++) {
    const length = c.varint();
    const next = c.pos + length;
    c.pos += 1; // attributes
    const timestampDelta = c.varint();
    const offset = batch.firstOffset + c.varint();
    if (offset < from) {
      c.pos = next;
      continue;
    }
    const keyLength = c.varint();
    const key = keyLength < 0 ? null : c.view(keyLength);
    const valueLength = c.varint();
    const value = valueLength < 0 ? null : c.view(valueLength);
    const headerCount = c.varint();
    let headers = EMPTY_HEADERS;
    if (headerCount > 0) {
      const h: Record<string, Uint8Array> = {};
      for (let j = 0; j < headerCount; j++) {
        const kl = c.varint();
        const name = kl < 0 ? null : data.toString('utf8', c.pos, c.pos + kl);
        if (kl > 0) c.pos += kl;
        const vl = c.varint();
        const v = vl < 0 ? new Uint8Array(0) : c.view(vl);
        if (name !== null) h[name] = v;
      }
      headers = h;
    }
    out.push({ topic, partition, offset, key, value, timestamp: logAppendTime ? base : base + timestampDelta, headers });
    c.pos = next;
  }
}

/** The control record type of a control batch (0 ABORT, 1 COMMIT); -1 for other batches. */
export function controlType(batch: FetchedBatch): number {
  if ((batch.attributes & CONTROL) === 0 || batch.count === 0) return -1;
  const c = new Cursor(batch.data, batch.start);
  c.varint(); // length
  c.pos += 1;
  c.varint(); // timestamp delta
  c.varint(); // offset delta
  const keyLength = c.varint();
  return keyLength >= 4 ? batch.data.readInt16BE(c.pos + 2) : -1;
}

/** Fetch v12 with {@link parseFetchResponse} in place of the library's parser; the request is the library's. */
export const fetchApi = createAPI<Parameters<typeof fetchV12.createRequest>, FetchResponse>(1, 12, fetchV12.createRequest, parseFetchResponse);
