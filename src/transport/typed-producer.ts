import { Serdes } from '../serde/serdes.js';
import type { Serde } from '../serde/serde.js';
import { TransportErrorCode, transportError } from './transport-error-codes.js';
import type { Producer, RecordMetadata, Transport } from './transport.js';

/** A record for {@link TypedProducer.send}: key and value in their own types, serialized by the producer's serdes. */
export interface TypedProducerRecord<K, V> {
  readonly topic: string;
  /** Default `null`: the record goes to partitions round-robin. */
  readonly key?: K | null;
  /** `null` is a tombstone on compacted topics. */
  readonly value: V | null;
  /** Without it, keyed records go to `murmur2(key) % partitions`, as with Kafka's default partitioner. */
  readonly partition?: number;
  /** Milliseconds since the epoch; the event time rivulet's default timestamp extractor reads. Default: now. */
  readonly timestamp?: number;
  readonly headers?: Readonly<Record<string, Uint8Array>>;
}

/** Serdes of a {@link TypedProducer} or {@link TypedConsumer}; rivulet's defaults when left out. */
export interface TypedClientSerdes<K, V> {
  /** Default `Serdes.string()`. */
  readonly keySerde?: Serde<K>;
  /** Default `Serdes.json()`. */
  readonly valueSerde?: Serde<V>;
}

/**
 * Sends records whose keys and values go through serdes (Kafka's
 * `KafkaProducer<K, V>` with its serializers). Connects on the first `send`.
 *
 * @example
 * const producer = broker.producer({ keySerde: Serdes.string(), valueSerde: Serdes.json<Reading>() });
 * await producer.send({ topic: 'sensor-readings', key: 'd1', value: { device_id: 'd1', value: 21.5 }, timestamp: Date.now() });
 * await producer.close();
 */
export class TypedProducer<K, V> {
  readonly #keySerde: Serde<K>;
  readonly #valueSerde: Serde<V>;
  #producer: Promise<Producer> | undefined;
  #closed = false;

  /** @internal Use `EmbeddedBroker.producer()`. */
  constructor(
    private readonly transport: Transport,
    serdes: TypedClientSerdes<K, V>,
  ) {
    this.#keySerde = serdes.keySerde ?? (Serdes.string() as unknown as Serde<K>);
    this.#valueSerde = serdes.valueSerde ?? Serdes.json<V>();
  }

  /** Appends the records (in order per partition); resolves with where each landed, in input order. */
  async send(records: TypedProducerRecord<K, V> | readonly TypedProducerRecord<K, V>[]): Promise<RecordMetadata[]> {
    const list: readonly TypedProducerRecord<K, V>[] = Array.isArray(records) ? records : [records as TypedProducerRecord<K, V>];
    // Serialized before connecting, so a value its serde rejects fails the call without side effects.
    const encoded = list.map((r) => ({
      topic: r.topic,
      key: r.key === undefined || r.key === null ? null : this.#keySerde.serialize(r.key),
      value: r.value === null ? null : this.#valueSerde.serialize(r.value),
      ...(r.partition === undefined ? {} : { partition: r.partition }),
      ...(r.timestamp === undefined ? {} : { timestamp: r.timestamp }),
      ...(r.headers === undefined ? {} : { headers: r.headers }),
    }));
    const producer = await this.#connected();
    return producer.send(encoded);
  }

  /** Closes the producer and its connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.transport.close();
  }

  #connected(): Promise<Producer> {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, 'TypedProducer: the producer must be open (got one closed); create a new one');
    this.#producer ??= (async () => {
      await this.transport.connect();
      return this.transport.producer();
    })();
    return this.#producer;
  }
}
