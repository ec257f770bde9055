import { DefaultPartitioner } from '../partitioner.js';
import type {
  ConsumerGenerationInfo,
  Producer,
  ProducerRecord,
  RecordMetadata,
  TopicPartitionOffset,
} from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import type { BrokerCore } from './broker-core.js';
import type { PartitionLog } from './partition-log.js';
import type { Topic } from './topic-registry.js';
import type { ProducerSession } from './transaction-coordinator.js';
import { checkOffset, checkTopicPartition, invalid } from '../validate.js';
import { BATCH_OVERHEAD_BYTES, MAX_BATCH_BYTES, checkRecordSize, recordBytes } from '../record-size.js';

/** Kafka's `transaction.timeout.ms` default. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

/**
 * Producer of the embedded broker. There are no retries in-process, so every
 * producer is idempotent; a transactional one writes through the transaction
 * coordinator, which decides visibility and fencing.
 */
export class EmbeddedProducer implements Producer {
  readonly transactional: boolean;
  #state: 'ready' | 'transaction' | 'closed' = 'ready';
  readonly #partitioner = new DefaultPartitioner();

  constructor(
    private readonly core: BrokerCore,
    private readonly session: ProducerSession,
    private readonly transactionTimeoutMs: number,
    private readonly onClose: (p: EmbeddedProducer) => void,
  ) {
    this.transactional = session.transactionalId !== undefined;
  }

  async send(records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const api = 'Producer.send';
    this.#open(api);
    if (this.transactional) {
      this.core.txns.check(api, this.session);
      if (this.#state !== 'transaction') {
        throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transactional producer must send inside a transaction; call beginTransaction() first`);
      }
    }
    if (!Array.isArray(records)) invalid(`${api}: records must be an array (got ${typeof records})`);
    if (records.length === 0) return [];
    // Validate and place every record before appending any, so a bad record leaves no partial batch.
    const topics: Topic[] = [];
    const logs: PartitionLog[] = [];
    // Per partition, the size of the batch being filled, as Kafka's producer fills them.
    const batches = new Map<PartitionLog, number>();
    for (const r of records) {
      const topic = this.core.topics.require(api, r.topic);
      const key = r.key ?? null;
      const partition = r.partition ?? this.#partitioner.partition(topic.name, key, topic.partitions.length);
      const log = this.core.topics.requirePartition(api, r.topic, partition);
      if (topic.compacted && key === null) {
        throw transportError(
          TransportErrorCode.INVALID_RECORD,
          `${api}: records on compacted topic '${topic.name}' must have a key (got a null key at partition ${partition})`,
        );
      }
      if (r.timestamp !== undefined && !Number.isFinite(r.timestamp)) {
        invalid(`${api}: timestamp must be a finite number of milliseconds (got ${String(r.timestamp)})`);
      }
      const bytes = recordBytes(r);
      checkRecordSize(api, r, partition, bytes);
      const used = batches.get(log) ?? 0;
      const batch = used === 0 || used + bytes > MAX_BATCH_BYTES ? BATCH_OVERHEAD_BYTES + bytes : used + bytes;
      // The broker's side: a batch over the topic's max.message.bytes is refused whole.
      if (batch > topic.maxMessageBytes) {
        throw transportError(
          TransportErrorCode.RECORD_TOO_LARGE,
          `${api}: the broker refused a record batch of ${batch} bytes for topic '${topic.name}' partition ${partition}: larger than the topic's max.message.bytes ${topic.maxMessageBytes} (Kafka's MESSAGE_TOO_LARGE); make the records smaller or raise max.message.bytes`,
        );
      }
      batches.set(log, batch);
      topics.push(topic);
      logs.push(log);
    }
    const txn = this.transactional ? this.core.txns.transaction(api, this.session, this.transactionTimeoutMs) : null;
    const now = Date.now();
    const metadata: RecordMetadata[] = new Array(records.length);
    const touched = new Map<PartitionLog, Topic>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const log = logs[i]!;
      txn?.partitions.add(log);
      const rec = log.append(r.key ?? null, r.value ?? null, r.timestamp ?? now, r.headers, txn, now);
      metadata[i] = { topic: rec.topic, partition: rec.partition, offset: rec.offset, timestamp: rec.timestamp };
      touched.set(log, topics[i]!);
    }
    for (const [log, topic] of touched) {
      this.core.cleanUp(topic, log, now);
      log.changed.notify();
    }
    await this.core.maybeYield();
    return metadata;
  }

  async beginTransaction(): Promise<void> {
    const api = 'Producer.beginTransaction';
    this.#transactionalOpen(api);
    if (this.#state === 'transaction') {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: a transaction is already open; commit or abort it first`);
    }
    this.#state = 'transaction';
  }

  async sendOffsets(
    groupId: string,
    offsets: readonly TopicPartitionOffset[],
    consumerGenerationInfo?: ConsumerGenerationInfo,
  ): Promise<void> {
    const api = 'Producer.sendOffsets';
    this.#inTransaction(api);
    if (typeof groupId !== 'string' || groupId.length === 0) invalid(`${api}: groupId must be a non-empty string (got ${String(groupId)})`);
    for (const o of offsets) {
      checkTopicPartition(api, o);
      checkOffset(api, 'offset', o.offset);
    }
    if (consumerGenerationInfo !== undefined) {
      if (consumerGenerationInfo.groupId !== groupId) {
        invalid(`${api}: consumerGenerationInfo.groupId must equal groupId (got '${consumerGenerationInfo.groupId}' and '${groupId}')`);
      }
      this.core.groups
        .group(groupId)
        .validateGeneration(api, consumerGenerationInfo.memberId, consumerGenerationInfo.generationId);
    }
    const txn = this.core.txns.transaction(api, this.session, this.transactionTimeoutMs);
    this.core.txns.addOffsets(txn, groupId, offsets);
  }

  async commitTransaction(): Promise<void> {
    const api = 'Producer.commitTransaction';
    this.#inTransaction(api);
    this.core.txns.end(api, this.session, 'committed');
    this.#state = 'ready';
    await this.core.maybeYield();
  }

  async abortTransaction(): Promise<void> {
    const api = 'Producer.abortTransaction';
    this.#inTransaction(api);
    this.core.txns.end(api, this.session, 'aborted');
    this.#state = 'ready';
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'transaction') {
      try {
        this.core.txns.end('Producer.close', this.session, 'aborted');
      } catch {
        // Fenced: the newer producer (or the timeout) already aborted it.
      }
    }
    this.#state = 'closed';
    this.onClose(this);
  }

  /** Simulates a crash: stops without aborting, so an open transaction stays open until fenced or timed out. */
  abandon(): void {
    this.#state = 'closed';
  }

  #open(api: string): void {
    if (this.#state === 'closed') throw transportError(TransportErrorCode.CLOSED, `${api}: the producer is closed; create a new one`);
  }

  #transactionalOpen(api: string): void {
    this.#open(api);
    if (!this.transactional) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: the producer must be created with a transactionalId to use transactions`);
    }
    this.core.txns.check(api, this.session);
  }

  #inTransaction(api: string): void {
    this.#transactionalOpen(api);
    if (this.#state !== 'transaction') {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: no transaction is open; call beginTransaction() first`);
    }
  }
}
