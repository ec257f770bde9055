import type { KeyValueStore } from '../state/store-api.js';
import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Which rows a table–table join produces a result for. */
export type TableJoinMode = 'inner' | 'left' | 'outer';

export interface TableTableJoinOptions<K, VL, VR, VJ> {
  /** This side's updates arrive here; the other side's rows are looked up in `otherStore`. */
  readonly side: 'left' | 'right';
  readonly otherStore: string;
  readonly mode: TableJoinMode;
  readonly joiner: (left: VL | undefined, right: VR | undefined, key: K) => VJ;
}

/**
 * One side of a table–table join (Kafka Streams' `KTableKTableJoin`): an update
 * of a row recomputes the joined row for its key from the other table's current
 * row and forwards the change, so downstream aggregations can retract the old
 * joined value. A key that joins to nothing before and after emits nothing.
 */
export function tableTableJoinProcessor<K, VL, VR, VJ>(o: TableTableJoinOptions<K, VL, VR, VJ>): ProcessorSupplier<K, Change<VL | VR>, K, Change<VJ>> {
  const joins = (l: VL | undefined, r: VR | undefined): boolean =>
    o.mode === 'inner' ? l !== undefined && r !== undefined : o.mode === 'left' ? l !== undefined : l !== undefined || r !== undefined;
  return () => {
    let ctx!: ProcessorContext<K, Change<VJ>>;
    let other!: KeyValueStore<K, VL | VR>;
    const joined = (mine: VL | VR | undefined, theirs: VL | VR | undefined, key: K): VJ | undefined => {
      const [l, r] = (o.side === 'left' ? [mine, theirs] : [theirs, mine]) as [VL | undefined, VR | undefined];
      return joins(l, r) ? o.joiner(l, r, key) : undefined;
    };
    return {
      init: (c) => {
        ctx = c;
        other = c.getStateStore<KeyValueStore<K, VL | VR>>(o.otherStore);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        const theirs = other.get(r.key);
        const newValue = joined(r.value.newValue, theirs, r.key);
        const oldValue = joined(r.value.oldValue, theirs, r.key);
        if (newValue === undefined && oldValue === undefined) return;
        ctx.forward({ ...r, value: { newValue, oldValue } });
      },
    };
  };
}
