import type { Serde } from './serde.js';
import { deserializeError, serializeError } from './serde-failure.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 strings; invalid UTF-8 is a deserialization error, not silently replaced. */
export function stringSerde(): Serde<string> {
  return {
    name: 'string',
    serialize: (value) => {
      const t = typeof value;
      if (t === 'string') return encoder.encode(value);
      if (t === 'number' || t === 'bigint' || t === 'boolean') return encoder.encode(String(value));
      throw serializeError('string', `cannot serialize a value of type ${value === null ? 'null' : t} as a string; give this sink or store a serde such as Serdes.json()`);
    },
    deserialize: (bytes) => {
      try {
        return decoder.decode(bytes);
      } catch (e) {
        throw deserializeError('string', 'payload is not valid UTF-8', e);
      }
    },
  };
}
