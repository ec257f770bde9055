import { SerdeError } from '../errors.js';
import type { Serde } from './serde.js';

/** Two byte strings as one: `u32 length of the first | first | second`. */
export function joinPair(first: Uint8Array, second: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + first.length + second.length);
  new DataView(out.buffer).setUint32(0, first.length);
  out.set(first, 4);
  out.set(second, 4 + first.length);
  return out;
}

/** The inverse of {@link joinPair}; `what` names the format in errors. */
export function splitPair(bytes: Uint8Array, what: string): [Uint8Array, Uint8Array] {
  if (bytes.length < 4) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `${what}: ${bytes.length} bytes is shorter than the 4-byte length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + n > bytes.length) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `${what}: length ${n} runs past the ${bytes.length}-byte record`);
  return [bytes.subarray(4, 4 + n), bytes.subarray(4 + n)];
}

/**
 * A record's key and value carried together as one value (through a
 * repartition topic keyed by something else), each through its own serde.
 */
export function keyValueSerde<K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Serde<{ key: K; value: V }> {
  return {
    name: `key-value(${keySerde.name}, ${valueSerde.name})`,
    serialize: ({ key, value }) => joinPair(keySerde.serialize(key), valueSerde.serialize(value)),
    deserialize(bytes) {
      const [k, v] = splitPair(bytes, 'key-value');
      return { key: keySerde.deserialize(k), value: valueSerde.deserialize(v) };
    },
  };
}
