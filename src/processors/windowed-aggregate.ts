import type { Windowed } from '../dsl/windows.js';
import type { Serde } from '../serde/serde.js';
import type { WorkingWindowStore } from '../state/working-window-store.js';
import type { Change } from './change.js';
import { dropUnaggregatable, internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';
import { WindowChangeBuffer } from './window-change-buffer.js';

/** Time windows in ms: tumbling when advance == size. */
export interface TimeWindowSpec {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
}

export interface WindowedAggregateOptions<K, V, VA> {
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  readonly windows: TimeWindowSpec;
  readonly initializer: () => VA;
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA;
  readonly caching: boolean;
}

/** Starts of the epoch-aligned windows containing `ts` (Kafka Streams' `TimeWindows.windowsFor`). */
export function windowStartsFor(ts: number, w: TimeWindowSpec): number[] {
  const out: number[] = [];
  let start = Math.max(0, ts - w.sizeMs + w.advanceMs);
  start -= start % w.advanceMs;
  for (; start <= ts; start += w.advanceMs) out.push(start);
  return out;
}

/**
 * Generic windowed aggregation over time windows with JS aggregators (count,
 * reduce, aggregate). Numeric statistics take the WASM path instead
 * (`window-stats.ts`). A record is applied to each window containing it whose
 * end is after `streamTime - grace`; if there is none it is late: dropped and counted.
 */
export function windowedAggregateProcessor<K, V, VA>(o: WindowedAggregateOptions<K, V, VA>): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let ctx!: InternalProcessorContext<Windowed<K>, Change<VA>>;
    let store!: WorkingWindowStore<K, VA>;
    let streamTime = Number.NEGATIVE_INFINITY;
    let changes!: WindowChangeBuffer<K, VA>;
    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<WorkingWindowStore<K, VA>>(o.storeName);
        changes = new WindowChangeBuffer(o.keySerde, o.caching, (r) => ctx.forward(r));
      },
      process: (r) => {
        if (dropUnaggregatable(ctx as InternalProcessorContext<unknown, unknown>, r, o.storeName)) return;
        streamTime = Math.max(streamTime, r.timestamp);
        const closeTime = streamTime - o.windows.graceMs;
        let applied = false;
        for (const start of windowStartsFor(r.timestamp, o.windows)) {
          const end = start + o.windows.sizeMs;
          if (end <= closeTime) continue;
          applied = true;
          const old = store.fetch(r.key, start);
          const next = o.aggregator(r.key, r.value, old === undefined ? o.initializer() : old);
          store.put(r.key, next, start);
          changes.emit(r.key, { start, end }, old, next, r.timestamp);
        }
        if (!applied) {
          ctx.dropRecord('late', r, `${o.storeName}: every window containing timestamp ${r.timestamp} closed (stream time ${streamTime}, grace ${o.windows.graceMs} ms)`);
        }
      },
      flush: () => {
        changes.flush();
        if (Number.isFinite(streamTime)) store.expire(streamTime);
      },
    };
  };
}
