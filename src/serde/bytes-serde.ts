import type { Serde } from './serde.js';

/** Raw bytes, passed through without copying. */
export function bytesSerde(): Serde<Uint8Array> {
  return { name: 'bytes', serialize: (value) => value, deserialize: (bytes) => bytes };
}
