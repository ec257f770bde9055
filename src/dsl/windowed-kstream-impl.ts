import { ConfigError } from '../errors.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import { sessionAggregateProcessor } from '../processors/session-aggregate.js';
import { windowStatsProcessor, type Anomaly, type WindowStatistics } from '../processors/window-stats.js';
import { slidingWindowAggregateProcessor } from '../processors/sliding-window-aggregate.js';
import { windowedAggregateProcessor } from '../processors/windowed-aggregate.js';
import type { Serde } from '../serde/serde.js';
import type { WindowSpec } from '../wasm/window-stats-kernel.js';
import { internalSerde } from './builder-context.js';
import type { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { KStream } from './kstream.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KTable } from './ktable.js';
import { KTableImpl } from './ktable-impl.js';
import type { Materialized } from './options.js';
import type { SessionWindowedKStream } from './session-windowed-kstream.js';
import type { AnomalyOptions, StatsOptions, TimeWindowedKStream } from './time-windowed-kstream.js';
import { SlidingWindows, type TimeWindows, type EmitStrategy, type SessionWindows, type Windowed } from './windows.js';

/** Kafka Streams' default window store retention: one day, or more if the windows need it. */
const DEFAULT_RETENTION_MS = 86_400_000;

/** Records handed to the WASM kernel per call at most. */
const KERNEL_BATCH = 4096;

export class TimeWindowedKStreamImpl<K, V> implements TimeWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly windows: TimeWindows | SlidingWindows,
    private readonly strategy: EmitStrategy,
  ) {}

  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V> {
    if (strategy !== 'onWindowUpdate' && strategy !== 'onWindowClose') {
      throw new ConfigError('RIVULET_CONFIG_INVALID_EMIT_STRATEGY', `TimeWindowedKStream.emitStrategy: expected 'onWindowUpdate' or 'onWindowClose' (got ${JSON.stringify(strategy)})`);
    }
    return new TimeWindowedKStreamImpl(this.grouped, this.windows, strategy);
  }

  /** How suppression judges a window closed: sliding windows include their end (Kafka Streams). */
  private windowing(): { graceMs: number; inclusiveEnd: boolean } {
    return { graceMs: this.windows.graceMs, inclusiveEnd: this.windows instanceof SlidingWindows };
  }

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, n: number) => n + 1, materialized);
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.aggregate<V>(() => undefined as unknown as V, (_k, v, agg) => (agg === undefined ? v : reducer(agg, v)), materialized);
  }

  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized: Materialized<K, VA> = {}): KTable<Windowed<K>, VA> {
    const w = this.windows;
    const ctx = this.grouped.h.ctx;
    const name = ctx.next('KSTREAM-AGGREGATE-');
    const sliding = w instanceof SlidingWindows;
    // A sliding aggregate reads windows back to 2D before a record that may itself be D + grace old.
    const minRetentionMs = sliding ? 3 * w.timeDifferenceMs + w.graceMs + 1 : w.sizeMs + w.graceMs;
    const store = ctx.addStore(
      {
        name: materialized.storeName,
        prefix: 'KSTREAM-AGGREGATE-STATE-STORE-',
        type: 'window',
        keySerde: (materialized.keySerde ?? this.grouped.grouped.keySerde ?? this.grouped.h.keySerde) as Serde<unknown> | undefined,
        valueSerde: materialized.valueSerde as Serde<unknown> | undefined,
        persistent: materialized.persistent,
        changelog: materialized.loggingEnabled,
        retentionMs: Math.max(materialized.retention ?? DEFAULT_RETENTION_MS, minRetentionMs),
        windowSizeMs: sliding ? w.timeDifferenceMs : w.sizeMs,
        timestamped: sliding,
      },
      'TimeWindowedKStream.aggregate',
    );
    const input = this.grouped.input(store.name);
    const caching = materialized.cachingEnabled ?? true;
    const processor = sliding
      ? slidingWindowAggregateProcessor<K, V, VA>({
          storeName: store.name,
          keySerde: store.keySerde as Serde<K>,
          valueSerde: store.valueSerde as Serde<VA>,
          timeDifferenceMs: w.timeDifferenceMs,
          graceMs: w.graceMs,
          initializer,
          aggregator,
          caching,
        })
      : windowedAggregateProcessor<K, V, VA>({
          storeName: store.name,
          keySerde: store.keySerde as Serde<K>,
          windows: { sizeMs: w.sizeMs, advanceMs: w.advanceMs, graceMs: w.graceMs },
          initializer,
          aggregator,
          caching,
        });
    ctx.topology.addProcessor(name, processor as ProcessorSupplier, input.node);
    ctx.topology.addStateStore(store, name);
    const table = new KTableImpl<Windowed<K>, VA>(
      { ctx, node: name, keySerde: internalSerde, valueSerde: materialized.valueSerde as Serde<unknown> | undefined, repartitionRequired: false },
      store.name,
      this.windowing(),
    );
    return this.strategy === 'onWindowClose' ? (table.suppress({ kind: 'untilWindowCloses', buffer: {} }) as KTable<Windowed<K>, VA>) : table;
  }

  private kernelSpec(zscore: boolean): WindowSpec {
    const w = this.windows;
    if (w instanceof SlidingWindows) {
      return { kind: 'sliding', sizeMs: w.timeDifferenceMs, graceMs: w.graceMs, emit: this.strategy === 'onWindowClose' ? 'final' : 'update', zscore };
    }
    return {
      kind: w.advanceMs === w.sizeMs ? 'tumbling' : 'hopping',
      sizeMs: w.sizeMs,
      advanceMs: w.advanceMs,
      graceMs: w.graceMs,
      emit: this.strategy === 'onWindowClose' ? 'final' : 'update',
      zscore,
    };
  }

  private kernelNode(prefix: string, options: StatsOptions, spec: WindowSpec, mode: 'stats' | 'anomalies', valueOf: (value: V) => number, threshold: number): { name: string; store: string } {
    const ctx = this.grouped.h.ctx;
    const name = options.name ?? ctx.next(prefix);
    const store = ctx.addStore(
      {
        name: options.storeName,
        prefix: `${prefix}STATE-STORE-`,
        type: 'window-stats',
        keySerde: (this.grouped.grouped.keySerde ?? this.grouped.h.keySerde) as Serde<unknown> | undefined,
        valueSerde: undefined,
        persistent: options.persistent,
        changelog: options.loggingEnabled,
        kernel: spec,
      },
      `TimeWindowedKStream.${mode}`,
    );
    const input = this.grouped.input(store.name);
    ctx.topology.addProcessor(name, windowStatsProcessor<K, V>({ storeName: store.name, valueOf, mode, threshold, batchSize: KERNEL_BATCH }) as ProcessorSupplier, input.node);
    ctx.topology.addStateStore(store, name);
    return { name, store: store.name };
  }

  stats(valueOf: (value: V) => number, options: StatsOptions = {}): KTable<Windowed<K>, WindowStatistics> {
    const { name, store } = this.kernelNode('KSTREAM-WINDOW-STATS-', options, this.kernelSpec(false), 'stats', valueOf, 0);
    const ctx = this.grouped.h.ctx;
    return new KTableImpl<Windowed<K>, WindowStatistics>({ ctx, node: name, keySerde: internalSerde, valueSerde: undefined, repartitionRequired: false }, undefined, {
      ...this.windowing(),
      kernelStore: store,
    });
  }

  anomalies(valueOf: (value: V) => number, options: AnomalyOptions = {}): KStream<K, Anomaly<V>> {
    const threshold = options.threshold ?? 2;
    if (!(threshold >= 0) || !Number.isFinite(threshold)) {
      throw new ConfigError('RIVULET_CONFIG_INVALID_THRESHOLD', `TimeWindowedKStream.anomalies: threshold must be a finite number >= 0 (got ${threshold})`);
    }
    const { name } = this.kernelNode('KSTREAM-ANOMALIES-', options, { ...this.kernelSpec(true), emit: 'final' }, 'anomalies', valueOf, threshold);
    const h = this.grouped.h;
    return new KStreamImpl<K, Anomaly<V>>({ ctx: h.ctx, node: name, keySerde: this.grouped.grouped.keySerde as Serde<unknown> | undefined ?? h.keySerde, valueSerde: undefined, repartitionRequired: false });
  }
}

export class SessionWindowedKStreamImpl<K, V> implements SessionWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStreamImpl<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, n: number) => n + 1, (_k, a, b) => a + b, materialized);
  }

  reduce(reducer: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<Windowed<K>, V> {
    return this.aggregate<V>(
      () => undefined as unknown as V,
      (_k, v, agg) => (agg === undefined ? v : reducer(agg, v)),
      (_k, a, b) => (a === undefined ? b : b === undefined ? a : reducer(a, b)),
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    const w = this.windows;
    const ctx = this.grouped.h.ctx;
    const name = ctx.next('KSTREAM-SESSION-AGGREGATE-');
    const store = ctx.addStore(
      {
        name: materialized.storeName,
        prefix: 'KSTREAM-SESSION-AGGREGATE-STATE-STORE-',
        type: 'session',
        keySerde: (materialized.keySerde ?? this.grouped.grouped.keySerde ?? this.grouped.h.keySerde) as Serde<unknown> | undefined,
        valueSerde: materialized.valueSerde as Serde<unknown> | undefined,
        persistent: materialized.persistent,
        changelog: materialized.loggingEnabled,
        retentionMs: Math.max(materialized.retention ?? DEFAULT_RETENTION_MS, w.inactivityGapMs + w.graceMs),
      },
      'SessionWindowedKStream.aggregate',
    );
    const input = this.grouped.input(store.name);
    ctx.topology.addProcessor(
      name,
      sessionAggregateProcessor<K, V, VA>({ storeName: store.name, gapMs: w.inactivityGapMs, graceMs: w.graceMs, initializer, aggregator, merger }) as ProcessorSupplier,
      input.node,
    );
    ctx.topology.addStateStore(store, name);
    // A session ending at `end` can still be extended by a record up to `end + gap`, so it is
    // final only once stream time passes end + gap + grace (Kafka Streams suppresses session
    // results with grace + gap too, see its GraphGraceSearchUtil).
    return new KTableImpl<Windowed<K>, VA>({ ctx, node: name, keySerde: internalSerde, valueSerde: materialized.valueSerde as Serde<unknown> | undefined, repartitionRequired: false }, store.name, {
      graceMs: w.graceMs + w.inactivityGapMs,
      inclusiveEnd: true,
    });
  }
}
