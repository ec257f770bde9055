import type { Serde } from './serde.js';
import { deserializeError, serializeError } from './serde-failure.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';


const utf8Serdes = new WeakSet<Serde<unknown>>();

/**
 * Whether `serde` is a {@link stringSerde}: its bytes are the UTF-8 of a
 * string key, so distinct strings have distinct bytes and a store may use the
 * string itself as the key's identity.
 */
export function isStringSerde(serde: Serde<unknown>): boolean {
  return utf8Serdes.has(serde);
}

/** UTF-8 strings; invalid UTF-8 is a deserialization error, not silently replaced. */
export function stringSerde(): Serde<string> {
  const serde: Serde<string> = {
    name: 'string',
    serialize: (value) => {
      const t = typeof value;
      if (t === 'string') return encodeUtf8(value as string);
      if (t === 'number' || t === 'bigint' || t === 'boolean') return encodeUtf8(String(value));
      throw serializeError('string', `cannot serialize a value of type ${value === null ? 'null' : t} as a string; give this sink or store a serde such as Serdes.json()`);
    },
    deserialize: (bytes) => {
      try {
        return decodeUtf8(bytes);
      } catch (e) {
        throw deserializeError('string', 'payload is not valid UTF-8', e);
      }
    },
  };
  utf8Serdes.add(serde as Serde<unknown>);
  return serde;
}
