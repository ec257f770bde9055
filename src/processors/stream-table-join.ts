import type { KeyValueStore } from '../state/store-api.js';
import { internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

export interface StreamTableJoinOptions<K, V, VT, VR> {
  readonly storeName: string;
  readonly joiner: (value: V, tableValue: VT | undefined, key: K) => VR;
  /** Left join: a record without a table row still joins, with `undefined`. */
  readonly left: boolean;
}

/**
 * Stream–table join (Kafka Streams' `KStreamKTableJoin`): each stream record
 * looks up the table's current row for its key; table updates emit nothing.
 * A record without a key cannot look anything up and is dropped and counted.
 */
export function streamTableJoinProcessor<K, V, VT, VR>(o: StreamTableJoinOptions<K, V, VT, VR>): ProcessorSupplier<K, V, K, VR> {
  return () => {
    let ctx!: InternalProcessorContext<K, VR>;
    let table!: KeyValueStore<K, VT>;
    return {
      init: (c) => {
        ctx = internal(c);
        table = c.getStateStore<KeyValueStore<K, VT>>(o.storeName);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) {
          ctx.dropRecord('null-key', r, `join with table "${o.storeName}": records need a key to look up`);
          return;
        }
        const row = table.get(r.key);
        if (row === undefined && !o.left) return;
        ctx.forward({ ...r, value: o.joiner(r.value, row, r.key) });
      },
    };
  };
}
