/**
 * The {@link Transport} for real Apache Kafka on @platformatic/kafka, a
 * maintained pure-TypeScript client. Only the library's public exports are
 * used: its `Admin` and `Producer` clients, and its request API (`apis/*`,
 * one function per Kafka request and version) over a `ConnectionPool` for
 * the group protocol, fetching and KIP-447 offset commits, which the
 * library's stream-based `Consumer` does not offer in the poll-driven,
 * callback-awaiting shape of the contract.
 *
 * @example
 * const transport = createPlatformaticTransport({ brokers: ['127.0.0.1:9092'] });
 * await transport.connect();
 * @module
 */
import { randomUUID } from 'node:crypto';
import { PartitionCounts } from '../partition-counts.js';
import type {
  CommittedOffset,
  ConsumerOptions,
  GroupAssignor,
  GroupConsumer,
  IsolationLevel,
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
import { checkKafkaConnection, connectionSettings, type KafkaConnectionConfig } from '../kafka-connection.js';
import { checkAssignor, checkIsolation, checkOffset, checkPositiveMs, invalid } from '../validate.js';
import { rangeAssignor } from '../assignor.js';
import { offsetFetchV8 } from '@platformatic/kafka';
import { CoordinatorType, PlatformaticCluster, sleep, TRANSIENT_ERRORS, TRANSIENT_WAIT_MS, withCoordinator } from './platformatic-cluster.js';
import { PlatformaticGroupConsumer } from './platformatic-consumer.js';
import { guard, hasKafkaError, kafkaCodeOf, toTransportError } from './platformatic-errors.js';
import { PlatformaticProducer } from './platformatic-producer.js';
import { PlatformaticReader } from './platformatic-reader.js';
import { platformaticConnection } from './platformatic-security.js';
import { probeTls } from './platformatic-tls-probe.js';

/** Kafka's `transaction.timeout.ms` default. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/** Kafka's `session.timeout.ms` default used by rivulet. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** Upper bound of createTopics' wait until new topics show in metadata. */
const TOPICS_SHOWN_WAIT_MS = 30_000;
/** How long committedOffsets waits for offsets of a just-committed transaction to become stable. */
const UNSTABLE_WAIT_MS = 500;

/** Settings of {@link createPlatformaticTransport}. */
export type PlatformaticTransportConfig = KafkaConnectionConfig & {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** How the group leader splits partitions when a consumer names no assignor; default the range assignor. */
  readonly assignor?: GroupAssignor;
};

/** A {@link Transport} to a Kafka cluster through @platformatic/kafka. Call `connect()` before anything else. */
export function createPlatformaticTransport(config: PlatformaticTransportConfig): Transport {
  const api = 'createPlatformaticTransport';
  if (typeof config !== 'object' || config === null) invalid(`${api}: config must be an object (got ${String(config)})`);
  if (!Array.isArray(config.brokers) || config.brokers.length === 0 || config.brokers.some((b) => typeof b !== 'string' || !/^.+:\d+$/.test(b))) {
    invalid(`${api}: brokers must be a non-empty array of 'host:port' strings (got ${JSON.stringify(config.brokers)})`);
  }
  const { ssl, sasl, connectionTimeoutMs, requestTimeoutMs } = config;
  const connection = checkKafkaConnection(`${api}: config`, { ssl, sasl, connectionTimeoutMs, requestTimeoutMs }, invalid);
  const clientId = config.clientId ?? `rivulet-${randomUUID().slice(0, 8)}`;
  return new PlatformaticTransport([...config.brokers], clientId, platformaticConnection(connectionSettings(connection)), config.assignor ?? rangeAssignor);
}

interface Client {
  close(): Promise<void>;
}

export class PlatformaticTransport implements Transport {
  #cluster: PlatformaticCluster | undefined;
  #connecting: Promise<void> | undefined;
  readonly #clients = new Set<Client>();
  readonly #partitions = new PartitionCounts((topic) => this.#lookupPartitionCount(topic));
  #seq = 0;

  constructor(
    private readonly brokers: string[],
    readonly clientId: string,
    private readonly connection: ReturnType<typeof platformaticConnection>,
    readonly assignor: GroupAssignor,
  ) {}

  async connect(): Promise<void> {
    if (this.#cluster !== undefined) return;
    this.#connecting ??= (async () => {
      const cluster = new PlatformaticCluster(this.brokers, this.clientId, { connectTimeout: 3000, requestTimeout: 30_000, ...this.connection });
      try {
        await guard('Transport.connect', () => cluster.metadata([]));
      } catch (e) {
        await cluster.close();
        const tls = this.connection.tls;
        if (tls !== undefined && (e as { code?: string }).code === TransportErrorCode.NOT_CONNECTED) {
          // A closed connection over TLS may be a refused handshake: ask for the TLS alert.
          const refusal = await probeTls(this.brokers[0]!, tls);
          if (refusal !== undefined) {
            const classified = toTransportError('Transport.connect', refusal);
            if (classified.code === TransportErrorCode.TLS_FAILED) throw classified;
          }
        }
        throw e;
      }
      this.#cluster = cluster;
    })().finally(() => (this.#connecting = undefined));
    await this.#connecting;
  }

  async close(): Promise<void> {
    const cluster = this.#cluster;
    this.#cluster = undefined;
    await Promise.allSettled([...this.#clients].map((c) => c.close()));
    this.#clients.clear();
    await cluster?.close();
  }

  async clusterId(): Promise<string> {
    const cluster = this.require('Transport.clusterId');
    const meta = await guard('Transport.clusterId', () => cluster.metadata([]));
    return meta.id;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const api = 'Transport.createTopics';
    const cluster = this.require(api);
    const wanted = topics.map((t) => {
      if (typeof t?.topic !== 'string' || t.topic.length === 0) invalid(`${api}: topic must be a non-empty string (got ${String(t?.topic)})`);
      if (!Number.isInteger(t.partitions) || t.partitions < 1) invalid(`${api}: partitions must be an integer >= 1 (got ${String(t.partitions)} for '${t.topic}')`);
      return t;
    });
    if (wanted.length === 0) return;
    const existing = new Set(await guard(api, () => cluster.admin.listTopics()));
    // Kafka rejects a request naming a topic twice; as for an existing topic, the first request wins.
    const missing = wanted.filter((t, i) => !existing.has(t.topic) && wanted.findIndex((w) => w.topic === t.topic) === i);
    // One request per topic: the library's createTopics gives every topic of a request the same partitions and configs.
    await Promise.all(
      missing.map(async (t) => {
        try {
          await cluster.admin.createTopics({
            topics: [t.topic],
            partitions: t.partitions,
            replicas: -1,
            configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value: String(value) })),
          });
        } catch (e) {
          // Another instance may have created it meanwhile: that is success.
          if (!hasKafkaError(e, 'TOPIC_ALREADY_EXISTS')) throw toTransportError(api, e, TransportErrorCode.INVALID_ARGUMENT);
        }
      }),
    );
    // Wait until every new topic has leaders, so the next call on it finds them.
    const deadline = Date.now() + TOPICS_SHOWN_WAIT_MS;
    for (const t of missing) {
      for (;;) {
        try {
          const meta = await cluster.metadata([t.topic], true);
          const parts = meta.topics.get(t.topic)?.partitions ?? [];
          if (parts.length > 0 && parts.every((p) => p !== undefined && p.leader >= 0)) break;
        } catch (e) {
          if (!hasKafkaError(e, 'UNKNOWN_TOPIC_OR_PARTITION', ...TRANSIENT_ERRORS) || Date.now() >= deadline) throw toTransportError(api, e);
        }
        if (Date.now() >= deadline) throw transportError(TransportErrorCode.NOT_CONNECTED, `${api}: topic '${t.topic}' has no leader after ${TOPICS_SHOWN_WAIT_MS} ms`, { retriable: true });
        await sleep(50);
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    const api = 'Transport.deleteTopics';
    const cluster = this.require(api);
    const existing = new Set(await guard(api, () => cluster.admin.listTopics()));
    const present = topics.filter((t) => existing.has(t));
    this.#partitions.forget(topics);
    if (present.length === 0) return;
    try {
      await cluster.admin.deleteTopics({ topics: present });
    } catch (e) {
      if (kafkaCodeOf(e) !== TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw toTransportError(api, e);
    }
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    this.require('Transport.partitionCount');
    return this.tryPartitionCount(topic);
  }

  /** @internal */
  async tryPartitionCount(topic: string): Promise<number | undefined> {
    return this.#partitions.fetch(topic);
  }

  async #lookupPartitionCount(topic: string): Promise<number | undefined> {
    const api = 'Transport.partitionCount';
    const cluster = this.require(api);
    const existing = await guard(api, () => cluster.admin.listTopics());
    if (!existing.includes(topic)) return undefined;
    try {
      const meta = await cluster.metadata([topic], true);
      return meta.topics.get(topic)?.partitionsCount;
    } catch (e) {
      if (kafkaCodeOf(e) === TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
      throw toTransportError(api, e);
    }
  }

  /** @internal */
  cachedPartitionCount(topic: string): number | undefined {
    return this.#partitions.cached(topic);
  }

  /** @internal */
  async requirePartitionCount(topic: string, api: string, refresh = false): Promise<number> {
    return this.#partitions.require(topic, api, refresh);
  }

  async listOffsets(topic: string, options?: ListOffsetsOptions): Promise<PartitionOffsets[]> {
    const api = 'Transport.listOffsets';
    this.require(api);
    return this.listOffsetsWith(api, topic, checkIsolation(api, options?.isolation));
  }

  /** @internal */
  async listOffsetsWith(api: string, topic: string, isolation: IsolationLevel): Promise<PartitionOffsets[]> {
    const cluster = this.require(api);
    const n = await this.requirePartitionCount(topic, api);
    const ask = async (timestamp: bigint): Promise<Map<number, number>> => {
      const deadline = Date.now() + TRANSIENT_WAIT_MS;
      for (;;) {
        try {
          const res = await cluster.admin.listOffsets({
            topics: [{ name: topic, partitions: Array.from({ length: n }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
            isolationLevel: isolation === 'read_committed' ? 1 : 0,
          });
          return new Map((res.find((t) => t.name === topic)?.partitions ?? []).map((p) => [p.partitionIndex, Number(p.offset)]));
        } catch (e) {
          // A leader moving or a broker down: retried here, on fresh metadata, rather than
          // failing the caller (a stream thread would drop its tasks and start over).
          const err = toTransportError(api, e);
          if (Date.now() >= deadline || !(hasKafkaError(e, ...TRANSIENT_ERRORS) || err.retriable)) throw err;
          await sleep(100);
          await cluster.metadata([topic], true).catch(() => undefined);
        }
      }
    };
    const [low, high] = await Promise.all([ask(-2n), ask(-1n)]);
    return Array.from({ length: n }, (_, partition) => ({ partition, earliest: low.get(partition) ?? 0, latest: high.get(partition) ?? 0 }));
  }

  async deleteRecords(topic: string, offsets: readonly { readonly partition: number; readonly offset: number }[]): Promise<void> {
    const api = 'Transport.deleteRecords';
    const cluster = this.require(api);
    if (offsets.length === 0) return;
    const current = await this.listOffsetsWith(api, topic, 'read_uncommitted');
    for (const { partition, offset } of offsets) {
      checkOffset(api, 'offset', offset);
      const o = current.find((c) => c.partition === partition);
      if (o === undefined) throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: partition ${partition} of '${topic}' does not exist`);
      if (offset > o.latest) {
        throw transportError(TransportErrorCode.OFFSET_OUT_OF_RANGE, `${api}: offset must be <= the high watermark ${o.latest} of ${topic}-${partition} (got ${offset})`);
      }
    }
    await guard(api, () => cluster.admin.deleteRecords({ topics: [{ name: topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: BigInt(o.offset) })) }] }));
  }

  async committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const api = 'Transport.committedOffsets';
    const cluster = this.require(api);
    const n = await this.requirePartitionCount(topic, api);
    // Stable first: a committed transaction's offsets show once the broker has written its
    // markers (a few ms after EndTxn), not as the older offsets. Offsets an open transaction
    // holds stay unstable until it ends; those are not committed yet, so read past them then.
    const ask = (requireStable: boolean) =>
      withCoordinator(cluster, CoordinatorType.GROUP, groupId, (c) =>
        offsetFetchV8.api.async(c, [{ groupId, memberEpoch: -1, topics: [{ name: topic, partitionIndexes: Array.from({ length: n }, (_, i) => i) }] }], requireStable),
      );
    const deadline = Date.now() + UNSTABLE_WAIT_MS;
    let res: Awaited<ReturnType<typeof ask>> | undefined;
    while (res === undefined) {
      try {
        res = await ask(Date.now() < deadline);
      } catch (e) {
        if (!hasKafkaError(e, 'UNSTABLE_OFFSET_COMMIT')) throw toTransportError(api, e);
        await sleep(50);
      }
    }
    const partitions = res.groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [];
    return Array.from({ length: n }, (_, partition) => {
      const raw = partitions.find((p) => p.partitionIndex === partition)?.committedOffset;
      return { partition, offset: raw === undefined || raw < 0n ? null : Number(raw) };
    });
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const api = 'Transport.producer';
    const cluster = this.require(api);
    const { transactionalId } = options;
    if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId.length === 0)) {
      invalid(`${api}: transactionalId must be a non-empty string when given (got ${JSON.stringify(transactionalId)})`);
    }
    const timeoutMs = checkPositiveMs(api, 'transactionTimeoutMs', options.transactionTimeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    const client = new PlatformaticProducer(this, cluster, {
      clientId: options.clientId ?? `${this.clientId}-producer-${++this.#seq}`,
      ...(transactionalId === undefined ? {} : { transactionalId }),
      idempotent: transactionalId !== undefined || options.idempotent === true,
      transactionTimeoutMs: timeoutMs,
      onClose: (p) => this.#clients.delete(p),
    });
    this.#clients.add(client);
    try {
      await client.open();
    } catch (e) {
      await client.close();
      throw e;
    }
    return client;
  }

  async consumer(options: ConsumerOptions): Promise<GroupConsumer> {
    const api = 'Transport.consumer';
    const cluster = this.require(api);
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) {
      invalid(`${api}: groupId must be a non-empty string (got ${JSON.stringify(options?.groupId)})`);
    }
    const reset = options.autoOffsetReset ?? 'earliest';
    if (reset !== 'earliest' && reset !== 'latest') invalid(`${api}: autoOffsetReset must be 'earliest' or 'latest' (got ${String(reset)})`);
    const consumer = new PlatformaticGroupConsumer(this, cluster, {
      groupId: options.groupId,
      clientId: options.clientId ?? `${this.clientId}-consumer-${++this.#seq}`,
      isolation: checkIsolation(api, options.isolation),
      sessionTimeoutMs: checkPositiveMs(api, 'sessionTimeoutMs', options.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS),
      autoOffsetReset: reset,
      assignor: options.assignor === undefined ? this.assignor : checkAssignor(api, options.assignor)!,
      onClose: (c) => this.#clients.delete(c),
    });
    this.#clients.add(consumer);
    return consumer;
  }

  async reader(options: ReaderOptions = {}): Promise<Reader> {
    const api = 'Transport.reader';
    const cluster = this.require(api);
    const reader = new PlatformaticReader(this, cluster, checkIsolation(api, options.isolation), (r) => this.#clients.delete(r));
    this.#clients.add(reader);
    return reader;
  }

  /** @internal The shared connections; NOT_CONNECTED before `connect()`. */
  require(api: string): PlatformaticCluster {
    if (this.#cluster === undefined) throw transportError(TransportErrorCode.NOT_CONNECTED, `${api}: the transport is not connected; call connect() first`);
    return this.#cluster;
  }
}
