import { Decoder, Encoder } from '@msgpack/msgpack';
import type { Serde } from './serde.js';
import { checkSize, deserializeError, serializeError } from './serde-failure.js';

/** Decode limits for untrusted MessagePack input. */
export interface MsgpackSerdeOptions<T> {
  /** Payloads larger than this are rejected before decoding. Default 1 MiB. */
  readonly maxBytes?: number;
  /** Longest string, binary, array and map accepted. Default 65 536. */
  readonly maxLength?: number;
  /** Deepest nesting accepted. Default 64. */
  readonly maxDepth?: number;
  /** As for JSON: return the value to accept it, a string or throw to reject it. */
  readonly validate?: (value: unknown) => T | string;
}

function depthOf(value: unknown, limit: number, depth = 0): number {
  if (depth > limit || value === null || typeof value !== 'object' || value instanceof Uint8Array) return depth;
  let deepest = depth;
  for (const child of Object.values(value as Record<string, unknown>)) {
    deepest = Math.max(deepest, depthOf(child, limit, depth + 1));
    if (deepest > limit) break;
  }
  return deepest;
}

/** MessagePack via @msgpack/msgpack, with length, depth and size limits for untrusted input. */
export function msgpackSerde<T = unknown>(options: MsgpackSerdeOptions<T> = {}): Serde<T> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxLength = options.maxLength ?? 65_536;
  const maxDepth = options.maxDepth ?? 64;
  const encoder = new Encoder();
  const decoder = new Decoder({
    maxStrLength: maxLength,
    maxBinLength: maxLength,
    maxArrayLength: maxLength,
    maxMapLength: maxLength,
    maxExtLength: maxLength,
  });
  return {
    name: 'msgpack',
    serialize: (value) => {
      try {
        return encoder.encode(value);
      } catch (e) {
        throw serializeError('msgpack', `value cannot be encoded (${(e as Error).message})`, e);
      }
    },
    deserialize: (bytes) => {
      checkSize('msgpack', bytes, maxBytes);
      let decoded: unknown;
      try {
        decoded = decoder.decode(bytes);
      } catch (e) {
        throw deserializeError('msgpack', `payload is not valid MessagePack (${(e as Error).message})`, e);
      }
      if (depthOf(decoded, maxDepth) > maxDepth) {
        throw deserializeError('msgpack', `nesting deeper than maxDepth ${maxDepth}`);
      }
      if (options.validate === undefined) return decoded as T;
      const checked = options.validate(decoded);
      if (typeof checked === 'string') throw deserializeError('msgpack', `validation failed: ${checked}`);
      return checked;
    },
  };
}
