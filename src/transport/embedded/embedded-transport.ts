import type {
  CommittedOffset,
  ConsumerOptions,
  GroupConsumer,
  ListOffsetsOptions,
  NewTopic,
  PartitionOffsets,
  Producer,
  ProducerOptions,
  Reader,
  ReaderOptions,
  Transport,
} from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import type { BrokerCore } from './broker-core.js';
import { EmbeddedConsumer } from './embedded-consumer.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, EmbeddedProducer } from './embedded-producer.js';
import { EmbeddedReader } from './embedded-reader.js';
import { checkAssignor, checkIsolation, checkOffset, checkPositiveMs, invalid } from '../validate.js';

/** Default session timeout of group members (kafkajs's default). */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;

interface Client {
  close(): Promise<void>;
  abandon(): void;
}

/** A {@link Transport} bound to one `EmbeddedBroker`; each rivulet instance gets its own. */
export class EmbeddedTransport implements Transport {
  #connected = false;
  readonly #clients = new Set<Client>();
  #clientSeq = 0;

  /** @internal Use `EmbeddedBroker.transport()`. */
  constructor(
    private readonly core: BrokerCore,
    private readonly clientId: string,
  ) {}

  async connect(): Promise<void> {
    this.#connected = true;
  }

  async clusterId(): Promise<string> {
    return this.core.clusterId;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients];
    this.#connected = false;
    const results = await Promise.allSettled(clients.map((c) => c.close()));
    this.#clients.clear();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Simulates the process dying: every client stops on the spot. Group members
   * stay until their session times out and open transactions stay open until a
   * producer with the same transactionalId fences them or they time out — what
   * a `kill -9` of an instance leaves behind on a real cluster.
   */
  abandon(): void {
    this.#connected = false;
    for (const c of this.#clients) c.abandon();
    this.#clients.clear();
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    this.#ensureConnected('Transport.createTopics');
    this.core.topics.create(topics);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    this.#ensureConnected('Transport.deleteTopics');
    this.core.topics.delete(topics);
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    this.#ensureConnected('Transport.partitionCount');
    return this.core.topics.get(topic)?.partitions.length;
  }

  async listOffsets(topic: string, options?: ListOffsetsOptions): Promise<PartitionOffsets[]> {
    const api = 'Transport.listOffsets';
    this.#ensureConnected(api);
    const isolation = checkIsolation(api, options?.isolation);
    return this.core.topics.require(api, topic).partitions.map((log) => ({
      partition: log.partition,
      earliest: log.logStartOffset,
      latest: log.endOffset(isolation),
    }));
  }

  async deleteRecords(topic: string, offsets: readonly { readonly partition: number; readonly offset: number }[]): Promise<void> {
    const api = 'Transport.deleteRecords';
    this.#ensureConnected(api);
    const logs = offsets.map(({ partition, offset }) => {
      const log = this.core.topics.requirePartition(api, topic, partition);
      checkOffset(api, 'offset', offset);
      if (offset > log.highWatermark) {
        throw transportError(
          TransportErrorCode.OFFSET_OUT_OF_RANGE,
          `${api}: offset must be <= the high watermark ${log.highWatermark} of ${topic}-${partition} (got ${offset})`,
        );
      }
      return log;
    });
    logs.forEach((log, i) => log.deleteBefore(offsets[i]!.offset));
  }

  async committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const api = 'Transport.committedOffsets';
    this.#ensureConnected(api);
    const group = this.core.groups.find(groupId);
    return this.core.topics.require(api, topic).partitions.map((log) => ({
      partition: log.partition,
      offset: group?.committed(topic, log.partition) ?? null,
    }));
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const api = 'Transport.producer';
    this.#ensureConnected(api);
    const { transactionalId } = options;
    if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId.length === 0)) {
      invalid(`${api}: transactionalId must be a non-empty string when given (got ${JSON.stringify(transactionalId)})`);
    }
    const timeoutMs = checkPositiveMs(api, 'transactionTimeoutMs', options.transactionTimeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    const session = this.core.txns.initProducer(transactionalId);
    return this.#track(new EmbeddedProducer(this.core, session, timeoutMs, (p) => this.#clients.delete(p)));
  }

  async consumer(options: ConsumerOptions): Promise<GroupConsumer> {
    const api = 'Transport.consumer';
    this.#ensureConnected(api);
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) {
      invalid(`${api}: groupId must be a non-empty string (got ${JSON.stringify(options?.groupId)})`);
    }
    const reset = options.autoOffsetReset ?? 'earliest';
    if (reset !== 'earliest' && reset !== 'latest') invalid(`${api}: autoOffsetReset must be 'earliest' or 'latest' (got ${String(reset)})`);
    const config = {
      groupId: options.groupId,
      clientId: options.clientId ?? `${this.clientId}-consumer-${++this.#clientSeq}`,
      isolation: checkIsolation(api, options.isolation),
      sessionTimeoutMs: checkPositiveMs(api, 'sessionTimeoutMs', options.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS),
      autoOffsetReset: reset,
      ...(options.assignor === undefined ? {} : { assignor: checkAssignor(api, options.assignor)! }),
    };
    return this.#track(new EmbeddedConsumer(this.core, config, (c) => this.#clients.delete(c)));
  }

  async reader(options: ReaderOptions = {}): Promise<Reader> {
    const api = 'Transport.reader';
    this.#ensureConnected(api);
    const isolation = checkIsolation(api, options.isolation);
    return this.#track(new EmbeddedReader(this.core, isolation, (r) => this.#clients.delete(r)));
  }

  #track<C extends Client>(client: C): C {
    this.#clients.add(client);
    return client;
  }

  #ensureConnected(api: string): void {
    if (!this.#connected) {
      throw transportError(TransportErrorCode.NOT_CONNECTED, `${api}: the transport must be connected; call connect() first`);
    }
  }
}
