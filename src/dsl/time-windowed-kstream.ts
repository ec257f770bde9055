import type { Anomaly, WindowStatistics } from '../processors/window-stats.js';
import type { KStream } from './kstream.js';
import type { KTable } from './ktable.js';
import type { Materialized, Named } from './options.js';
import type { EmitStrategy, Windowed } from './windows.js';

/** Options of the WASM-backed numeric operators. */
export interface StatsOptions extends Named {
  /** Store name (also the changelog topic's middle part). */
  readonly storeName?: string;
  readonly persistent?: boolean;
  readonly loggingEnabled?: boolean;
}

/** Options of `anomalies`. */
export interface AnomalyOptions extends StatsOptions {
  /** Records with |z| above this are emitted. Default 2 (seed 004's threshold_sigma). */
  readonly threshold?: number;
}

/** A grouped stream over time or sliding windows (Kafka Streams' `TimeWindowedKStream`). */
export interface TimeWindowedKStream<K, V> {
  count(materialized?: Materialized<K, number>): KTable<Windowed<K>, number>;
  reduce(reducer: (aggregate: V, value: V) => V, materialized?: Materialized<K, V>): KTable<Windowed<K>, V>;
  aggregate<VA>(initializer: () => VA, aggregator: (key: K, value: V, aggregate: VA) => VA, materialized?: Materialized<K, VA>): KTable<Windowed<K>, VA>;
  /**
   * count, sum, mean, min, max, variance and stddev of `valueOf(value)` per
   * window, computed in the WASM kernel one batch at a time. Records whose value
   * is not a finite number are dropped and counted (`invalid-value`).
   */
  stats(valueOf: (value: V) => number, options?: StatsOptions): KTable<Windowed<K>, WindowStatistics>;
  /** Records whose z-score against their newest window exceeds the threshold. */
  anomalies(valueOf: (value: V) => number, options?: AnomalyOptions): KStream<K, Anomaly<V>>;
  /** Emit on every update (default) or once per window when it closes. */
  emitStrategy(strategy: EmitStrategy): TimeWindowedKStream<K, V>;
}
