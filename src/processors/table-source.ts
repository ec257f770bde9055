import type { KeyValueStore } from '../state/store-api.js';
import type { Change } from './change.js';
import { internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

/** Materializes a topic as a table: a null value deletes the key. Emits each change. */
export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => {
    let ctx!: InternalProcessorContext<K, Change<V>>;
    let store!: KeyValueStore<K, V>;
    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<KeyValueStore<K, V>>(storeName);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) {
          ctx.dropRecord('null-key', r, `${storeName}: table records need a key`);
          return;
        }
        const old = store.get(r.key);
        if (r.value === null || r.value === undefined) {
          if (old === undefined) return;
          store.delete(r.key);
          ctx.forward({ key: r.key, value: { newValue: undefined, oldValue: old }, timestamp: r.timestamp });
          return;
        }
        store.put(r.key, r.value);
        ctx.forward({ key: r.key, value: { newValue: r.value, oldValue: old }, timestamp: r.timestamp });
      },
    };
  };
}

/** Keeps a derived table's rows in a store (for joins and queries); forwards each change unchanged. */
export function tableMaterializeProcessor<K, V>(storeName: string): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let ctx!: InternalProcessorContext<K, Change<V>>;
    let store!: KeyValueStore<K, V>;
    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<KeyValueStore<K, V>>(storeName);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        if (r.value.newValue === undefined) store.delete(r.key);
        else store.put(r.key, r.value.newValue);
        ctx.forward(r);
      },
    };
  };
}
