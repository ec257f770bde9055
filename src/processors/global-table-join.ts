import type { KeyValueStore } from '../state/store-api.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

export interface GlobalTableJoinOptions<K, V, GK, GV, VR> {
  readonly storeName: string;
  readonly keySelector: (key: K, value: V) => GK;
  readonly joiner: (value: V, globalValue: GV | undefined, key: K) => VR;
  /** Left join: a record without a match still joins, with `undefined`. */
  readonly left: boolean;
}

/**
 * Stream–global table join: looks up the table's current value under the key the
 * selector computes. Only stream records trigger output; table updates do not
 * (Kafka Streams' `KStreamGlobalKTableJoin`). A selector returning null or
 * undefined finds no match.
 */
export function globalTableJoinProcessor<K, V, GK, GV, VR>(o: GlobalTableJoinOptions<K, V, GK, GV, VR>): ProcessorSupplier<K, V, K, VR> {
  return () => {
    let ctx!: ProcessorContext<K, VR>;
    let table!: KeyValueStore<GK, GV>;
    return {
      init: (c) => {
        ctx = c;
        table = c.getStateStore<KeyValueStore<GK, GV>>(o.storeName);
      },
      process: (r) => {
        const lookup = o.keySelector(r.key, r.value);
        const match = lookup === null || lookup === undefined ? undefined : table.get(lookup);
        if (match === undefined && !o.left) return;
        ctx.forward({ ...r, value: o.joiner(r.value, match, r.key) });
      },
    };
  };
}
