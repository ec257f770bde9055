import type { Serde } from './serde.js';
import { checkSize, deserializeError, serializeError } from './serde-failure.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/**
 * Checks a parsed value. Return the value (possibly narrowed or normalized) to
 * accept it; throw, or return a string describing the problem, to reject it.
 */
export type JsonValidator<T> = (value: unknown) => T | string;

/** Options of {@link jsonSerde}. */
export interface JsonSerdeOptions<T> {
  /** Runs after parsing; its rejection reason goes to the error handler and dead-letter headers. */
  readonly validate?: JsonValidator<T>;
  /** Payloads larger than this are rejected before parsing. Default 1 MiB. */
  readonly maxBytes?: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

// Such keys are harmless inside JSON.parse's result but pollute prototypes as soon as
// user code spreads or merges the object, so untrusted input carrying them is rejected.
function reviver(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new Error(`forbidden key "${key}"`);
  return value;
}

/**
 * A forbidden key can only appear spelled out or through a `\u` escape, so text
 * with neither skips the reviver, which costs a call per value parsed.
 */
function mayHoldForbiddenKey(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('prototype') || text.includes('\\u');
}

/** JSON through UTF-8, with an optional validator; rejects prototype-polluting keys. */
export function jsonSerde<T = unknown>(options: JsonSerdeOptions<T> = {}): Serde<T> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const validate = options.validate;
  return {
    name: 'json',
    serialize: (value) => {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (e) {
        throw serializeError('json', `value cannot be encoded as JSON (${(e as Error).message})`, e);
      }
      if (text === undefined) throw serializeError('json', `value of type ${typeof value} has no JSON form`);
      return encodeUtf8(text);
    },
    deserialize: (bytes) => {
      checkSize('json', bytes, maxBytes);
      let parsed: unknown;
      try {
        const text = decodeUtf8(bytes);
        parsed = mayHoldForbiddenKey(text) ? JSON.parse(text, reviver) : JSON.parse(text);
      } catch (e) {
        throw deserializeError('json', `payload is not valid JSON (${(e as Error).message})`, e);
      }
      if (validate === undefined) return parsed as T;
      let checked: T | string;
      try {
        checked = validate(parsed);
      } catch (e) {
        throw deserializeError('json', `validation failed: ${(e as Error).message}`, e);
      }
      if (typeof checked === 'string') throw deserializeError('json', `validation failed: ${checked}`);
      return checked;
    },
  };
}
