import type { WorkingWindowStore } from '../state/working-window-store.js';
import { internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

export interface DedupeOptions {
  readonly storeName: string;
  readonly withinMs: number;
}

/**
 * Drops a record whose key was already seen at a timestamp within `within` of its
 * own (Spark's `dropDuplicatesWithinWatermark`, by event time). The first
 * sighting passes; duplicates are counted as `dropped.duplicate`. Sightings are
 * kept in a window store keyed by (key, timestamp), so restarts keep deduplicating.
 */
export function dedupeProcessor<K, V>(o: DedupeOptions): ProcessorSupplier<K, V, K, V> {
  return () => {
    let ctx!: InternalProcessorContext<K, V>;
    let seen!: WorkingWindowStore<K, number>;
    return {
      init: (c) => {
        ctx = internal(c);
        seen = c.getStateStore(o.storeName);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) {
          ctx.dropRecord('null-key', r, `${o.storeName}: deduplication needs a key`);
          return;
        }
        if (seen.fetchRange(r.key, r.timestamp - o.withinMs, r.timestamp + o.withinMs).length > 0) {
          ctx.dropRecord('duplicate', r, `${o.storeName}: already seen within ${o.withinMs} ms of ${r.timestamp}`);
          return;
        }
        seen.put(r.key, r.timestamp, r.timestamp);
        ctx.forward(r);
      },
      flush: () => {
        const st = ctx.currentStreamTimeMs();
        if (Number.isFinite(st)) seen.expire(st);
      },
    };
  };
}
