/**
 * The {@link Transport} for real Apache Kafka, on kafkajs 2.2. The only place
 * in rivulet that talks to kafkajs (with the other files of this folder);
 * every kafkajs failure leaves as a `TransportError` with the original as `cause`.
 *
 * Differences from the embedded broker, all kafkajs limitations:
 * - rebalance callbacks run after kafkajs has already rejoined (see
 *   kafkajs-consumer.ts); commits in `onPartitionsRevoked` may fail with
 *   COMMIT_FAILED and partitions can be read by their new owner meanwhile;
 * - `sendOffsets` with `consumerGenerationInfo` and a new owner's starting
 *   offsets need KIP-447 requests kafkajs cannot send; kafkajs-kip447.ts sends them;
 * - a member that stops polling keeps heartbeating (no max.poll.interval);
 * - `listOffsets` needs a ListOffsets request with a chosen isolation level,
 *   which kafkajs's admin does not offer (it always asks read_committed); the
 *   transport builds a kafkajs cluster of its own for it through kafkajs's
 *   private `createCluster` (kafkajs is pinned at 2.2.x and unmaintained, so this
 *   internal will not move).
 *
 * @example
 * const transport = createKafkaTransport({ brokers: ['127.0.0.1:9092'] });
 * await transport.connect();
 * @module
 */
import { randomUUID } from 'node:crypto';
import { PartitionCounts } from '../partition-counts.js';
import kafkajs from 'kafkajs';
import type { Admin, Kafka, KafkaConfig, logLevel as LogLevel } from 'kafkajs';
import type {
  CommittedOffset,
  ConsumerOptions,
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
import { checkKafkaConnection, type KafkaConnectionConfig } from '../kafka-connection.js';
import { checkAssignor, checkIsolation, checkOffset, checkPositiveMs, invalid } from '../validate.js';
import { KafkaJsGroupConsumer } from './kafkajs-consumer.js';
import { privateSymbol } from './kafkajs-internals.js';
import { fetchStableOffsets, type FetchedOffset, type KafkaJsBroker } from './kafkajs-kip447.js';
import type { KafkaJsContext } from './kafkajs-context.js';
import { guard, kafkaCodeOf, kafkaTypesOf, toTransportError } from './kafkajs-errors.js';
import { KafkaJsProducerClient } from './kafkajs-producer.js';
import { KafkaJsReader } from './kafkajs-reader.js';
import { kafkaJsSecurity } from './kafkajs-security.js';

const { Kafka: KafkaClass, logLevel } = kafkajs;

/** Kafka's `transaction.timeout.ms` default. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/** Kafka's `session.timeout.ms` default used by rivulet. */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/** Bound on the wait for topics the broker created but does not list yet. */
const TOPICS_SHOWN_WAIT_MS = 30_000;
/** Upper bound of listOffsets' wait for a partition leader (a topic just created elsewhere). */
const LEADER_WAIT_MS = 30_000;

/** Connection settings of {@link createKafkaTransport}. */
export type KafkaTransportConfig =
  | (KafkaConnectionConfig & {
      readonly brokers: readonly string[];
      readonly clientId?: string;
      /** kafkajs log level; default `logLevel.NOTHING` (rivulet reports through its errors). */
      readonly logLevel?: LogLevel;
    })
  | {
      /** A kafkajs client configured by the caller (its own logging, SSL, SASL, socket factory). */
      readonly kafka: Kafka;
      readonly clientId?: string;
    };

/** A {@link Transport} to a Kafka cluster through kafkajs. Call `connect()` before anything else. */
export function createKafkaTransport(config: KafkaTransportConfig): Transport {
  const api = 'createKafkaTransport';
  if (typeof config !== 'object' || config === null) invalid(`${api}: config must be an object (got ${String(config)})`);
  const clientId = config.clientId ?? `rivulet-${randomUUID().slice(0, 8)}`;
  if ('kafka' in config) return new KafkaTransport(config.kafka, clientId, logLevel.NOTHING);
  if (!Array.isArray(config.brokers) || config.brokers.length === 0 || config.brokers.some((b) => typeof b !== 'string' || b.length === 0)) {
    invalid(`${api}: brokers must be a non-empty array of 'host:port' strings (got ${JSON.stringify(config.brokers)})`);
  }
  const { ssl, sasl, connectionTimeoutMs, requestTimeoutMs } = config;
  const connection = checkKafkaConnection(`${api}: config`, { ssl, sasl, connectionTimeoutMs, requestTimeoutMs }, invalid);
  const level = config.logLevel ?? logLevel.NOTHING;
  const kafkaConfig: KafkaConfig = {
    clientId,
    brokers: [...config.brokers],
    logLevel: level,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    requestTimeout: connection.requestTimeoutMs ?? 30_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    ...kafkaJsSecurity(connection),
  };
  return new KafkaTransport(new KafkaClass(kafkaConfig), clientId, level);
}

interface Client {
  close(): Promise<void>;
}

/** The subset of kafkajs's internal Cluster used for ListOffsets. */
interface OffsetsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number }[];
  fetchTopicsOffset(
    topics: { topic: string; fromBeginning: boolean; partitions: { partition: number }[] }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
  findGroupCoordinator(args: { groupId: string }): Promise<KafkaJsBroker>;
}

const ISOLATION_CODE: Record<IsolationLevel, number> = { read_uncommitted: 0, read_committed: 1 };

class KafkaTransport implements Transport, KafkaJsContext {
  #admin: Admin | undefined;
  #connecting: Promise<void> | undefined;
  readonly #clients = new Set<Client>();
  readonly #partitions = new PartitionCounts((topic) => this.#lookupPartitionCount(topic));
  readonly #offsetClusters = new Map<IsolationLevel, Promise<OffsetsCluster>>();
  #seq = 0;

  constructor(
    readonly kafka: Kafka,
    readonly clientId: string,
    readonly logLevel: LogLevel,
  ) {}

  async connect(): Promise<void> {
    if (this.#admin !== undefined) return;
    this.#connecting ??= (async () => {
      const admin = this.kafka.admin({ retry: { retries: 3, initialRetryTime: 100 } });
      await guard('Transport.connect', () => admin.connect());
      this.#admin = admin;
    })().finally(() => (this.#connecting = undefined));
    await this.#connecting;
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    const clients = [...this.#clients];
    this.#clients.clear();
    const results = await Promise.allSettled(clients.map((c) => c.close()));
    const clusters = [...this.#offsetClusters.values()];
    this.#offsetClusters.clear();
    await Promise.allSettled(clusters.map(async (c) => (await c).disconnect()));
    await admin?.disconnect().catch(() => undefined);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async clusterId(): Promise<string> {
    const api = 'Transport.clusterId';
    const admin = this.#require(api);
    return (await guard(api, () => admin.describeCluster())).clusterId;
  }

  async createTopics(topics: readonly NewTopic[]): Promise<void> {
    const api = 'Transport.createTopics';
    const admin = this.#require(api);
    const wanted = topics.map((t) => {
      if (typeof t?.topic !== 'string' || t.topic.length === 0) invalid(`${api}: topic must be a non-empty string (got ${String(t?.topic)})`);
      if (!Number.isInteger(t.partitions) || t.partitions < 1) invalid(`${api}: partitions must be an integer >= 1 (got ${String(t.partitions)} for '${t.topic}')`);
      return {
        topic: t.topic,
        numPartitions: t.partitions,
        configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value: String(value) })),
      };
    });
    if (wanted.length === 0) return;
    const existing = new Set(await guard(api, () => admin.listTopics()));
    // Kafka rejects a request naming a topic twice; as for an existing topic, the first request wins.
    const missing = wanted.filter((t, i) => !existing.has(t.topic) && wanted.findIndex((w) => w.topic === t.topic) === i);
    if (missing.length === 0) return;
    try {
      await admin.createTopics({ topics: missing, waitForLeaders: true });
    } catch (e) {
      // Another instance may have created some of them meanwhile: that is success.
      const types = JSON.stringify((e as { errors?: { type?: string }[] }).errors?.map((x) => x.type) ?? [(e as { type?: string }).type]);
      // A KRaft broker may answer kafkajs's wait for leaders before its metadata has the new
      // topics, and kafkajs retries only LEADER_NOT_AVAILABLE: created all the same, shown soon.
      const notShownYet = kafkaTypesOf(e).includes('UNKNOWN_TOPIC_OR_PARTITION');
      if (!types.includes('TOPIC_ALREADY_EXISTS') && !notShownYet) throw toTransportError(api, e, TransportErrorCode.INVALID_ARGUMENT);
      const deadline = Date.now() + (notShownYet ? TOPICS_SHOWN_WAIT_MS : 0);
      for (;;) {
        const now = new Set(await guard(api, () => admin.listTopics()));
        if (missing.every((t) => now.has(t.topic))) break;
        if (Date.now() >= deadline) throw toTransportError(api, e, TransportErrorCode.INVALID_ARGUMENT);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    const api = 'Transport.deleteTopics';
    const admin = this.#require(api);
    const existing = new Set(await guard(api, () => admin.listTopics()));
    const present = topics.filter((t) => existing.has(t));
    this.#partitions.forget(topics);
    if (present.length === 0) return;
    try {
      await admin.deleteTopics({ topics: present, timeout: 30_000 });
    } catch (e) {
      if (kafkaCodeOf(e) !== TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw toTransportError(api, e);
    }
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    this.#require('Transport.partitionCount');
    return this.tryPartitionCount(topic);
  }

  /** @internal KafkaJsContext */
  async tryPartitionCount(topic: string): Promise<number | undefined> {
    return this.#partitions.fetch(topic);
  }

  async #lookupPartitionCount(topic: string): Promise<number | undefined> {
    const api = 'Transport.partitionCount';
    const admin = this.#require(api);
    const existing = await guard(api, () => admin.listTopics());
    if (!existing.includes(topic)) return undefined;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length;
    } catch (e) {
      if (kafkaCodeOf(e) === TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
      throw toTransportError(api, e);
    }
  }

  /** @internal KafkaJsContext */
  cachedPartitionCount(topic: string): number | undefined {
    return this.#partitions.cached(topic);
  }

  /** @internal KafkaJsContext */
  async requirePartitionCount(topic: string, api: string, refresh = false): Promise<number> {
    return this.#partitions.require(topic, api, refresh);
  }

  async listOffsets(topic: string, options?: ListOffsetsOptions): Promise<PartitionOffsets[]> {
    const api = 'Transport.listOffsets';
    this.#require(api);
    return this.listOffsetsWith(api, topic, checkIsolation(api, options?.isolation));
  }

  async listOffsetsWith(api: string, topic: string, isolation: IsolationLevel): Promise<PartitionOffsets[]> {
    const n = await this.requirePartitionCount(topic, api);
    const cluster = await this.#offsetsCluster(isolation);
    return guard(api, async () => {
      await cluster.addTargetTopic(topic);
      let metadata = cluster.findTopicPartitionMetadata(topic);
      if (metadata.length !== n) {
        await cluster.refreshMetadata();
        metadata = cluster.findTopicPartitionMetadata(topic);
      }
      const partitions = metadata.map((p) => ({ partition: p.partitionId }));
      // A topic another instance has just created may have no leader yet, or cached metadata
      // may name an old one: refresh and ask again, as Kafka's own clients do (bounded).
      const deadline = Date.now() + LEADER_WAIT_MS;
      const fetchOffsets = async (fromBeginning: boolean) => {
        for (;;) {
          try {
            return await cluster.fetchTopicsOffset([{ topic, fromBeginning, partitions }]);
          } catch (e) {
            const types = kafkaTypesOf(e);
            if (Date.now() >= deadline || !(types.includes('NOT_LEADER_FOR_PARTITION') || types.includes('LEADER_NOT_AVAILABLE'))) throw e;
            await new Promise((r) => setTimeout(r, 100));
            await cluster.refreshMetadata();
          }
        }
      };
      const [low] = await fetchOffsets(true);
      const [high] = await fetchOffsets(false);
      return partitions
        .map(({ partition }) => ({
          partition,
          earliest: Number(low?.partitions.find((p) => p.partition === partition)?.offset ?? 0),
          latest: Number(high?.partitions.find((p) => p.partition === partition)?.offset ?? 0),
        }))
        .sort((a, b) => a.partition - b.partition);
    });
  }

  async deleteRecords(topic: string, offsets: readonly { readonly partition: number; readonly offset: number }[]): Promise<void> {
    const api = 'Transport.deleteRecords';
    const admin = this.#require(api);
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
    await guard(api, () => admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: String(o.offset) })) }));
  }

  async committedOffsets(groupId: string, topic: string): Promise<CommittedOffset[]> {
    const api = 'Transport.committedOffsets';
    const admin = this.#require(api);
    const n = await this.requirePartitionCount(topic, api);
    const result = await guard(api, () => admin.fetchOffsets({ groupId, topics: [topic] }));
    const partitions = result.find((r) => r.topic === topic)?.partitions ?? [];
    return Array.from({ length: n }, (_, partition) => {
      const raw = partitions.find((p) => p.partition === partition)?.offset;
      const offset = raw === undefined || Number(raw) < 0 ? null : Number(raw);
      return { partition, offset };
    });
  }

  async stableCommittedOffsets(api: string, groupId: string, topic: string, partitions: readonly number[]): Promise<FetchedOffset[]> {
    const cluster = await this.#offsetsCluster('read_uncommitted');
    const fetched = await guard(api, async () => fetchStableOffsets(await cluster.findGroupCoordinator({ groupId }), groupId, topic, partitions));
    if (fetched !== undefined) return fetched;
    // A broker before KIP-447 has no stable fetch (and no exactly-once with one producer per instance).
    return (await this.committedOffsets(groupId, topic)).filter((c) => partitions.includes(c.partition)).map((c) => ({ ...c, unstable: false }));
  }

  async producer(options: ProducerOptions = {}): Promise<Producer> {
    const api = 'Transport.producer';
    this.#require(api);
    const { transactionalId } = options;
    if (transactionalId !== undefined && (typeof transactionalId !== 'string' || transactionalId.length === 0)) {
      invalid(`${api}: transactionalId must be a non-empty string when given (got ${JSON.stringify(transactionalId)})`);
    }
    const timeoutMs = checkPositiveMs(api, 'transactionTimeoutMs', options.transactionTimeoutMs, DEFAULT_TRANSACTION_TIMEOUT_MS);
    const transactional = transactionalId !== undefined;
    // Exactly-once fencing (KIP-447) hooks into rivulet's own kafkajs (kafkajs-kip447.ts); a
    // client from another kafkajs copy or version would commit offsets without the member's
    // generation, silently: refuse instead.
    if (transactional && !(this.kafka instanceof KafkaClass)) {
      throw transportError(
        TransportErrorCode.UNSUPPORTED_CLIENT,
        `${api}: exactly-once needs the kafkajs client rivulet creates (kafkajs 2.2.4, whose fencing hooks it installs); the kafkajs client passed to createKafkaTransport({ kafka }) comes from another kafkajs copy or version. Pass brokers and connection settings instead of a client, or use kafkaClient: 'platformatic'`,
      );
    }
    const idempotent = transactional || options.idempotent === true;
    const producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent,
      ...(idempotent ? { maxInFlightRequests: 1 } : {}),
      ...(transactional ? { transactionalId, transactionTimeout: timeoutMs } : {}),
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    await guard(api, () => producer.connect());
    const client = new KafkaJsProducerClient(this, producer, transactional, (p) => this.#clients.delete(p), { awaitVisibleCommit: options.awaitVisibleCommit !== false, idempotent });
    this.#clients.add(client);
    if (transactional) {
      try {
        await client.fenceOlder();
      } catch (e) {
        await client.close();
        throw e;
      }
    }
    return client;
  }

  async describeGroupMember(api: string, groupId: string, memberId: string): Promise<Buffer | undefined> {
    const admin = this.#require(api);
    const { groups } = await guard(api, () => admin.describeGroups([groupId]));
    const group = groups.find((g) => g.groupId === groupId);
    if (group?.state !== 'Stable') return undefined;
    return group.members.find((m) => m.memberId === memberId)?.memberAssignment;
  }

  async consumer(options: ConsumerOptions): Promise<GroupConsumer> {
    const api = 'Transport.consumer';
    this.#require(api);
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) {
      invalid(`${api}: groupId must be a non-empty string (got ${JSON.stringify(options?.groupId)})`);
    }
    const reset = options.autoOffsetReset ?? 'earliest';
    if (reset !== 'earliest' && reset !== 'latest') invalid(`${api}: autoOffsetReset must be 'earliest' or 'latest' (got ${String(reset)})`);
    const consumer = new KafkaJsGroupConsumer(
      this,
      {
        groupId: options.groupId,
        clientId: options.clientId ?? `${this.clientId}-consumer-${++this.#seq}`,
        isolation: checkIsolation(api, options.isolation),
        sessionTimeoutMs: checkPositiveMs(api, 'sessionTimeoutMs', options.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS),
        autoOffsetReset: reset,
        ...(options.assignor === undefined ? {} : { assignor: checkAssignor(api, options.assignor)! }),
      },
      (c) => this.#clients.delete(c),
    );
    this.#clients.add(consumer);
    return consumer;
  }

  async reader(options: ReaderOptions = {}): Promise<Reader> {
    const api = 'Transport.reader';
    this.#require(api);
    const isolation = checkIsolation(api, options.isolation);
    const reader = new KafkaJsReader(this, isolation, options.clientId ?? `${this.clientId}-reader-${++this.#seq}`, (r) => this.#clients.delete(r));
    this.#clients.add(reader);
    return reader;
  }

  /** A kafkajs cluster whose ListOffsets requests carry `isolation` (see the module doc). */
  #offsetsCluster(isolation: IsolationLevel): Promise<OffsetsCluster> {
    let cluster = this.#offsetClusters.get(isolation);
    if (cluster === undefined) {
      cluster = (async () => {
        const create = privateSymbol(this.kafka, 'private:Kafka:createCluster');
        const factory = create === undefined ? undefined : (this.kafka as unknown as Record<symbol, unknown>)[create];
        if (typeof factory !== 'function') {
          throw transportError(TransportErrorCode.ILLEGAL_STATE, 'Transport.listOffsets: this kafkajs version does not expose createCluster; rivulet needs kafkajs 2.2.x');
        }
        const c = (factory as (o: object) => OffsetsCluster).call(this.kafka, { allowAutoTopicCreation: false, isolationLevel: ISOLATION_CODE[isolation] });
        await guard('Transport.listOffsets', () => c.connect());
        return c;
      })();
      cluster.catch(() => this.#offsetClusters.delete(isolation));
      this.#offsetClusters.set(isolation, cluster);
    }
    return cluster;
  }

  #require(api: string): Admin {
    if (this.#admin === undefined) throw transportError(TransportErrorCode.NOT_CONNECTED, `${api}: the transport is not connected; call connect() first`);
    return this.#admin;
  }
}
