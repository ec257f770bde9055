import type { Serde } from '../serde/serde.js';
import { BuilderContext } from './builder-context.js';
import type { KStream } from './kstream.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KTable } from './ktable.js';
import type { Consumed, Materialized } from './options.js';
import type { Topology } from '../topology/topology.js';
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
