import { bytesToKey } from '../state/byte-keys.js';
import type { KeyValueStore } from '../state/store-api.js';
import type { Serde } from '../serde/serde.js';
import type { Change } from './change.js';
import { dropUnaggregatable, internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

/** Folds a grouped stream into a table: count, reduce and aggregate are all this. */
export interface AggregateOptions<K, V, VA> {
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  readonly initializer: () => VA;
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA;
  /** Coalesce updates per key until the next commit (Kafka Streams' record cache). */
  readonly caching: boolean;
}

interface Pending<VA> {
  key: unknown;
  oldValue: VA | undefined;
  newValue: VA;
  timestamp: number;
}

export function aggregateProcessor<K, V, VA>(o: AggregateOptions<K, V, VA>): ProcessorSupplier<K, V, K, Change<VA>> {
  return () => {
    let ctx!: InternalProcessorContext<K, Change<VA>>;
    let store!: KeyValueStore<K, VA>;
    const pending = new Map<string, Pending<VA>>();
    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<KeyValueStore<K, VA>>(o.storeName);
      },
      process: (r) => {
        if (dropUnaggregatable(ctx as InternalProcessorContext<unknown, unknown>, r, o.storeName)) return;
        const old = store.get(r.key);
        const next = o.aggregator(r.key, r.value, old === undefined ? o.initializer() : old);
        store.put(r.key, next);
        if (!o.caching) {
          ctx.forward({ key: r.key, value: { newValue: next, oldValue: old }, timestamp: r.timestamp });
          return;
        }
        const k = bytesToKey(o.keySerde.serialize(r.key));
        const p = pending.get(k);
        if (p === undefined) pending.set(k, { key: r.key, oldValue: old, newValue: next, timestamp: r.timestamp });
        else {
          p.newValue = next;
          p.timestamp = Math.max(p.timestamp, r.timestamp);
        }
      },
      flush: () => {
        for (const p of pending.values()) ctx.forward({ key: p.key as K, value: { newValue: p.newValue, oldValue: p.oldValue }, timestamp: p.timestamp });
        pending.clear();
      },
    };
  };
}
