/**
 * Maps kafkajs failures onto {@link TransportErrorCode}s. kafkajs wraps the
 * broker's error in retry and aggregate errors, so the mapping walks the chain
 * (`originalError`, `cause`, `errors`, `partitions[].error`) for the first Kafka
 * error type it knows; the kafkajs error is kept as `cause`.
 * @module
 */
import type { TransportError } from '../../errors.js';
import { KAFKA_ERROR_CODES, saslRefused, tlsFailure } from '../connection-errors.js';
import { TransportErrorCode, type TransportErrorCodeValue, transportError } from '../transport-error-codes.js';

/** Kafka protocol error types (kafkajs `KafkaJSProtocolError.type`) and what they mean to rivulet. */
const BY_TYPE = KAFKA_ERROR_CODES;

/** Codes kafkajs 2.2 does not know by name (it reports them as `KAFKAJS_UNKNOWN_ERROR`). */
const BY_CODE: Readonly<Record<number, TransportErrorCodeValue>> = {
  90: TransportErrorCode.FENCED, // PRODUCER_FENCED (Kafka 2.7+)
  87: TransportErrorCode.INVALID_RECORD,
};

const CONNECTION_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSBrokerNotFound',
]);

/**
 * A SASL failure raised by rivulet inside kafkajs's authentication (the
 * OAUTHBEARER authenticator), which {@link toTransportError} turns into
 * AUTHENTICATION_FAILED, retriable when `transient`.
 */
export class AuthenticationFailure extends Error {
  override readonly name = 'AuthenticationFailure';
  /** Read by kafkajs: never retried on the same connection, whose SASL exchange is spent (the broker answers ILLEGAL_SASL_STATE). */
  readonly retriable = false;
  constructor(
    message: string,
    /** Whether a new connection may succeed (an identity provider briefly down). */
    readonly transient: boolean,
    /**
     * What the token provider threw. Not `cause`: kafkajs's retries keep only
     * `cause ?? error`, which would drop this error from the chain.
     */
    readonly providerError?: unknown,
  ) {
    super(message);
  }
}

interface KafkaJsLike {
  readonly name?: string;
  readonly type?: string;
  readonly code?: number | string;
  readonly message?: string;
  readonly retriable?: boolean;
  readonly originalError?: unknown;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
  readonly partitions?: readonly { readonly error?: unknown }[];
}

/** Every error in kafkajs's wrapping chain, outermost first (bounded, cycle-safe). */
function chain(e: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = [];
  const queue: unknown[] = [e];
  const seen = new Set<unknown>();
  while (queue.length > 0 && out.length < 32) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const err = next as KafkaJsLike;
    out.push(err);
    queue.push(err.originalError, err.cause, ...(err.errors ?? []), ...(err.partitions ?? []).map((p) => p?.error));
  }
  return out;
}

/** The rivulet code for a kafkajs error, if some error in its chain has one. */
export function kafkaCodeOf(e: unknown): TransportErrorCodeValue | undefined {
  for (const err of chain(e)) {
    const byType = err.type === undefined ? undefined : BY_TYPE[err.type];
    if (byType !== undefined) return byType;
    const byCode = typeof err.code === 'number' ? BY_CODE[err.code] : undefined;
    if (byCode !== undefined) return byCode;
  }
  return undefined;
}

/** The Kafka error type names found in the chain (for messages and tests). */
export function kafkaTypesOf(e: unknown): string[] {
  return chain(e)
    .map((err) => err.type)
    .filter((t): t is string => typeof t === 'string');
}

/**
 * Wraps a kafkajs failure of `api` in a {@link TransportError}. A failure that
 * maps to no code keeps `fallback` and is retriable when kafkajs says so
 * (connection drops, timeouts), so the runtime may retry the same call.
 */
export function toTransportError(api: string, e: unknown, fallback: TransportErrorCodeValue = TransportErrorCode.ILLEGAL_STATE): TransportError {
  if (isTransportError(e)) return e;
  const code = kafkaCodeOf(e);
  const outer = chain(e)[0];
  const detail = outer?.message ?? String(e);
  const types = kafkaTypesOf(e);
  const message = `${api}: Kafka ${types.length > 0 ? `${types[0]}: ` : ''}${detail}`;
  if (code !== undefined) return transportError(code, message, { cause: e });
  const security = securityFailure(api, e);
  if (security !== undefined) return security;
  // No transport code means "broker unreachable": the closest is NOT_CONNECTED, retriable.
  const unreachable = chain(e).some((err) => CONNECTION_ERRORS.has(err.name ?? ''));
  if (unreachable) return transportError(TransportErrorCode.NOT_CONNECTED, message, { cause: e, retriable: true });
  return transportError(fallback, message, { cause: e, retriable: chain(e).some((err) => err.retriable === true) });
}

/**
 * An authentication or TLS failure, which kafkajs reports as a SASL error or as
 * a connection error carrying Node's TLS code: named for what it is, with what
 * to check, and not retriable (the same credentials and CAs fail again). The
 * message is kafkajs's and Node's, neither of which contains credentials.
 */
function securityFailure(api: string, e: unknown): TransportError | undefined {
  const errors = chain(e);
  // rivulet's own OAUTHBEARER authenticator failed (kafkajs-security.ts), perhaps wrapped by kafkajs's retries.
  const own = errors.find((err): err is AuthenticationFailure => err instanceof AuthenticationFailure);
  if (own !== undefined) return transportError(TransportErrorCode.AUTHENTICATION_FAILED, `${api}: ${own.message}`, { cause: e, retriable: own.transient });
  const sasl = errors.find((err) => err.name === 'KafkaJSSASLAuthenticationError');
  if (sasl !== undefined) return saslRefused(api, sasl.message, e);
  return tlsFailure(api, errors, e);
}

function isTransportError(e: unknown): e is TransportError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'TransportError' && typeof (e as { code?: unknown }).code === 'string';
}

/** Runs a kafkajs call and rethrows its failure as a TransportError. */
export async function guard<T>(api: string, call: () => Promise<T>, fallback?: TransportErrorCodeValue): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toTransportError(api, e, fallback);
  }
}
