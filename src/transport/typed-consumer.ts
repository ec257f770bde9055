import { Serdes } from '../serde/serdes.js';
import type { Serde } from '../serde/serde.js';
import { TransportErrorCode, transportError } from './transport-error-codes.js';
import type { TypedClientSerdes } from './typed-producer.js';
import type { GroupConsumer, PollOptions, RecordHeaders, Transport } from './transport.js';

/** A record read by a {@link TypedConsumer}, key and value deserialized. */
export interface TypedConsumerRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: K | null;
  /** `null` for a tombstone. */
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: RecordHeaders;
}

/** Options of {@link TypedConsumer}: the group it joins and its serdes. */
export interface TypedConsumerOptions<K, V> extends TypedClientSerdes<K, V> {
  readonly groupId: string;
  /** Where a partition without a committed offset starts. Default `earliest`. */
  readonly autoOffsetReset?: 'earliest' | 'latest';
}

/**
 * Reads topics as a member of a consumer group and deserializes keys and
 * values (Kafka's `KafkaConsumer<K, V>` with its deserializers). It does not
 * commit, so a consumer of the same group created later starts again from
 * `autoOffsetReset`. Not re-entrant: one `poll` at a time.
 *
 * @example
 * const consumer = broker.consumer({ groupId: 'reader', keySerde: Serdes.string(), valueSerde: Serdes.json<Stats>() });
 * await consumer.subscribe(['device-stats']);
 * const records = await consumer.poll({ timeoutMs: 1000 });
 * await consumer.close();
 */
export class TypedConsumer<K, V> {
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  #consumer: Promise<GroupConsumer> | undefined;
  #closed = false;

  /** @internal Use `EmbeddedBroker.consumer()`. */
  constructor(
    private readonly transport: Transport,
    private readonly options: TypedConsumerOptions<K, V>,
  ) {
    this.#keySerde = options.keySerde ?? (Serdes.string() as unknown as Serde<K>);
    this.#valueSerde = options.valueSerde ?? Serdes.json<V>();
  }

  /** Replaces the subscription; the consumer joins its group on the next `poll`. Topics may not exist yet. */
  async subscribe(topics: readonly string[]): Promise<void> {
    await (await this.#connected()).subscribe(topics);
  }

  /**
   * Records of the partitions assigned to this member, in offset order per
   * partition; waits up to `timeoutMs` (default 0) when there are none. A
   * payload its serde rejects throws the serde's `SerdeError`.
   */
  async poll(options: PollOptions = {}): Promise<TypedConsumerRecord<K, V>[]> {
    const records = await (await this.#connected()).poll(options);
    return records.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: r.key === null ? null : this.#keySerde.deserialize(r.key),
      value: r.value === null ? null : this.#valueSerde.deserialize(r.value),
      timestamp: r.timestamp,
      headers: r.headers,
    }));
  }

  /** Leaves the group and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.transport.close();
  }

  #connected(): Promise<GroupConsumer> {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, 'TypedConsumer: the consumer must be open (got one closed); create a new one');
    this.#consumer ??= (async () => {
      await this.transport.connect();
      return this.transport.consumer({ groupId: this.options.groupId, autoOffsetReset: this.options.autoOffsetReset ?? 'earliest' });
    })();
    return this.#consumer;
  }
}
