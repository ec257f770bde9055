import type { Windowed } from '../dsl/windows.js';
import type { WorkingSessionStore } from '../state/working-session-store.js';
import type { Change } from './change.js';
import { internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

export interface SessionAggregateOptions<K, V, VA> {
  readonly storeName: string;
  readonly gapMs: number;
  readonly graceMs: number;
  readonly initializer: () => VA;
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA;
  readonly merger: (key: K, left: VA, right: VA) => VA;
}

/**
 * Session windows (Kafka Streams' `KStreamSessionWindowAggregate`): a record
 * joins every session of its key within `gap` of it; they merge into one session
 * `[min start, max end]` (both inclusive). Merged-away sessions are retracted
 * downstream (`newValue: undefined`). A record whose merged session would end
 * before `streamTime - grace` is late.
 */
export function sessionAggregateProcessor<K, V, VA>(o: SessionAggregateOptions<K, V, VA>): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  return () => {
    let ctx!: InternalProcessorContext<Windowed<K>, Change<VA>>;
    let store!: WorkingSessionStore<K, VA>;
    let streamTime = Number.NEGATIVE_INFINITY;
    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<WorkingSessionStore<K, VA>>(o.storeName);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) {
          ctx.dropRecord('null-key', r, `${o.storeName}: records with a null key cannot be aggregated`);
          return;
        }
        const ts = r.timestamp;
        streamTime = Math.max(streamTime, ts);
        const closeTime = streamTime - o.graceMs;
        const overlapping = store.findSessions(r.key, ts - o.gapMs, ts + o.gapMs);
        let start = ts;
        let end = ts;
        let agg = o.initializer();
        for (const s of overlapping) {
          start = Math.min(start, s.start);
          end = Math.max(end, s.end);
          agg = o.merger(r.key, agg, s.value);
        }
        if (end < closeTime) {
          ctx.dropRecord('late', r, `${o.storeName}: session ending at ${end} closed (stream time ${streamTime}, grace ${o.graceMs} ms)`);
          return;
        }
        for (const s of overlapping) {
          store.remove(r.key, s.start, s.end);
          if (s.start !== start || s.end !== end) {
            ctx.forward({ key: { key: r.key, window: { start: s.start, end: s.end } }, value: { newValue: undefined, oldValue: s.value }, timestamp: ts });
          }
        }
        const old = overlapping.find((s) => s.start === start && s.end === end)?.value;
        agg = o.aggregator(r.key, r.value, agg);
        store.put(r.key, start, end, agg);
        ctx.forward({ key: { key: r.key, window: { start, end } }, value: { newValue: agg, oldValue: old }, timestamp: ts });
      },
      flush: () => {
        if (Number.isFinite(streamTime)) store.expire(streamTime);
      },
    };
  };
}
