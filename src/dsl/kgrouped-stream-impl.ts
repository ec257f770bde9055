import { ConfigError } from '../errors.js';
import { aggregateProcessor } from '../processors/aggregate.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import type { Serde } from '../serde/serde.js';
import { internalSerde, type StreamHandle } from './builder-context.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import type { KTable } from './ktable.js';
import { KTableImpl } from './ktable-impl.js';
import type { Grouped, Materialized } from './options.js';
import { repartitionIfRequired } from './repartition.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import type { TimeWindowedKStream } from './time-windowed-kstream.js';
import { SessionWindowedKStreamImpl, TimeWindowedKStreamImpl } from './windowed-kstream-impl.js';
import { SessionWindows, SlidingWindows, TimeWindows } from './windows.js';

export class KGroupedStreamImpl<K, V> implements KGroupedStream<K, V> {
  constructor(
    readonly h: StreamHandle,
    readonly grouped: Grouped<K, V>,
  ) {}

  /** The repartitioned stream when `Grouped.name` names it: every aggregation of this grouping reads it. */
  private namedInput: StreamHandle | undefined;

  /**
   * The stream to aggregate: repartitioned first if its key changed. As in Kafka
   * Streams, a user-named repartition topic is created once and shared by all
   * aggregations of this grouping; unnamed ones get a topic per aggregation.
   */
  input(storeOrOperatorName: string): StreamHandle {
    if (this.namedInput !== undefined) return this.namedInput;
    const h = repartitionIfRequired(
      this.h,
      this.grouped.name ?? storeOrOperatorName,
      (this.grouped.keySerde ?? this.h.keySerde) as Serde<unknown> | undefined,
      (this.grouped.valueSerde ?? this.h.valueSerde) as Serde<unknown> | undefined,
    );
    if (this.grouped.name !== undefined) this.namedInput = h;
    return h;
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, n: number) => n + 1, materialized);
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    // The first value initializes the aggregate; `undefined` marks "no value yet".
    return this.aggregate<V>(() => undefined as unknown as V, (_k, v, agg) => (agg === undefined ? v : reducer(agg, v)), materialized);
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<K, VA> {
    const ctx = this.h.ctx;
    const name = ctx.next('KSTREAM-AGGREGATE-');
    const store = ctx.addStore(
      {
        name: materialized.storeName,
        prefix: 'KSTREAM-AGGREGATE-STATE-STORE-',
        type: 'key-value',
        keySerde: (materialized.keySerde ?? this.grouped.keySerde ?? this.h.keySerde) as Serde<unknown> | undefined,
        valueSerde: materialized.valueSerde as Serde<unknown> | undefined,
        persistent: materialized.persistent,
        changelog: materialized.loggingEnabled,
      },
      'KGroupedStream.aggregate',
    );
    const input = this.input(store.name);
    ctx.topology.addProcessor(
      name,
      aggregateProcessor<K, V, VA>({
        storeName: store.name,
        keySerde: store.keySerde as Serde<K>,
        initializer,
        aggregator,
        caching: materialized.cachingEnabled ?? true,
      }) as ProcessorSupplier,
      input.node,
    );
    ctx.topology.addStateStore(store, name);
    // Downstream sinks get the serdes the application gave; stores keep their internal defaults.
    const keySerde = (materialized.keySerde ?? this.grouped.keySerde ?? this.h.keySerde) as Serde<unknown> | undefined;
    return new KTableImpl<K, VA>({ ctx, node: name, keySerde, valueSerde: materialized.valueSerde as Serde<unknown> | undefined, repartitionRequired: false }, store.name, undefined);
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof TimeWindows || windows instanceof SlidingWindows) return new TimeWindowedKStreamImpl<K, V>(this, windows, 'onWindowUpdate');
    if (windows instanceof SessionWindows) return new SessionWindowedKStreamImpl<K, V>(this, windows);
    throw new ConfigError('RIVULET_CONFIG_INVALID_WINDOW', `KGroupedStream.windowedBy: expected TimeWindows, SlidingWindows or SessionWindows (got ${String(windows)})`);
  }
}

export { internalSerde };
