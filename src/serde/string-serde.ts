import type { Serde } from './serde.js';
import { deserializeError } from './serde-failure.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 strings; invalid UTF-8 is a deserialization error, not silently replaced. */
export function stringSerde(): Serde<string> {
  return {
    name: 'string',
    serialize: (value) => encoder.encode(value),
    deserialize: (bytes) => {
      try {
        return decoder.decode(bytes);
      } catch (e) {
        throw deserializeError('string', 'payload is not valid UTF-8', e);
      }
    },
  };
}
