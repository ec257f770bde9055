import { StateError } from '../errors.js';
import { StateErrorCode } from './state-error-codes.js';

// Argument checks shared by the contracts' public methods. Messages follow the
// project shape `<api>: <what> must <rule> (got <value>)[; <remedy>]`.

/** `string`, `null`, `Array`, `ArrayBuffer`, `number 1.5` — what a caller passed, for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object': {
      const ctor = (value as { constructor?: { name?: unknown } }).constructor;
      return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
    }
    default:
      return typeof value;
  }
}

/** A {@link StateErrorCode.INVALID_ARGUMENT} error in the project's message shape. */
export function invalidArgument(api: string, what: string, rule: string, got: string, remedy?: string): StateError {
  const tail = remedy === undefined ? '' : `; ${remedy}`;
  return new StateError(StateErrorCode.INVALID_ARGUMENT, `${api}: ${what} must ${rule} (got ${got})${tail}`);
}

/** Throws unless `value` is a Uint8Array (Node Buffers are Uint8Arrays and pass). */
export function requireBytes(api: string, what: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw invalidArgument(api, what, 'be a Uint8Array', describeValue(value));
}

/** Throws unless `value` is null or a Uint8Array. */
export function requireBytesOrNull(api: string, what: string, value: unknown): asserts value is Uint8Array | null {
  if (value !== null && !(value instanceof Uint8Array)) {
    throw invalidArgument(api, what, 'be a Uint8Array or null', describeValue(value));
  }
}

// Store names become directory names and the middle of a changelog topic name
// (`<applicationId>-<store>-changelog`), so they must be legal Kafka topic
// characters; 200 leaves room for the prefix and suffix within Kafka's 249.
const STORE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/** Throws unless `name` is usable as a directory and as part of a Kafka topic name. */
export function requireStoreName(api: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !STORE_NAME.test(name) || name === '.' || name === '..') {
    throw invalidArgument(
      api,
      'store name',
      'be 1-200 characters of [A-Za-z0-9._-], not "." or ".."',
      typeof name === 'string' ? JSON.stringify(name) : describeValue(name),
      'it names a directory and a changelog topic',
    );
  }
}
