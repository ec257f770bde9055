import type { ConsumerRecord, IsolationLevel, TopicPartition } from '../transport.js';
import { BrokerCore } from './broker-core.js';
import type { GroupState } from './group-coordinator.js';
import { EmbeddedTransport } from './embedded-transport.js';
import { invalid } from '../validate.js';
import { TypedConsumer, type TypedConsumerOptions } from '../typed-consumer.js';
import { TypedProducer, type TypedClientSerdes } from '../typed-producer.js';

/** Options of {@link EmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /**
   * A partition of a compacted topic compacts itself after a send once it holds
   * this many entries more than its last compaction kept (and at least as many
   * again, so the cost stays linear in what is written). Default 10 000.
   */
  readonly compactionThreshold?: number;
}

/** Options of {@link EmbeddedBroker.createTopic}. */
export interface EmbeddedTopicOptions {
  /** Default 1. */
  readonly partitions?: number;
  /** Kafka topic configs, e.g. `{ 'cleanup.policy': 'compact' }` (see `NewTopic.config`). */
  readonly config?: Readonly<Record<string, string>>;
}

/** What {@link EmbeddedBroker.describeTopic} reports. */
export interface EmbeddedTopicDescription {
  readonly name: string;
  readonly partitions: number;
  readonly compacted: boolean;
  readonly config: Readonly<Record<string, string>>;
}

/** What {@link EmbeddedBroker.describeGroup} reports. */
export interface EmbeddedGroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly generationId: number;
  readonly members: readonly { readonly memberId: string; readonly clientId: string; readonly assignment: readonly TopicPartition[] }[];
}

/**
 * An in-process Kafka-like broker: topics with partitioned append-only logs,
 * consumer groups (eager rebalancing, range assignment, session expiry,
 * committed offsets), idempotent and transactional producers (read_committed
 * isolation, fencing, transaction timeouts, offsets committed with the
 * transaction) and compacted topics.
 *
 * Several rivulet instances in one process share one broker, each through its
 * own transport, and then behave like instances of one application on a
 * cluster: they split partitions, take over from each other, fence zombies.
 * Nothing is persisted; the broker lives as long as the object.
 *
 * `createTopic`, `producer` and `consumer` are the small, Kafka-shaped client
 * a service or a test uses to put records in and read results out with serdes;
 * `transport()` is the byte-level client the runtime uses.
 *
 * @example
 * const broker = new EmbeddedBroker();
 * await broker.createTopic('words', { partitions: 4 });
 * const producer = broker.producer({ keySerde: Serdes.string(), valueSerde: Serdes.string() });
 * await producer.send({ topic: 'words', key: 'k', value: 'v' });
 *
 * @example
 * const t = broker.transport();
 * await t.connect();
 * await t.createTopics([{ topic: 'words', partitions: 4 }]);
 * const producer = await t.producer();
 * await producer.send([{ topic: 'words', key: utf8('k'), value: utf8('v') }]);
 */
export class EmbeddedBroker {
  readonly #core: BrokerCore;
  #transports = 0;

  constructor(options: EmbeddedBrokerOptions = {}) {
    const threshold = options.compactionThreshold ?? 10_000;
    if (!Number.isInteger(threshold) || threshold < 1) {
      invalid(`EmbeddedBroker: compactionThreshold must be an integer >= 1 (got ${String(threshold)})`);
    }
    this.#core = new BrokerCore(threshold);
  }

  /** A new, unconnected transport bound to this broker. */
  transport(options: { clientId?: string } = {}): EmbeddedTransport {
    return new EmbeddedTransport(this.#core, options.clientId ?? `embedded-${++this.#transports}`);
  }

  /**
   * Creates a topic (Kafka's `Admin.createTopics` for one topic). A topic that
   * exists already is left as it is, whatever is asked.
   */
  async createTopic(name: string, options: EmbeddedTopicOptions = {}): Promise<void> {
    this.#core.topics.create([{ topic: name, partitions: options.partitions ?? 1, ...(options.config === undefined ? {} : { config: options.config }) }]);
  }

  /**
   * A producer that serializes keys and values with serdes (default
   * `Serdes.string()` keys, `Serdes.json()` values, as rivulet's).
   */
  producer<K = string, V = unknown>(serdes: TypedClientSerdes<K, V> = {}): TypedProducer<K, V> {
    return new TypedProducer(new EmbeddedTransport(this.#core, `producer-${++this.#transports}`), serdes);
  }

  /**
   * A consumer group member that deserializes keys and values with serdes
   * (default `Serdes.string()` keys, `Serdes.json()` values). It starts at the
   * earliest offset and does not commit.
   */
  consumer<K = string, V = unknown>(options: TypedConsumerOptions<K, V>): TypedConsumer<K, V> {
    return new TypedConsumer(new EmbeddedTransport(this.#core, `consumer-${++this.#transports}`), options);
  }

  /** Topic names, sorted. */
  topics(): string[] {
    return this.#core.topics.names();
  }

  describeTopic(name: string): EmbeddedTopicDescription | undefined {
    const t = this.#core.topics.get(name);
    return t && { name: t.name, partitions: t.partitions.length, compacted: t.compacted, config: t.config };
  }

  /**
   * Every stored record of a partition (what a reader from the log start would
   * get), for assertions in tests. `read_committed` leaves out open and
   * aborted transactions' records.
   */
  records(topic: string, partition: number, isolation: IsolationLevel = 'read_uncommitted'): ConsumerRecord[] {
    const log = this.#core.topics.requirePartition('EmbeddedBroker.records', topic, partition);
    const out: ConsumerRecord[] = [];
    log.read(log.logStartOffset, Number.MAX_SAFE_INTEGER, isolation, out);
    return out;
  }

  /** Number of stored entries (records and transaction markers) of a partition; what compaction reduces. */
  storedEntries(topic: string, partition: number): number {
    return this.#core.topics.requirePartition('EmbeddedBroker.storedEntries', topic, partition).size;
  }

  /** Compacts every partition of `topic` (or of every compacted topic) now. */
  compact(topic?: string): void {
    const names = topic === undefined ? this.#core.topics.names() : [topic];
    for (const name of names) {
      const t = this.#core.topics.require('EmbeddedBroker.compact', name);
      if (!t.compacted) continue;
      for (const log of t.partitions) log.compact(Date.now(), t.deleteRetentionMs);
    }
  }

  /** Group ids that have been used, sorted. */
  groups(): string[] {
    return this.#core.groups.groupIds();
  }

  describeGroup(groupId: string): EmbeddedGroupDescription | undefined {
    const g = this.#core.groups.find(groupId);
    return (
      g && {
        groupId,
        state: g.state,
        generationId: g.generationId,
        members: [...g.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: m.assignment })),
      }
    );
  }

  /** Stops the broker's timers (session expiry, transaction timeouts). Clients should be closed first. */
  close(): void {
    this.#core.dispose();
  }
}
