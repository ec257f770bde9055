import type { Windowed } from '../dsl/windows.js';
import type { KernelStateStore } from '../state/kernel-state-store.js';
import { MAX_KEY_ID, RecordStatus, deriveSpread, type WindowStatsKernel } from '../wasm/window-stats-kernel.js';
import type { Change } from './change.js';
import { KernelError } from '../errors.js';
import { dropUnaggregatable, internal, type InternalProcessorContext, type SourceRecord } from './internal-context.js';
import type { Processor, ProcessorSupplier } from './processor.js';
import type { StreamRecord } from './stream-record.js';

/** The statistics of one window, as `stats()` emits them. */
export interface WindowStatistics {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  /** Sample variance (n - 1), NaN for a single record, as Spark's `variance`. */
  readonly variance: number;
  /** Sample standard deviation, as Spark's `stddev`. */
  readonly stddev: number;
  readonly variancePop: number;
  readonly stddevPop: number;
}

/** A record whose z-score against its window passed the threshold. */
export interface Anomaly<V> {
  readonly value: V;
  readonly zScore: number;
}

export interface WindowStatsOptions<V> {
  readonly storeName: string;
  readonly valueOf: (value: V) => number;
  /** 'stats' emits window statistics; 'anomalies' emits records with |z| > threshold. */
  readonly mode: 'stats' | 'anomalies';
  readonly threshold: number;
  /** Records per kernel call; a polled batch is also flushed at its end. */
  readonly batchSize: number;
}

/** Processors that buffer records and want to hear when the polled batch ends. */
export interface BatchAware {
  onBatchEnd(): void;
}

/**
 * Windowed statistics in the WASM kernel: records are buffered as columns and
 * handed over in one call per batch; results are read from WASM memory.
 */
export function windowStatsProcessor<K, V>(o: WindowStatsOptions<V>): ProcessorSupplier<K, V, Windowed<K> | K, Change<WindowStatistics> | Anomaly<V>> {
  return () => {
    let ctx!: InternalProcessorContext<Windowed<K> | K, Change<WindowStatistics> | Anomaly<V>>;
    let store!: KernelStateStore<K>;
    let kernel!: WindowStatsKernel;
    const records: StreamRecord<K, V>[] = [];
    const ids: number[] = [];
    const values: number[] = [];
    // The input record behind each buffered one: late or invalid verdicts come at batch end,
    // when the task is no longer processing that record.
    const sources: (SourceRecord | undefined)[] = [];

    const ingest = (): void => {
      const n = records.length;
      if (n === 0) return;
      const t0 = performance.now();
      const cols = kernel.batch(n);
      for (let i = 0; i < n; i++) {
        cols.keys[i] = ids[i] as number;
        cols.timestamps[i] = (records[i] as StreamRecord<K, V>).timestamp;
        cols.values[i] = values[i] as number;
      }
      const out = kernel.ingest(n);
      ctx.recordKernelTime(performance.now() - t0);
      store.touch();
      for (let i = 0; i < n; i++) {
        const status = out.statuses[i];
        const r = records[i] as StreamRecord<K, V>;
        const src = sources[i];
        if (status === RecordStatus.LATE) ctx.dropRecord('late', r, `${o.storeName}: every window containing timestamp ${r.timestamp} closed (stream time ${kernel.streamTime}, grace ${kernel.spec.graceMs} ms)`, src);
        else if (status === RecordStatus.INVALID_VALUE) ctx.rejectRecord(invalid('RIVULET_KERNEL_INVALID_VALUE', `${o.storeName}: value ${values[i]} is not a finite number`), src);
        else if (status === RecordStatus.INVALID_TIMESTAMP) ctx.rejectRecord(invalid('RIVULET_KERNEL_INVALID_TIMESTAMP', `${o.storeName}: timestamp ${r.timestamp} is not a valid time`), src);
        else if (status === RecordStatus.INVALID_KEY) ctx.rejectRecord(invalid('RIVULET_KERNEL_TOO_MANY_KEYS', `${o.storeName}: more than ${MAX_KEY_ID + 1} distinct keys in one task; add partitions so fewer keys share a task`), src);
        else if (o.mode === 'anomalies' && out.zScores !== undefined) {
          const z = out.zScores[i] as number;
          if (Math.abs(z) > o.threshold) ctx.forward({ key: r.key, value: { value: r.value, zScore: z }, timestamp: r.timestamp });
        }
      }
      records.length = 0;
      ids.length = 0;
      values.length = 0;
      sources.length = 0;
    };

    const emitWindows = (): void => {
      if (o.mode !== 'stats') {
        kernel.drain();
        return;
      }
      const t0 = performance.now();
      const rows = kernel.drain();
      const n = rows.length;
      const emitted: StreamRecord<Windowed<K>, Change<WindowStatistics>>[] = [];
      for (let i = 0; i < n; i++) {
        const count = rows.count(i);
        const m2 = rows.m2(i);
        const spread = deriveSpread({ count, m2 });
        const end = rows.end(i);
        emitted.push({
          key: { key: store.keyOf(rows.key(i)), window: { start: rows.start(i), end } },
          value: {
            newValue: {
              count,
              sum: rows.sum(i),
              mean: rows.mean(i),
              min: rows.min(i),
              max: rows.max(i),
              variance: spread.varianceSample,
              stddev: spread.stddevSample,
              variancePop: spread.variancePop,
              stddevPop: spread.stddevPop,
            },
            oldValue: undefined,
          },
          // Results carry the last instant inside their window (sliding ends are inclusive).
          timestamp: kernel.spec.kind === 'sliding' ? end : end - 1,
        });
      }
      ctx.recordKernelTime(performance.now() - t0);
      for (const e of emitted) ctx.forward(e);
    };

    const processor: Processor<K, V, Windowed<K> | K, Change<WindowStatistics> | Anomaly<V>> & BatchAware = {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<KernelStateStore<K>>(o.storeName);
        kernel = store.kernel;
      },
      process: (r) => {
        if (dropUnaggregatable(ctx, r, o.storeName)) return;
        let v: unknown;
        try {
          v = o.valueOf(r.value as V);
        } catch (e) {
          ctx.rejectRecord(new KernelError('RIVULET_KERNEL_INVALID_VALUE', `${o.storeName}: the value extractor threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
          return;
        }
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          ctx.rejectRecord(invalid('RIVULET_KERNEL_INVALID_VALUE', `${o.storeName}: the value extractor returned ${describe(v)}; stats() needs a finite number`));
          return;
        }
        records.push(r);
        ids.push(store.intern(r.key as K));
        values.push(v);
        sources.push(ctx.sourceRecord());
        if (records.length >= o.batchSize) ingest();
      },
      // Windows are emitted at commit (flush), which coalesces updates like Kafka Streams' cache.
      onBatchEnd: ingest,
      flush: () => {
        ingest();
        emitWindows();
      },
    };
    return processor;
  };
}

function invalid(code: string, message: string): KernelError {
  return new KernelError(code, message);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return String(v);
  return v === null ? 'null' : typeof v;
}
