/**
 * {@link Producer} over @platformatic/kafka's `Producer` (idempotence,
 * transactions, InitProducerId fencing). rivulet adds what the contract needs
 * on top: murmur2 partitioning and partition checks (the library takes a
 * partition modulo the count instead of refusing it), sends split into batches
 * the broker accepts, record offsets from the batch base offsets, and
 * `sendOffsets` with the consumer's member id and generation (AddOffsetsToTxn
 * and TxnOffsetCommit v3, KIP-447) through the library's request API.
 *
 * Sends are serialized: the library advances an idempotent producer's
 * sequence numbers only when a send's response arrives.
 * @module
 */
import { addOffsetsToTxnV3, Producer as PltProducer, txnOffsetCommitV3, type ProduceResult } from '@platformatic/kafka';

type Transaction = Awaited<ReturnType<PltProducer['beginTransaction']>>;
import { partitionForKey } from '../partitioner.js';
import { BATCH_OVERHEAD_BYTES, checkRecordSize, MAX_BATCH_BYTES, recordBytes } from '../record-size.js';
import type { ConsumerGenerationInfo, Producer, ProducerRecord, RecordMetadata, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { checkOffset, checkTopicPartition, invalid } from '../validate.js';
import { CoordinatorType, sleep, TRANSIENT_ERRORS, TRANSIENT_WAIT_MS, withCoordinator, type PlatformaticCluster } from './platformatic-cluster.js';
import { hasKafkaError, toTransportError } from './platformatic-errors.js';

/** What the producer needs of its transport. */
export interface ProducerContext {
  requirePartitionCount(topic: string, api: string, refresh?: boolean): Promise<number>;
  listOffsetsWith(api: string, topic: string, isolation: 'read_committed'): Promise<{ partition: number; latest: number }[]>;
}

/** Bound on the wait for a transaction's markers after EndTxn. */
const MARKER_WAIT_MS = 10_000;

export interface PlatformaticProducerConfig {
  readonly clientId: string;
  readonly transactionalId?: string;
  readonly idempotent: boolean;
  readonly transactionTimeoutMs: number;
  readonly onClose: (p: PlatformaticProducer) => void;
}

type Message = { topic: string; partition: number; key?: Buffer; value?: Buffer; timestamp: bigint; headers?: Map<Buffer, Buffer> };

const toBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

export class PlatformaticProducer implements Producer {
  readonly transactional: boolean;
  readonly #producer: PltProducer;
  #transaction: Transaction | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #roundRobin = new Map<string, number>();
  #fenced = false;
  #closed = false;
  /** Last offset written per partition by the open transaction, by topic. */
  #written = new Map<string, Map<number, number>>();

  constructor(
    private readonly ctx: ProducerContext,
    private readonly cluster: PlatformaticCluster,
    private readonly config: PlatformaticProducerConfig,
  ) {
    this.transactional = config.transactionalId !== undefined;
    this.#producer = new PltProducer({
      clientId: config.clientId,
      bootstrapBrokers: cluster.bootstrapBrokers,
      ...cluster.connection,
      idempotent: config.idempotent,
      ...(config.transactionalId === undefined ? {} : { transactionalId: config.transactionalId }),
      acks: -1,
      autocreateTopics: false,
      retries: 5,
      retryDelay: 100,
      // The library sends `timeout` as the transaction timeout of InitProducerId.
      timeout: config.transactionTimeoutMs,
    });
  }

  /** Fences older producers of the transactional id (InitProducerId) right away, as the contract asks. */
  async open(): Promise<void> {
    if (!this.transactional) return;
    const deadline = Date.now() + TRANSIENT_WAIT_MS;
    for (;;) {
      try {
        await this.#call('Transport.producer', async () => {
          const tx = await this.#begin();
          await tx.cancel();
        });
        return;
      } catch (e) {
        // The broker is still aborting the open transaction of the producer fenced here, or the
        // transaction coordinator is moving (a broker died or is starting): both pass.
        const transient = hasKafkaError((e as { cause?: unknown }).cause, ...TRANSIENT_ERRORS) || (e as { retriable?: boolean }).retriable === true;
        if (!transient || Date.now() >= deadline) throw e;
        await sleep(100);
      }
    }
  }

  /**
   * Begins a transaction; the first one sends InitProducerId, with no producer id and
   * epoch (-1): the library's default of 0 and 0 makes the broker answer PRODUCER_FENCED
   * for a transactional id that has a producer already.
   */
  async #begin(): Promise<Transaction> {
    try {
      return await this.#producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    } catch (e) {
      // The library keeps a transaction whose preparation failed; drop it so a retry can begin.
      await this.#producer.transaction?.cancel().catch(() => undefined);
      throw e;
    }
  }

  async send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const api = 'Producer.send';
    this.#usable(api);
    if (this.transactional && this.#transaction === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transactional producer sends only inside a transaction; call beginTransaction() first`);
    }
    if (!Array.isArray(records)) invalid(`${api}: records must be an array`);
    if (records.length === 0) return [];
    const messages: Message[] = [];
    const sizes: number[] = [];
    // Partition counts looked up once per topic of the send, not awaited per record.
    const counts = new Map<string, number>();
    for (const r of records) {
      if (typeof r?.topic !== 'string' || r.topic.length === 0) invalid(`${api}: topic must be a non-empty string (got ${String(r?.topic)})`);
      if (!counts.has(r.topic)) counts.set(r.topic, await this.ctx.requirePartitionCount(r.topic, api));
    }
    for (const r of records) {
      const n = counts.get(r.topic)!;
      let partition = r.partition;
      if (partition !== undefined) {
        if (!Number.isInteger(partition) || partition < 0) invalid(`${api}: partition must be an integer >= 0 (got ${String(partition)})`);
        if (partition >= n) {
          // The count may have grown since it was cached.
          const fresh = await this.ctx.requirePartitionCount(r.topic, api, true);
          if (partition >= fresh) throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: topic '${r.topic}' has ${fresh} partitions; partition ${partition} does not exist`);
        }
      } else if (r.key !== undefined && r.key !== null) {
        partition = partitionForKey(r.key, n);
      } else {
        const next = this.#roundRobin.get(r.topic) ?? 0;
        this.#roundRobin.set(r.topic, next + 1);
        partition = next % n;
      }
      const bytes = recordBytes(r);
      checkRecordSize(api, r, partition, bytes);
      sizes.push(bytes);
      const m: Message = { topic: r.topic, partition, timestamp: BigInt(r.timestamp ?? Date.now()) };
      if (r.key !== undefined && r.key !== null) m.key = toBuffer(r.key);
      if (r.value !== null) m.value = toBuffer(r.value);
      if (r.headers !== undefined) {
        const entries = Object.entries(r.headers);
        if (entries.length > 0) m.headers = new Map(entries.map(([k, v]) => [Buffer.from(k, 'utf8'), toBuffer(v as Uint8Array)]));
      }
      messages.push(m);
    }
    const chunks = chunk(messages, sizes);
    const run = this.#queue.then(() => this.#sendChunks(api, chunks));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #sendChunks(api: string, chunks: Message[][]): Promise<RecordMetadata[]> {
    const out: RecordMetadata[] = [];
    for (const messages of chunks) {
      const target = this.#transaction ?? this.#producer;
      const result: ProduceResult = await this.#call(api, () => target.send({ messages }) as Promise<ProduceResult>);
      // Next offset per topic and partition, from the base offsets of the response.
      const next = new Map<string, number[]>();
      for (const o of result.offsets ?? []) {
        let parts = next.get(o.topic);
        if (parts === undefined) next.set(o.topic, (parts = []));
        parts[o.partition] = Number(o.offset);
      }
      for (const m of messages) {
        const parts = next.get(m.topic);
        const offset = parts?.[m.partition] ?? -1;
        if (parts !== undefined) parts[m.partition] = offset + 1;
        out.push({ topic: m.topic, partition: m.partition, offset, timestamp: Number(m.timestamp) });
      }
      if (this.transactional) {
        for (const [topic, parts] of next) {
          let written = this.#written.get(topic);
          if (written === undefined) this.#written.set(topic, (written = new Map()));
          parts.forEach((nextOffset, partition) => written!.set(partition, Math.max(written!.get(partition) ?? -1, nextOffset - 1)));
        }
      }
    }
    return out;
  }

  async beginTransaction(): Promise<void> {
    const api = 'Producer.beginTransaction';
    this.#usable(api);
    this.#requireTransactional(api);
    if (this.#transaction !== undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transaction is already open; commit or abort it first`);
    this.#written = new Map();
    this.#transaction = await this.#call(api, () => this.#begin());
  }

  async sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[], consumerGenerationInfo?: ConsumerGenerationInfo): Promise<void> {
    const api = 'Producer.sendOffsets';
    this.#usable(api);
    this.#requireTransactional(api);
    if (typeof groupId !== 'string' || groupId.length === 0) invalid(`${api}: groupId must be a non-empty string (got ${JSON.stringify(groupId)})`);
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
    }
    if (this.#transaction === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: no transaction is open; call beginTransaction() first`);
    if (offsets.length === 0) return;
    const transactionalId = this.config.transactionalId!;
    const producerId = this.#producer.producerId;
    const producerEpoch = this.#producer.producerEpoch;
    if (producerId === undefined || producerEpoch === undefined) throw transportError(TransportErrorCode.FENCED, `${api}: the producer has no producer id (it was fenced); close it`);
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1 }]);
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    await this.#call(api, async () => {
      await withCoordinator(this.cluster, CoordinatorType.TRANSACTION, transactionalId, (c) => addOffsetsToTxnV3.api.async(c, transactionalId, producerId, producerEpoch, groupId));
      await withCoordinator(this.cluster, CoordinatorType.GROUP, groupId, (c) =>
        txnOffsetCommitV3.api.async(c, transactionalId, groupId, producerId, producerEpoch, consumerGenerationInfo?.generationId ?? -1, consumerGenerationInfo?.memberId ?? '', null, topics),
      );
    }, TransportErrorCode.COMMIT_FAILED);
  }

  async commitTransaction(): Promise<void> {
    const api = 'Producer.commitTransaction';
    this.#usable(api);
    this.#requireTransactional(api);
    const tx = this.#transaction;
    if (tx === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: no transaction is open; call beginTransaction() first`);
    await this.#queue;
    await this.#call(api, () => tx.commit());
    this.#transaction = undefined;
    await this.#awaitMarkers(api);
  }

  async abortTransaction(): Promise<void> {
    const api = 'Producer.abortTransaction';
    this.#usable(api);
    this.#requireTransactional(api);
    const tx = this.#transaction;
    if (tx === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: no transaction is open; call beginTransaction() first`);
    await this.#queue;
    await this.#call(api, () => tx.abort());
    this.#transaction = undefined;
    await this.#awaitMarkers(api);
  }

  /**
   * EndTxn returns once the coordinator has logged the decision; the markers
   * that move the last stable offset are written afterwards. Wait until they
   * are, so after `commitTransaction` read_committed readers see the
   * transaction, as on the embedded broker (and as the kafkajs transport does).
   * Bounded; on timeout the call still succeeds (the outcome is decided).
   */
  async #awaitMarkers(api: string): Promise<void> {
    const written = this.#written;
    this.#written = new Map();
    const deadline = Date.now() + MARKER_WAIT_MS;
    const pending = new Set(written.keys());
    while (pending.size > 0 && Date.now() < deadline) {
      for (const topic of [...pending]) {
        const stable = await this.ctx.listOffsetsWith(api, topic, 'read_committed');
        if ([...written.get(topic)!].every(([partition, offset]) => (stable.find((o) => o.partition === partition)?.latest ?? 0) > offset)) pending.delete(topic);
      }
      if (pending.size > 0) await sleep(5);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.config.onClose(this);
    const tx = this.#transaction;
    this.#transaction = undefined;
    await this.#queue;
    if (tx !== undefined && !this.#fenced && !tx.completed) await tx.abort().catch(() => undefined);
    await new Promise<void>((resolve) => this.#producer.close(true, () => resolve()));
  }

  /** Runs a library call; a fencing error marks this producer a zombie for good. */
  async #call<T>(api: string, call: () => Promise<T>, fallback?: (typeof TransportErrorCode)[keyof typeof TransportErrorCode]): Promise<T> {
    try {
      return await call();
    } catch (e) {
      const err = toTransportError(api, e, fallback);
      if (err.code === TransportErrorCode.FENCED) {
        this.#fenced = true;
        this.#transaction = undefined;
      }
      throw err;
    }
  }

  #requireTransactional(api: string): void {
    if (!this.transactional) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: the producer is not transactional; create it with a transactionalId`);
  }

  #usable(api: string): void {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, `${api}: the producer is closed; create a new one`);
    if (this.#fenced) {
      throw transportError(TransportErrorCode.FENCED, `${api}: a newer producer with transactional id '${this.config.transactionalId}' fenced this one; close it and give up its tasks`);
    }
  }
}

/** Splits a send, in order, so no partition's batch of one request exceeds {@link MAX_BATCH_BYTES}. */
function chunk(messages: Message[], sizes: number[]): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  // Bytes per topic and partition in the current chunk.
  let bytes = new Map<string, number[]>();
  messages.forEach((m, i) => {
    let parts = bytes.get(m.topic);
    if (parts === undefined) bytes.set(m.topic, (parts = []));
    const used = parts[m.partition] ?? BATCH_OVERHEAD_BYTES;
    if (used + sizes[i]! > MAX_BATCH_BYTES && used > BATCH_OVERHEAD_BYTES) {
      chunks.push(current);
      current = [];
      bytes = new Map([[m.topic, (parts = [])]]);
    }
    current.push(m);
    parts[m.partition] = (parts[m.partition] ?? BATCH_OVERHEAD_BYTES) + sizes[i]!;
  });
  if (current.length > 0) chunks.push(current);
  return chunks;
}
