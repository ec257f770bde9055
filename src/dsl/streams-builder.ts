import type { Serde } from '../serde/serde.js';
import { BuilderContext, internalSerde } from './builder-context.js';
import type { GlobalKTable } from './global-ktable.js';
import type { KStream } from './kstream.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KTable } from './ktable.js';
import type { Consumed, Materialized } from './options.js';
import type { StaticRows, Topology } from '../topology/topology.js';
import type { StoreDefinition } from '../topology/store-definition.js';

/**
 * Entry point of the DSL (Kafka Streams' `StreamsBuilder`): declare streams and
 * tables, then `build()` the topology a `KafkaStreams` instance runs.
 */
export class StreamsBuilder {
  private readonly ctx = new BuilderContext();

  /** A stream of records from one or more topics. */
  stream<K = string, V = unknown>(topics: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const name = consumed.name ?? this.ctx.next('KSTREAM-SOURCE-');
    this.ctx.topology.addSource(name, topics, {
      ...(consumed.keySerde ? { keySerde: consumed.keySerde as Serde<unknown> } : {}),
      ...(consumed.valueSerde ? { valueSerde: consumed.valueSerde as Serde<unknown> } : {}),
      ...(consumed.timestampExtractor ? { timestampExtractor: consumed.timestampExtractor } : {}),
    });
    return new KStreamImpl<K, V>({
      ctx: this.ctx,
      node: name,
      keySerde: consumed.keySerde as Serde<unknown> | undefined,
      valueSerde: consumed.valueSerde as Serde<unknown> | undefined,
      repartitionRequired: false,
    });
  }

  /** A table materialized from a topic: the latest value per key; null values delete. */
  table<K = string, V = unknown>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const source = this.stream<K, V>(topic, consumed) as KStreamImpl<K, V>;
    return source.toTable(undefined, {
      ...materialized,
      ...(materialized.keySerde ?? consumed.keySerde ? { keySerde: (materialized.keySerde ?? consumed.keySerde) as Serde<K> } : {}),
      ...(materialized.valueSerde ?? consumed.valueSerde ? { valueSerde: (materialized.valueSerde ?? consumed.valueSerde) as Serde<V> } : {}),
    });
  }

  /**
   * A table held in full by every instance (Kafka Streams' `globalTable`), read
   * from all partitions of `topic`; join streams to it with `KStream.join` /
   * `leftJoin`. Its store lives in memory and is rebuilt from the topic on start,
   * so it needs no changelog and renaming it loses nothing.
   */
  globalTable<K = string, V = unknown>(topic: string, consumed: Consumed<K, V> = {}, materialized: Materialized<K, V> = {}): GlobalKTable<K, V> {
    const sourceName = consumed.name ?? this.ctx.next('KSTREAM-SOURCE-');
    const processorName = this.ctx.next('KTABLE-SOURCE-');
    const storeName = materialized.storeName ?? this.ctx.next(`${topic}-STATE-STORE-`);
    this.ctx.topology.addGlobalStore(
      {
        name: storeName,
        type: 'key-value',
        persistent: false,
        changelog: false,
        keySerde: (materialized.keySerde ?? consumed.keySerde ?? internalSerde) as Serde<unknown>,
        valueSerde: (materialized.valueSerde ?? consumed.valueSerde ?? internalSerde) as Serde<unknown>,
        generatedName: materialized.storeName === undefined,
      },
      sourceName,
      topic,
      processorName,
    );
    return { queryableStoreName: storeName };
  }

  /**
   * A global table filled with rows the service provides instead of a topic —
   * an array, a generator, or a function returning (a promise of) rows, e.g.
   * read from a file or a database at start. Every instance loads it before
   * processing; join streams to it like any global table. It does not change
   * while running; restart (or use `globalTable(topic)`) to refresh it.
   */
  globalTableFrom<K = string, V = unknown>(
    name: string,
    rows: Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]> | (() => Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]> | Promise<Iterable<readonly [K, V]> | AsyncIterable<readonly [K, V]>>),
    serdes: { readonly keySerde?: Serde<K>; readonly valueSerde?: Serde<V> } = {},
  ): GlobalKTable<K, V> {
    const load = typeof rows === 'function' ? rows : () => rows;
    this.ctx.topology.addStaticGlobalStore(
      {
        name,
        type: 'key-value',
        persistent: false,
        changelog: false,
        keySerde: (serdes.keySerde ?? internalSerde) as Serde<unknown>,
        valueSerde: (serdes.valueSerde ?? internalSerde) as Serde<unknown>,
        generatedName: false,
      },
      load as () => StaticRows | Promise<StaticRows>,
    );
    return { queryableStoreName: name };
  }

  /** Adds a store for Processor API processors (`KStream.process(..., { stores })`). */
  addStateStore(store: StoreDefinition): this {
    this.ctx.topology.addStateStore(store);
    return this;
  }

  /** The topology built so far; stateful operators without names add warnings to `topology.warnings`. */
  build(): Topology {
    return this.ctx.topology;
  }
}
