/**
 * Produce requests encoded in one pass into one buffer, in place of kafkajs's
 * encoder for the sends rivulet makes.
 *
 * kafkajs 2.2 builds each record as its own `Encoder` (and `Long`s for every
 * varlong), spreads every message into a new object, and sorts each batch's
 * timestamps as strings; in the broker benchmark that encoding was a fifth of
 * the CPU and much of the garbage. Here the sizes are computed first and every
 * byte written once. The request is the same Produce v3+ request kafkajs
 * sends (the version kafkajs negotiated; v3 to v8 share the layout), with
 * uncompressed v2 record batches, and kafkajs still sends it, reads the
 * response and retries; only `encode` is replaced, and only inside
 * {@link withFastProduce} (other kafkajs users in the process are untouched).
 * @module
 */
import { brokerPrototype, kafkajsModule, privateSymbol, scopedBrokerMethod } from './kafkajs-internals.js';

/** A message as kafkajs hands it to `Broker#produce`. */
interface Message {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly timestamp?: string | number;
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
}

interface PartitionData {
  readonly partition: number;
  readonly firstSequence?: number;
  readonly messages: readonly Message[];
}

/** What kafkajs passes to `Broker#produce`. */
export interface ProduceArgs {
  readonly topicData: readonly { readonly topic: string; readonly partitions: readonly PartitionData[] }[];
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly acks?: number;
  readonly timeout?: number;
  readonly compression?: number;
}

// ---- CRC-32C (Castagnoli), as record batches require ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C of `b[from, to)`. */
export function crc32c(b: Uint8Array, from = 0, to = b.length): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- varints ----

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

/** Bytes of an unsigned varint (values up to 2^53). */
function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

const varintSize = (v: number): number => uvarintSize(zigzag(v));

const bytesOf = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v);

/** One record's parts, measured before anything is written. */
interface Sized {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly (readonly [Buffer, Buffer | null])[];
  readonly tsDelta: number;
  readonly body: number;
}

class Writer {
  at = 0;
  constructor(readonly buf: Buffer) {}

  int8(v: number): void {
    this.buf.writeInt8(v, this.at);
    this.at += 1;
  }

  int16(v: number): void {
    this.buf.writeInt16BE(v, this.at);
    this.at += 2;
  }

  int32(v: number): void {
    this.buf.writeInt32BE(v, this.at);
    this.at += 4;
  }

  int64(v: bigint): void {
    this.buf.writeBigInt64BE(v, this.at);
    this.at += 8;
  }

  uvarint(v: number): void {
    while (v >= 128) {
      this.buf[this.at++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.at++] = v;
  }

  varint(v: number): void {
    this.uvarint(zigzag(v));
  }

  raw(b: Buffer): void {
    b.copy(this.buf, this.at);
    this.at += b.length;
  }

  /** Kafka STRING / NULLABLE_STRING (int16 length). */
  string(s: string | null): void {
    if (s === null) {
      this.int16(-1);
      return;
    }
    const n = this.buf.write(s, this.at + 2, 'utf8');
    this.int16(n);
    this.at += n;
  }

  /** Varint-length bytes, -1 for null. */
  varBytes(b: Buffer | null): void {
    if (b === null) {
      this.varint(-1);
      return;
    }
    this.varint(b.length);
    this.raw(b);
  }
}

/** Shared by every record without headers (most): one array fewer per record. */
const NO_HEADERS: readonly (readonly [Buffer, Buffer | null])[] = [];

const RECORD_BATCH_HEADER = 61; // base offset .. record count
const TRANSACTIONAL = 0x10;

function sizeRecords(messages: readonly Message[], now: number): { sized: Sized[]; first: number; max: number; bytes: number } {
  let first = Infinity;
  let max = -Infinity;
  const ts = messages.map((m) => {
    // rivulet hands the number itself; a string (kafkajs's own type) is converted once here.
    const t = typeof m.timestamp === 'number' ? m.timestamp : m.timestamp === undefined || m.timestamp === null || m.timestamp === '' ? now : Number(m.timestamp);
    if (t < first) first = t;
    if (t > max) max = t;
    return t;
  });
  let bytes = 0;
  const sized = messages.map((m, i): Sized => {
    const key = m.key === undefined || m.key === null ? null : bytesOf(m.key);
    const value = m.value === null ? null : bytesOf(m.value);
    let headers = NO_HEADERS;
    if (m.headers !== undefined) {
      const list: [Buffer, Buffer | null][] = [];
      headers = list;
      for (const [name, v] of Object.entries(m.headers)) {
        if (v === undefined) continue;
        for (const one of Array.isArray(v) ? (v as readonly (Buffer | string)[]) : [v as Buffer | string]) list.push([Buffer.from(name, 'utf8'), one === null ? null : bytesOf(one)]);
      }
    }
    const tsDelta = ts[i]! - first;
    let body = 1 + varintSize(tsDelta) + varintSize(i);
    body += key === null ? 1 : varintSize(key.length) + key.length;
    body += value === null ? 1 : varintSize(value.length) + value.length;
    body += varintSize(headers.length);
    for (const [k, v] of headers) body += varintSize(k.length) + k.length + (v === null ? 1 : varintSize(v.length) + v.length);
    bytes += varintSize(body) + body;
    return { key, value, headers, tsDelta, body };
  });
  return { sized, first, max, bytes };
}

/** The body of a Produce request (v3 to v8) with uncompressed record batches. */
export function encodeProduce(args: ProduceArgs): Buffer {
  const now = Date.now();
  const transactionalId = args.transactionalId ?? null;
  const producerId = BigInt(args.producerId === undefined || args.producerId === null ? -1 : String(args.producerId));
  const producerEpoch = args.producerEpoch ?? 0;
  const topics = args.topicData.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => ({ p, ...sizeRecords(p.messages, now) })),
  }));
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId, 'utf8')) + 2 + 4 + 4;
  for (const t of topics) {
    size += 2 + Buffer.byteLength(t.topic, 'utf8') + 4;
    for (const p of t.partitions) size += 4 + 4 + RECORD_BATCH_HEADER + p.bytes;
  }
  const w = new Writer(Buffer.allocUnsafe(size));
  w.string(transactionalId);
  w.int16(args.acks ?? -1);
  w.int32(args.timeout ?? 30_000);
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.topic);
    w.int32(t.partitions.length);
    for (const { p, sized, first, max, bytes } of t.partitions) {
      w.int32(p.partition);
      w.int32(RECORD_BATCH_HEADER + bytes); // RECORDS: the batch's byte length
      w.int64(0n); // base offset
      w.int32(RECORD_BATCH_HEADER - 12 + bytes); // batch length: after this field
      w.int32(0); // partition leader epoch
      w.int8(2); // magic
      const crcAt = w.at;
      w.int32(0); // CRC, filled in below
      const crcFrom = w.at;
      w.int16(transactionalId === null ? 0 : TRANSACTIONAL);
      w.int32(sized.length - 1); // last offset delta
      w.int64(BigInt(sized.length === 0 ? now : first));
      w.int64(BigInt(sized.length === 0 ? now : max));
      w.int64(producerId);
      w.int16(producerEpoch);
      w.int32(p.firstSequence ?? 0);
      w.int32(sized.length);
      sized.forEach((r, i) => {
        w.varint(r.body);
        w.int8(0); // record attributes
        w.varint(r.tsDelta);
        w.varint(i);
        w.varBytes(r.key);
        w.varBytes(r.value);
        w.varint(r.headers.length);
        for (const [k, v] of r.headers) {
          w.varBytes(k);
          w.varBytes(v);
        }
      });
      w.buf.writeUInt32BE(crc32c(w.buf, crcFrom, w.at), crcAt);
    }
  }
  if (w.at !== size) throw new Error(`encodeProduce: wrote ${w.at} bytes, sized ${size}`);
  return w.buf;
}

// ---- the kafkajs hook ----

interface KafkaJsProduceRequest {
  request: { apiVersion: number; encode: () => Promise<unknown> };
  response: unknown;
}

interface KafkaJsBroker {
  lookupRequest(apiKey: number, definitions: unknown): (args: ProduceArgs) => KafkaJsProduceRequest;
}

const { requests } = kafkajsModule<{ requests: { Produce: unknown } }>('protocol/requests/index.js');
const { Produce: PRODUCE } = kafkajsModule<{ Produce: number }>('protocol/requests/apiKeys.js');
const SEND_REQUEST = privateSymbol(brokerPrototype(), 'private:Broker:sendRequest');

const fastProduce = scopedBrokerMethod<true, KafkaJsBroker & Record<symbol, unknown>, ProduceArgs>('produce', (broker, _on, args, original) => {
  if ((args.compression ?? 0) !== 0 || SEND_REQUEST === undefined) return original(args);
  const full = { ...args, acks: args.acks ?? -1, timeout: args.timeout ?? 30_000 };
  const protocolRequest = broker.lookupRequest(PRODUCE, requests.Produce)(full);
  if (protocolRequest.request.apiVersion < 3 || protocolRequest.request.apiVersion > 8) return original(args);
  protocolRequest.request.encode = async () => {
    const b = encodeProduce(full);
    return { buf: b, buffer: b };
  };
  return (broker[SEND_REQUEST] as (r: KafkaJsProduceRequest) => Promise<unknown>).call(broker, protocolRequest);
});

/** Runs `call` (a kafkajs send) so that its Produce requests are encoded by {@link encodeProduce}. */
export function withFastProduce<T>(call: () => Promise<T>): Promise<T> {
  return fastProduce(true, call);
}
