import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';
import type { GroupedChange } from '../serde/grouped-change-serde.js';

/** KTable.filter: a value failing the predicate becomes a deletion downstream (as Kafka Streams). */
export function tableFilterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<V>>;
    const pass = (k: K, v: V | undefined): V | undefined => (v !== undefined && Boolean(predicate(k, v)) === keep ? v : undefined);
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        const newValue = pass(r.key, r.value.newValue);
        const oldValue = pass(r.key, r.value.oldValue);
        if (newValue === undefined && oldValue === undefined) return;
        ctx.forward({ ...r, value: { newValue, oldValue } });
      },
    };
  };
}

/** KTable.mapValues: maps both the new and the old value so retractions stay exact. */
export function tableMapValuesProcessor<K, V, VR>(mapper: (value: V, key: K) => VR): ProcessorSupplier<K, Change<V>, K, Change<VR>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<VR>>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        const { newValue, oldValue } = r.value;
        ctx.forward({
          ...r,
          value: {
            newValue: newValue === undefined ? undefined : mapper(newValue, r.key),
            oldValue: oldValue === undefined ? undefined : mapper(oldValue, r.key),
          },
        });
      },
    };
  };
}

/** KTable.toStream: the new value of each change; deletions become `null` values (tombstones). */
export function toStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => {
    let ctx!: ProcessorContext<K, V | null>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => ctx.forward({ ...r, value: r.value.newValue === undefined ? null : r.value.newValue }),
    };
  };
}

export type { GroupedChange };

export function tableGroupByProcessor<K, V, KR, VR>(selector: (key: K, value: V) => { key: KR; value: VR }): ProcessorSupplier<K, Change<V>, KR, GroupedChange<VR>> {
  return () => {
    let ctx!: ProcessorContext<KR, GroupedChange<VR>>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        if (r.value.oldValue !== undefined) {
          const kv = selector(r.key, r.value.oldValue);
          ctx.forward({ ...r, key: kv.key, value: { op: 'sub', value: kv.value } });
        }
        if (r.value.newValue !== undefined) {
          const kv = selector(r.key, r.value.newValue);
          ctx.forward({ ...r, key: kv.key, value: { op: 'add', value: kv.value } });
        }
      },
    };
  };
}
