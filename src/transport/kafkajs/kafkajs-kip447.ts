/**
 * The two halves of KIP-447 (exactly-once with one producer per instance) that
 * kafkajs 2.2 lacks, sent as our own protocol requests over kafkajs's broker
 * connections:
 *
 * - **TxnOffsetCommit v3 with member id and generation.** kafkajs sends v0–v1,
 *   which the group coordinator accepts from anyone. With a generation the
 *   coordinator rejects offsets from a member whose partitions the group has
 *   already handed to someone else (ILLEGAL_GENERATION), so that member's
 *   transaction aborts instead of committing outputs its successor also makes.
 *   kafkajs builds the request inside its transaction manager, so the
 *   generation travels to it in an `AsyncLocalStorage` set around
 *   `sendOffsets`, read by a wrapper of kafkajs's `Broker#txnOffsetCommit`.
 * - **OffsetFetch v7 with `require_stable`.** A partition whose offsets sit in
 *   an open transaction answers UNSTABLE_OFFSET_COMMIT instead of the older
 *   offset, so a new owner does not start before its predecessor's last
 *   transaction is decided.
 *
 * Both are flexible versions (compact strings and arrays, tagged fields), which
 * kafkajs cannot encode; the few fields needed are encoded here. kafkajs is
 * pinned at 2.2.x and unmaintained, so the internals used (`Broker`, its
 * `connectionPool.send`, `versions`) will not move.
 * @module
 */
import type { ConsumerGenerationInfo } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { kafkajsModule, scopedBrokerMethod } from './kafkajs-internals.js';

const API_OFFSET_FETCH = 9;
const API_TXN_OFFSET_COMMIT = 28;
const OFFSET_FETCH_STABLE_VERSION = 7;
const TXN_OFFSET_COMMIT_GENERATION_VERSION = 3;
/** Kafka's UNSTABLE_OFFSET_COMMIT: the offsets are part of an open transaction. */
export const UNSTABLE_OFFSET_COMMIT = 88;

// ---- Flexible-version encoding (only what the two requests use) ----

class FlexibleWriter {
  readonly #parts: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.#parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.#parts.push(b);
    return this;
  }

  int64(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(v);
    this.#parts.push(b);
    return this;
  }

  bool(v: boolean): this {
    this.#parts.push(Buffer.from([v ? 1 : 0]));
    return this;
  }

  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n >= 0x80) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    this.#parts.push(Buffer.from(bytes));
    return this;
  }

  /** COMPACT_NULLABLE_STRING (a COMPACT_STRING when not null). */
  string(v: string | null): this {
    if (v === null) return this.uvarint(0);
    const b = Buffer.from(v, 'utf8');
    this.uvarint(b.length + 1);
    this.#parts.push(b);
    return this;
  }

  /** COMPACT_ARRAY. */
  array<T>(items: readonly T[], write: (w: this, item: T) => void): this {
    this.uvarint(items.length + 1);
    for (const item of items) write(this, item);
    return this;
  }

  /** An empty TAG_BUFFER. */
  tags(): this {
    return this.uvarint(0);
  }

  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

class FlexibleReader {
  #at = 0;
  constructor(private readonly buf: Buffer) {}

  int16(): number {
    const v = this.buf.readInt16BE(this.#at);
    this.#at += 2;
    return v;
  }

  int32(): number {
    const v = this.buf.readInt32BE(this.#at);
    this.#at += 4;
    return v;
  }

  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.#at);
    this.#at += 8;
    return v;
  }

  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.#at++];
      if (b === undefined) throw new RangeError('Kafka response ended inside a varint');
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 28) throw new RangeError('Kafka response has a varint longer than 5 bytes');
    }
  }

  string(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const v = this.buf.toString('utf8', this.#at, this.#at + n - 1);
    this.#at += n - 1;
    return v;
  }

  array<T>(read: (r: this) => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(read(this));
    return out;
  }

  /** Skips a TAG_BUFFER. */
  tags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.#at += this.uvarint();
    }
  }
}

// ---- kafkajs internals ----

interface KafkaJsRequest {
  readonly request: { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<{ buf: Buffer; buffer: Buffer }> };
  readonly response: { decode: (payload: Buffer) => Promise<unknown>; parse: (decoded: unknown) => Promise<unknown> };
}

/** The part of a kafkajs `Broker` used here. */
export interface KafkaJsBroker {
  versions?: Record<number, { minVersion: number; maxVersion: number }> | null;
  connectionPool: { send(request: KafkaJsRequest): Promise<unknown> };
}

interface TxnOffsetCommitArgs {
  transactionalId: string;
  groupId: string;
  producerId: string | number | bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }[];
}

const { createErrorFromCode } = kafkajsModule<{ createErrorFromCode: (code: number) => Error }>('protocol/error.js');

function supports(broker: KafkaJsBroker, apiKey: number, version: number): boolean {
  const v = broker.versions?.[apiKey];
  return v !== undefined && v.minVersion <= version && v.maxVersion >= version;
}

function request<T>(apiKey: number, apiVersion: number, apiName: string, body: Buffer, decode: (r: FlexibleReader) => T): KafkaJsRequest {
  return {
    request: {
      apiKey,
      apiVersion,
      apiName,
      // kafkajs writes request header v1 (key, version, correlation id, client id); the
      // empty tag buffer that makes it header v2 leads the body.
      encode: async () => {
        const b = Buffer.concat([Buffer.from([0]), body]);
        return { buf: b, buffer: b };
      },
    },
    response: {
      decode: async (payload: Buffer) => {
        const r = new FlexibleReader(payload);
        r.tags(); // response header v1
        return decode(r);
      },
      parse: async (decoded: unknown) => decoded,
    },
  };
}

// ---- TxnOffsetCommit with the consumer's generation ----

interface GenerationScope {
  readonly generation: ConsumerGenerationInfo;
  /** Set when a TxnOffsetCommit went out with the generation. */
  engaged: boolean;
}

const txnOffsetCommitWithGeneration = scopedBrokerMethod<GenerationScope, KafkaJsBroker, TxnOffsetCommitArgs>('txnOffsetCommit', (broker, scope, args, original) => {
  if (scope.generation.groupId !== args.groupId || !supports(broker, API_TXN_OFFSET_COMMIT, TXN_OFFSET_COMMIT_GENERATION_VERSION)) return original(args);
  scope.engaged = true;
  return broker.connectionPool.send(txnOffsetCommitV3(args, scope.generation));
});

/**
 * Runs `call` (a kafkajs `transaction.sendOffsets`) so that its TxnOffsetCommit
 * carries `generation` (v3). When it went out without (a coordinator before
 * Kafka 2.5, or a kafkajs whose Broker this hook does not reach), the offsets
 * would not be fenced by the group: fails with UNSUPPORTED_CLIENT so the
 * transaction aborts instead of committing unfenced offsets.
 */
export async function withConsumerGeneration<T>(generation: ConsumerGenerationInfo | undefined, call: () => Promise<T>): Promise<T> {
  if (generation === undefined) return call();
  const scope: GenerationScope = { generation, engaged: false };
  const result = await txnOffsetCommitWithGeneration(scope, call);
  if (!scope.engaged) {
    throw transportError(
      TransportErrorCode.UNSUPPORTED_CLIENT,
      `Producer.sendOffsets: the offsets of group '${generation.groupId}' were sent without the member's generation (KIP-447 needs Kafka >= 2.5 and rivulet's own kafkajs 2.2.4); exactly-once cannot fence a stale member on this client: abort the transaction, and use kafkaClient: 'platformatic' or a Kafka 2.5+ cluster`,
    );
  }
  return result;
}

function txnOffsetCommitV3(args: TxnOffsetCommitArgs, generation: ConsumerGenerationInfo): KafkaJsRequest {
  const body = new FlexibleWriter()
    .string(args.transactionalId)
    .string(args.groupId)
    .int64(BigInt(args.producerId))
    .int16(args.producerEpoch)
    .int32(generation.generationId)
    .string(generation.memberId)
    .string(null) // group instance id: rivulet members are dynamic
    .array(args.topics, (w, t) =>
      w
        .string(t.topic)
        .array(t.partitions, (pw, p) =>
          pw
            .int32(p.partition)
            .int64(BigInt(p.offset))
            .int32(-1)
            .string(p.metadata ?? null)
            .tags(),
        )
        .tags(),
    )
    .tags()
    .bytes();
  return request(API_TXN_OFFSET_COMMIT, TXN_OFFSET_COMMIT_GENERATION_VERSION, 'TxnOffsetCommit', body, (r) => {
    r.int32(); // throttle time
    const errors: number[] = [];
    r.array((tr) => {
      tr.string();
      tr.array((pr) => {
        pr.int32();
        const code = pr.int16();
        if (code !== 0) errors.push(code);
        pr.tags();
      });
      tr.tags();
    });
    // kafkajs's retry policy and rivulet's error mapping both read the error's `type`.
    if (errors.length > 0) throw createErrorFromCode(errors[0]!);
    return { errors };
  });
}

// ---- OffsetFetch with require_stable ----

/** A committed offset as OffsetFetch v7 reports it: `unstable` while an open transaction holds newer offsets. */
export interface FetchedOffset {
  readonly partition: number;
  readonly offset: number | null;
  readonly unstable: boolean;
}

/**
 * Committed offsets of `groupId` for `partitions` of `topic`, asked of the
 * group coordinator with `require_stable`; `undefined` when that broker does
 * not speak OffsetFetch v7 (Kafka before 2.5).
 */
export async function fetchStableOffsets(coordinator: KafkaJsBroker, groupId: string, topic: string, partitions: readonly number[]): Promise<FetchedOffset[] | undefined> {
  if (!supports(coordinator, API_OFFSET_FETCH, OFFSET_FETCH_STABLE_VERSION)) return undefined;
  const body = new FlexibleWriter()
    .string(groupId)
    .array([topic], (w, t) =>
      w
        .string(t)
        .array(partitions, (pw, p) => pw.int32(p))
        .tags(),
    )
    .bool(true)
    .tags()
    .bytes();
  const req = request(API_OFFSET_FETCH, OFFSET_FETCH_STABLE_VERSION, 'OffsetFetch', body, (r) => {
    r.int32(); // throttle time
    const out: FetchedOffset[] = [];
    const failures: number[] = [];
    r.array((tr) => {
      const name = tr.string();
      tr.array((pr) => {
        const partition = pr.int32();
        const offset = pr.int64();
        pr.int32(); // leader epoch
        pr.string(); // metadata
        const code = pr.int16();
        pr.tags();
        if (name !== topic) return;
        if (code === UNSTABLE_OFFSET_COMMIT) out.push({ partition, offset: null, unstable: true });
        else if (code !== 0) failures.push(code);
        else out.push({ partition, offset: offset < 0n ? null : Number(offset), unstable: false });
      });
      tr.tags();
    });
    const top = r.int16();
    if (top !== 0) failures.unshift(top);
    if (failures.length > 0) throw createErrorFromCode(failures[0]!);
    return out;
  });
  return (await coordinator.connectionPool.send(req)) as FetchedOffset[];
}
