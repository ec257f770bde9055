/**
 * {@link Producer} over a kafkajs producer. Partitions are chosen here (with
 * rivulet's murmur2 {@link DefaultPartitioner}) rather than by kafkajs, so the
 * metadata of every record is known: kafkajs reports one base offset per
 * partition and request, and the records of one request to one partition form
 * one batch, so a record's offset is that base plus its index within the batch.
 * A `send` larger than one batch goes out as several requests, in order; if one
 * fails, the earlier ones stay written, as with any failed send (at-least-once
 * retries them, a transaction aborts them). An idempotent producer keeps up
 * to {@link MAX_IN_FLIGHT} of them in flight (kafkajs-in-flight.ts); after a
 * send failed with requests in flight the producer refuses further work
 * (retriably: the caller replaces it), because its sequence numbers are lost.
 * @module
 */
import type { Producer as KafkaJsProducer, RecordMetadata as KafkaJsRecordMetadata, Transaction as KafkaJsTransaction, Message } from 'kafkajs';
import { DefaultPartitioner } from '../partitioner.js';
import type { ConsumerGenerationInfo, Producer, ProducerRecord, RecordMetadata, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { checkOffset, checkTopicPartition, invalid } from '../validate.js';
import { MAX_BATCH_BYTES, RECORD_OVERHEAD_BYTES, checkRecordSize } from '../record-size.js';
import { kafkaTypesOf, toTransportError } from './kafkajs-errors.js';
import type { KafkaJsContext } from './kafkajs-context.js';
import { withConsumerGeneration } from './kafkajs-kip447.js';
import { withFastProduce } from './kafkajs-produce-encoder.js';
import { InFlightGate } from './kafkajs-in-flight.js';

/** Produce requests of one idempotent producer unanswered at a time: Kafka keeps up to 5 in order. */
export const MAX_IN_FLIGHT = 5;

/** Zero-copy Buffer view of caller bytes (kafkajs wants Buffers). */
export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Records of one partition per produce request. kafkajs groups a request's
 * messages per partition by copying the partition's array for every message
 * (quadratic in this count); a bounded count keeps that copying and its garbage small.
 */
const MAX_BATCH_RECORDS = 250;

/** Sends of a round's unanswered partitions before giving up (see `send`). */
const MAX_UNANSWERED_ROUNDS = 10;

/** Upper bound of the wait for transaction markers after commit/abort. */
const MARKER_WAIT_MS = 10_000;

/**
 * How long `sendOffsets` waits out CONCURRENT_TRANSACTIONS. The coordinator
 * answers it while it still writes the markers of the transaction before
 * (EndTxn returns first); kafkajs fails AddOffsetsToTxn at once, where Kafka's
 * own producer retries.
 */
const CONCURRENT_TRANSACTIONS_WAIT_MS = 30_000;

/** A message as handed to kafkajs, with the timestamp as the number it is. */
type OutMessage = Omit<Message, 'timestamp'> & { timestamp: number };
/** One round's answers, one per partition written. */
type ProduceResult = KafkaJsRecordMetadata[];

/** One topic-partition of a send: its records in chunks of one batch each. */
interface Lane {
  readonly topic: string;
  readonly partition: number;
  readonly chunks: number[][];
  /** Bytes of the last chunk. */
  bytes: number;
  /** Offset of the first record of the current round's chunk (-1 when unknown). */
  base: number;
  /** Highest offset written to the lane by this send (-1 when unknown). */
  written: number;
}

export class KafkaJsProducerClient implements Producer {
  readonly transactional: boolean;
  readonly #partitioner = new DefaultPartitioner();
  #tx: KafkaJsTransaction | undefined;
  /** What the open transaction wrote: per topic the highest offset per partition, per group the offsets. */
  #written = new Map<string, Map<number, number>>();
  #sentOffsets = new Map<string, TopicPartitionOffset[]>();
  #fenced: unknown;
  #closed = false;
  /** Partitions sent again because kafkajs resolved a send without writing them (see `send`); for tests. */
  unansweredResends = 0;
  /** Orders an idempotent producer's requests in flight; plain producers send one at a time. */
  readonly #gate: InFlightGate | undefined;
  /** A send failed with requests in flight: the producer's sequence numbers are unknown. */
  #broken: unknown;
  /** Partitions the open transaction holds (added by a request that succeeded). */
  #txPartitions = new Set<string>();

  constructor(
    private readonly ctx: KafkaJsContext,
    private readonly producer: KafkaJsProducer,
    transactional: boolean,
    private readonly onClose: (p: KafkaJsProducerClient) => void,
    options: { readonly awaitVisibleCommit?: boolean; readonly idempotent?: boolean; readonly maxInFlight?: number } = {},
  ) {
    this.transactional = transactional;
    this.awaitVisibleCommit = options.awaitVisibleCommit !== false;
    const maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
    this.#gate = (options.idempotent === true || transactional) && maxInFlight > 1 ? new InFlightGate(maxInFlight) : undefined;
  }

  /** `ProducerOptions.awaitVisibleCommit`. */
  private readonly awaitVisibleCommit: boolean;

  /** Opens a transaction and aborts it at once: kafkajs sends InitProducerId lazily, and the contract wants older producers fenced now. */
  async fenceOlder(): Promise<void> {
    await this.#run('Transport.producer', async () => {
      const tx = await this.producer.transaction();
      await tx.abort();
    });
  }

  async send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const api = 'Producer.send';
    this.#usable(api);
    if (this.transactional && this.#tx === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transactional producer sends only inside a transaction; call beginTransaction() first`);
    }
    if (!Array.isArray(records)) invalid(`${api}: records must be an array (got ${typeof records})`);
    const n = records.length;
    if (n === 0) return [];
    const now = Date.now();
    // Per record: its message and the lane (topic-partition) it goes to; no other object.
    const messages = new Array<OutMessage>(n);
    const laneOf = new Array<Lane>(n);
    const lanes: Lane[] = [];
    const lanesByTopic = new Map<string, Lane[]>();
    // Each topic's partition count is resolved once per send, from the cache when known,
    // so a send of cached topics does not yield to the event loop per record.
    const counts = new Map<string, number>();
    // Resolve partitions first so an unknown topic/partition fails before anything is sent.
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const topic = r?.topic;
      if (typeof topic !== 'string' || topic.length === 0) invalid(`${api}: topic must be a non-empty string (got ${String(r?.topic)})`);
      let count = counts.get(topic);
      if (count === undefined) {
        count = this.ctx.cachedPartitionCount(topic) ?? (await this.ctx.requirePartitionCount(topic, api));
        counts.set(topic, count);
      }
      let partition: number;
      if (r.partition === undefined) partition = this.#partitioner.partition(topic, r.key, count);
      else {
        checkTopicPartition(api, { topic, partition: r.partition });
        partition = r.partition;
        if (partition >= count) {
          // The topic may have grown since the cache was filled.
          count = await this.ctx.requirePartitionCount(topic, api, true);
          counts.set(topic, count);
          if (partition >= count) {
            throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: partition must be < ${count} for topic '${topic}' (got ${partition})`);
          }
        }
      }
      const key = r.key === undefined || r.key === null ? null : asBuffer(r.key);
      const value = r.value === null ? null : asBuffer(r.value);
      const message: OutMessage = { partition, key, value, timestamp: r.timestamp ?? now };
      let bytes = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
      if (r.headers !== undefined) {
        const headers: Record<string, Buffer> = {};
        for (const [name, value] of Object.entries(r.headers) as [string, Uint8Array][]) {
          headers[name] = asBuffer(value);
          bytes += name.length + value.byteLength + 4;
        }
        message.headers = headers;
      }
      checkRecordSize(api, r, partition, bytes);
      messages[i] = message;
      let topicLanes = lanesByTopic.get(topic);
      if (topicLanes === undefined) lanesByTopic.set(topic, (topicLanes = []));
      let lane = topicLanes[partition];
      if (lane === undefined) {
        lane = { topic, partition, chunks: [], bytes: 0, base: -1, written: -1 };
        topicLanes[partition] = lane;
        lanes.push(lane);
      }
      // kafkajs puts a request's records for one partition into one record batch and never
      // splits it; the broker rejects a batch over its message.max.bytes (1 MiB by default).
      const last = lane.chunks[lane.chunks.length - 1];
      if (last === undefined || lane.bytes + bytes > MAX_BATCH_BYTES || last.length >= MAX_BATCH_RECORDS) {
        lane.chunks.push([i]);
        lane.bytes = bytes;
      } else {
        last.push(i);
        lane.bytes += bytes;
      }
      laneOf[i] = lane;
    }
    const metadata = new Array<RecordMetadata>(n);
    let rounds = 0;
    for (const lane of lanes) rounds = Math.max(rounds, lane.chunks.length);
    // One produce request per round, each partition's chunks in order, so every
    // partition's records keep their order and each chunk is one batch.
    // kafkajs's sendBatch remembers, across its own retries, which *brokers* answered, not
    // which partitions: when a leader moves to a broker that already answered for other
    // partitions, the moved partitions are never sent and sendBatch still resolves. A lane
    // without a result was not written (its idempotent sequence was not advanced). Sent alone,
    // the round is sent again for those lanes until every lane has its base offset; with
    // later rounds in flight that would reorder the partition, so the send fails instead
    // (retriably, and the producer is replaced).
    const sendRound = async (round: number, alone: boolean): Promise<ProduceResult> => {
      let pending = lanes.filter((lane) => lane.chunks[round] !== undefined);
      const answered: ProduceResult = [];
      for (let attempt = 1; ; attempt++) {
        const byTopic = new Map<string, OutMessage[]>();
        for (const lane of pending) {
          let list = byTopic.get(lane.topic);
          if (list === undefined) byTopic.set(lane.topic, (list = []));
          for (const i of lane.chunks[round]!) list.push(messages[i]!);
        }
        // kafkajs types the timestamp as a string, but both its encoder and ours take the
        // number (kafkajs subtracts and Long-converts it): no string per record and back.
        const topicMessages = [...byTopic].map(([topic, list]) => ({ topic, messages: list as unknown as Message[] }));
        const result = await withFastProduce(() => (this.#tx ?? this.producer).sendBatch({ topicMessages }));
        const got = new Set<string>();
        for (const m of result) {
          answered.push(m);
          got.add(`${m.topicName}\u0000${m.partition}`);
        }
        pending = pending.filter((lane) => !got.has(`${lane.topic}\u0000${lane.partition}`));
        if (pending.length === 0) return answered;
        if (!alone || attempt >= MAX_UNANSWERED_ROUNDS) {
          const names = pending.map((l) => `${l.topic}-${l.partition}`).join(', ');
          throw transportError(TransportErrorCode.NOT_CONNECTED, `${api}: no broker acknowledged ${names} after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'} (leaders moving); retry the send`, { retriable: true });
        }
        this.unansweredResends += pending.length;
      }
    };
    const results = await this.#sendRounds(api, rounds, lanes, sendRound);
    for (let round = 0; round < rounds; round++) {
      for (const lane of lanes) lane.base = -1;
      for (const m of results[round]!) {
        const lane = lanesByTopic.get(m.topicName)?.[m.partition];
        if (lane !== undefined) lane.base = Number(m.baseOffset);
      }
      for (const lane of lanes) {
        const indices = lane.chunks[round];
        if (indices === undefined) continue;
        let offset = lane.base;
        for (const i of indices) {
          metadata[i] = { topic: lane.topic, partition: lane.partition, offset, timestamp: messages[i]!.timestamp };
          if (offset >= 0) offset++;
        }
        if (lane.base >= 0) lane.written = lane.base + indices.length - 1;
      }
    }
    if (this.#tx !== undefined) {
      for (const lane of lanes) {
        let parts = this.#written.get(lane.topic);
        if (parts === undefined) this.#written.set(lane.topic, (parts = new Map<number, number>()));
        parts.set(lane.partition, Math.max(parts.get(lane.partition) ?? -1, lane.written));
      }
    }
    return metadata;
  }

  /**
   * Sends the rounds in order: one at a time on a plain producer; through the
   * gate, several in flight, on an idempotent one. Resolves with every round's
   * result once all are answered; rejects with the earliest round's error after
   * every request has settled (and then the producer is broken if more than
   * one was in flight).
   */
  async #sendRounds<R>(api: string, rounds: number, lanes: readonly Lane[], sendRound: (round: number, alone: boolean) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(rounds);
    const gate = this.#gate;
    if (gate === undefined || rounds === 1) {
      for (let round = 0; round < rounds; round++) results[round] = await this.#run(api, () => sendRound(round, true));
      this.#addedToTransaction(lanes, rounds);
      return results;
    }
    const errors = new Array<unknown>(rounds);
    let failed = false;
    let pipelined = false;
    const inFlight: Promise<void>[] = [];
    const settle = async () => {
      await Promise.all(inFlight);
      inFlight.length = 0;
    };
    const start = (round: number) =>
      this.#run(api, () => gate.run(() => sendRound(round, false))).then(
        (r) => void (results[round] = r),
        (e: unknown) => void ((errors[round] = e), (failed = true)),
      );
    for (let round = 0; round < rounds && !failed; round++) {
      // kafkajs awaits AddPartitionsToTxn between a request's lock and its sequence numbers,
      // so a request that adds partitions to the transaction goes alone.
      if (this.#tx !== undefined && !this.#inTransactionAlready(lanes, round)) {
        await settle();
        if (failed) break;
        await start(round);
        if (!failed) this.#addedToTransaction(lanes, round + 1);
        continue;
      }
      if (inFlight.length > 0) pipelined = true;
      inFlight.push(start(round));
    }
    await settle();
    const first = errors.findIndex((e) => e !== undefined);
    if (first >= 0) {
      const error = errors[first];
      if (pipelined && !(error instanceof Error && (error as { code?: string }).code === TransportErrorCode.FENCED)) this.#broken = error;
      throw error;
    }
    this.#addedToTransaction(lanes, rounds);
    return results;
  }

  #inTransactionAlready(lanes: readonly Lane[], round: number): boolean {
    for (const lane of lanes) if (lane.chunks[round] !== undefined && !this.#txPartitions.has(`${lane.topic}\u0000${lane.partition}`)) return false;
    return true;
  }

  /** Records the partitions of rounds before `upTo` as part of the open transaction. */
  #addedToTransaction(lanes: readonly Lane[], upTo: number): void {
    // Every lane has a chunk in round 0 (chunks are filled from the first round on).
    if (this.#tx === undefined || upTo === 0) return;
    for (const lane of lanes) if (lane.chunks.length > 0) this.#txPartitions.add(`${lane.topic}\u0000${lane.partition}`);
  }

  async beginTransaction(): Promise<void> {
    const api = 'Producer.beginTransaction';
    this.#usable(api);
    if (!this.transactional) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: the producer is not transactional; create it with a transactionalId`);
    if (this.#tx !== undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transaction is already open; commit or abort it first`);
    this.#tx = await this.#run(api, () => this.producer.transaction());
    this.#written = new Map();
    this.#sentOffsets = new Map();
    this.#txPartitions = new Set();
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[], consumerGenerationInfo?: ConsumerGenerationInfo): Promise<void> {
    const api = 'Producer.sendOffsets';
    const tx = this.#inTransaction(api);
    if (typeof groupId !== 'string' || groupId.length === 0) invalid(`${api}: groupId must be a non-empty string (got ${JSON.stringify(groupId)})`);
    if (consumerGenerationInfo !== undefined && consumerGenerationInfo.groupId !== groupId) {
      invalid(`${api}: consumerGenerationInfo.groupId must equal groupId (got '${consumerGenerationInfo.groupId}' for '${groupId}')`);
    }
    // With a generation the TxnOffsetCommit is our v3 (kafkajs-kip447.ts): the broker
    // rejects it once the group has moved on, and the transaction must abort.
    const byTopic = new Map<string, { partition: number; offset: string }[]>();
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: String(o.offset) });
      byTopic.set(o.topic, list);
    }
    if (byTopic.size === 0) return;
    this.#sentOffsets.set(groupId, [...(this.#sentOffsets.get(groupId) ?? []), ...offsets]);
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    const send = (): Promise<void> => withConsumerGeneration(consumerGenerationInfo, () => tx.sendOffsets({ consumerGroupId: groupId, topics }));
    await this.#run(api, () => retryConcurrentTransactions(send), TransportErrorCode.COMMIT_FAILED);
  }

  async commitTransaction(): Promise<void> {
    const api = 'Producer.commitTransaction';
    const tx = this.#inTransaction(api);
    try {
      await this.#run(api, () => tx.commit());
    } finally {
      if (!tx.isActive()) this.#tx = undefined;
    }
    if (this.awaitVisibleCommit) await this.#awaitMarkers(api, true);
    else {
      this.#written = new Map();
      this.#sentOffsets = new Map();
    }
  }

  async abortTransaction(): Promise<void> {
    const api = 'Producer.abortTransaction';
    const tx = this.#inTransaction(api);
    try {
      await this.#run(api, () => tx.abort());
    } finally {
      if (!tx.isActive()) this.#tx = undefined;
    }
    await this.#awaitMarkers(api, false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose(this);
    const tx = this.#tx;
    this.#tx = undefined;
    try {
      if (tx !== undefined && this.#fenced === undefined) await tx.abort().catch(() => undefined);
    } finally {
      await this.producer.disconnect().catch(() => undefined);
    }
  }

  /**
   * EndTxn returns once the coordinator has logged the decision; the markers that
   * move the last stable offset and materialize `sendOffsets` are written
   * afterwards. The admin's OffsetFetch behind `committedOffsets` does not ask
   * for stable offsets, so wait here until the outcome is visible: after
   * `commitTransaction` resolves, read_committed readers and `committedOffsets`
   * see the transaction, as on the embedded broker. Bounded; on timeout the
   * call still succeeds (the transaction is decided, only slow to show).
   */
  async #awaitMarkers(api: string, committed: boolean): Promise<void> {
    const written = this.#written;
    const sentOffsets = committed ? this.#sentOffsets : new Map<string, TopicPartitionOffset[]>();
    this.#written = new Map();
    this.#sentOffsets = new Map();
    const deadline = Date.now() + MARKER_WAIT_MS;
    const pendingTopics = new Set(written.keys());
    const pendingGroups = new Set(sentOffsets.keys());
    while ((pendingTopics.size > 0 || pendingGroups.size > 0) && Date.now() < deadline) {
      for (const topic of [...pendingTopics]) {
        const stable = await this.ctx.listOffsetsWith(api, topic, 'read_committed');
        const done = [...written.get(topic)!].every(([partition, offset]) => (stable.find((o) => o.partition === partition)?.latest ?? 0) > offset);
        if (done) pendingTopics.delete(topic);
      }
      for (const groupId of [...pendingGroups]) {
        const sent = sentOffsets.get(groupId)!;
        let done = true;
        for (const topic of new Set(sent.map((o) => o.topic))) {
          const now = await this.ctx.committedOffsets(groupId, topic);
          for (const o of sent.filter((x) => x.topic === topic)) if (now.find((c) => c.partition === o.partition)?.offset !== o.offset) done = false;
        }
        if (done) pendingGroups.delete(groupId);
      }
      if (pendingTopics.size > 0 || pendingGroups.size > 0) await new Promise((r) => setTimeout(r, 10));
    }
  }

  #usable(api: string): void {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, `${api}: the producer is closed; create a new one`);
    if (this.#broken !== undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: an earlier send failed with several requests in flight, so this producer's sequence numbers are unknown; close it and create a new one`, {
        retriable: true,
        cause: this.#broken,
      });
    }
    if (this.#fenced !== undefined) {
      throw transportError(TransportErrorCode.FENCED, `${api}: the producer was fenced by a newer producer with the same transactionalId; close it and give up its tasks`, {
        cause: this.#fenced,
      });
    }
  }

  #inTransaction(api: string): KafkaJsTransaction {
    this.#usable(api);
    if (!this.transactional) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: the producer is not transactional; create it with a transactionalId`);
    if (this.#tx === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: no transaction is open; call beginTransaction() first`);
    return this.#tx;
  }

  /** Runs a kafkajs call; a fencing error makes every later call fail with FENCED too. */
  async #run<T>(api: string, call: () => Promise<T>, fallback?: (typeof TransportErrorCode)[keyof typeof TransportErrorCode]): Promise<T> {
    try {
      return await call();
    } catch (e) {
      const err = toTransportError(api, e, fallback);
      if (err.code === TransportErrorCode.FENCED) this.#fenced = e;
      throw err;
    }
  }
}

/** Runs `call` again while the coordinator answers CONCURRENT_TRANSACTIONS (bounded, backing off). */
async function retryConcurrentTransactions<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + CONCURRENT_TRANSACTIONS_WAIT_MS;
  for (let backoffMs = 20; ; backoffMs = Math.min(backoffMs * 2, 500)) {
    try {
      return await call();
    } catch (e) {
      if (!kafkaTypesOf(e).includes('CONCURRENT_TRANSACTIONS') || Date.now() + backoffMs > deadline) throw e;
      await new Promise((r) => setTimeout(r, backoffMs));
    }
  }
}
