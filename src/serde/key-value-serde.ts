import { SerdeError } from '../errors.js';
import type { Serde } from './serde.js';

/**
 * A record's key and value carried together as one value (through a
 * repartition topic keyed by something else): `u32 key length | key | value`,
 * each through its own serde.
 */
export function keyValueSerde<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Serde<{ key: K; value: V }> {
  return {
    name: `key-value(${keySerde.name}, ${valueSerde.name})`,
    serialize({ key, value }) {
      const k = keySerde.serialize(key);
      const v = valueSerde.serialize(value);
      const out = new Uint8Array(4 + k.length + v.length);
      new DataView(out.buffer).setUint32(0, k.length);
      out.set(k, 4);
      out.set(v, 4 + k.length);
      return out;
    },
    deserialize(bytes) {
      if (bytes.length < 4) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `key-value: ${bytes.length} bytes is shorter than the 4-byte key length`);
      const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
      if (4 + n > bytes.length) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `key-value: key length ${n} runs past the ${bytes.length}-byte record`);
      return { key: keySerde.deserialize(bytes.subarray(4, 4 + n)), value: valueSerde.deserialize(bytes.subarray(4 + n)) };
    },
  };
}
