import type { Serde } from './serde.js';
import { deserializeError } from './serde-failure.js';

/**
 * An addition or a retraction of a value when a KTable is re-grouped: the old
 * value leaves its former group (`sub`), the new one joins its group (`add`).
 */
export interface GroupedChange<V> {
  readonly op: 'add' | 'sub';
  readonly value: V;
}

const ADD = 1;
const SUB = 0;

/** `[op byte][value bytes]`: how KTable re-grouping sends additions and retractions through its repartition topic. */
export function groupedChangeSerde<V>(inner: Serde<V>): Serde<GroupedChange<V>> {
  return {
    name: `grouped-change(${inner.name})`,
    serialize: (c) => {
      const v = inner.serialize(c.value);
      const out = new Uint8Array(v.length + 1);
      out[0] = c.op === 'add' ? ADD : SUB;
      out.set(v, 1);
      return out;
    },
    deserialize: (bytes) => {
      const op = bytes[0];
      if (op !== ADD && op !== SUB) throw deserializeError('groupedChange', `first byte must be 0 or 1 (got ${String(op)})`);
      return { op: op === ADD ? 'add' : 'sub', value: inner.deserialize(bytes.subarray(1)) };
    },
  };
}
