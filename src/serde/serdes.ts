import { bytesSerde } from './bytes-serde.js';
import { jsonSerde, type JsonSerdeOptions } from './json-serde.js';
import { msgpackSerde, type MsgpackSerdeOptions } from './msgpack-serde.js';
import type { Serde } from './serde.js';
import { stringSerde } from './string-serde.js';

/**
 * The built-in serdes, named as in Kafka Streams' `Serdes` where one exists.
 *
 * @example
 * b.stream<string, Reading>('readings', { keySerde: Serdes.string(), valueSerde: Serdes.json<Reading>({ validate: isReading }) })
 */
export const Serdes = {
  /** UTF-8 strings. */
  string: (): Serde<string> => stringSerde(),
  /** JSON with an optional validator and a size limit. */
  json: <T = unknown>(options?: JsonSerdeOptions<T>): Serde<T> => jsonSerde<T>(options),
  /** MessagePack with decode limits for untrusted input. */
  msgpack: <T = unknown>(options?: MsgpackSerdeOptions<T>): Serde<T> => msgpackSerde<T>(options),
  /** Bytes as they are. */
  bytes: (): Serde<Uint8Array> => bytesSerde(),
  /** A serde from two functions; throw from `deserialize` to reject a payload. */
  custom: <T>(name: string, serialize: (value: T) => Uint8Array, deserialize: (bytes: Uint8Array) => T): Serde<T> => ({
    name,
    serialize,
    deserialize,
  }),
} as const;
