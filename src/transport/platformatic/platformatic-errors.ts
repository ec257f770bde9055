/**
 * Maps @platformatic/kafka failures onto {@link TransportErrorCode}s. The
 * library reports a broker's error as a `ProtocolError` whose `apiId` names
 * Kafka's error (e.g. `PRODUCER_FENCED`), often inside a `ResponseError` or
 * `MultipleErrors` (an `AggregateError`) or as the `cause` of a retry error, so
 * the mapping walks that chain; the library's error is kept as `cause`.
 * @module
 */
import type { TransportError } from '../../errors.js';
import { KAFKA_ERROR_CODES, saslRefused, tlsFailure } from '../connection-errors.js';
import { TransportErrorCode, type TransportErrorCodeValue, transportError } from '../transport-error-codes.js';

/** Kafka error names (`ProtocolError.apiId`) and what they mean to rivulet. */
const BY_ID: Readonly<Record<string, TransportErrorCodeValue>> = {
  ...KAFKA_ERROR_CODES,
  UNKNOWN_TOPIC_ID: TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  SASL_AUTHENTICATION_FAILED: TransportErrorCode.AUTHENTICATION_FAILED,
  UNSUPPORTED_SASL_MECHANISM: TransportErrorCode.AUTHENTICATION_FAILED,
  ILLEGAL_SASL_STATE: TransportErrorCode.AUTHENTICATION_FAILED,
};

/**
 * A SASL failure raised by rivulet's own OAUTHBEARER authenticator
 * (platformatic-security.ts): AUTHENTICATION_FAILED with this message,
 * retriable when `transient` (a token provider that failed may succeed later).
 */
export class SaslFailure extends Error {
  override readonly name = 'SaslFailure';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

interface PlatformaticLike {
  readonly name?: string;
  readonly code?: string | number;
  readonly apiId?: string;
  readonly message?: string;
  readonly canRetry?: boolean;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

/** Every error in the wrapping chain, outermost first (bounded, cycle-safe). */
function chain(e: unknown): PlatformaticLike[] {
  const out: PlatformaticLike[] = [];
  const queue: unknown[] = [e];
  const seen = new Set<unknown>();
  while (queue.length > 0 && out.length < 32) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.has(next)) continue;
    seen.add(next);
    const err = next as PlatformaticLike;
    out.push(err);
    queue.push(err.cause, ...(Array.isArray(err.errors) ? err.errors : []));
  }
  return out;
}

/** The Kafka error names (`apiId`) found in the chain. */
export function kafkaErrorIds(e: unknown): string[] {
  return chain(e)
    .map((err) => err.apiId ?? (err.code === 'PLT_KFK_USER' && UNKNOWN_TOPIC_MESSAGE.test(err.message ?? '') ? 'UNKNOWN_TOPIC_OR_PARTITION' : undefined))
    .filter((id): id is string => typeof id === 'string');
}

/**
 * The library answers a Metadata request naming a topic the broker does not
 * know (yet: on a cluster a new topic reaches every broker's metadata a moment
 * after it is created) with its own UserError, not the Kafka error.
 */
const UNKNOWN_TOPIC_MESSAGE = /^Unknown topic .*\.$/;

/** Whether the chain holds Kafka error `id`. */
export function hasKafkaError(e: unknown, ...ids: string[]): boolean {
  return kafkaErrorIds(e).some((id) => ids.includes(id));
}

/** The rivulet code for a failure, if some Kafka error in its chain has one. */
export function kafkaCodeOf(e: unknown): TransportErrorCodeValue | undefined {
  for (const id of kafkaErrorIds(e)) {
    const code = BY_ID[id];
    if (code !== undefined) return code;
  }
  return undefined;
}

function isTransportError(e: unknown): e is TransportError {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'TransportError' && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Wraps a failure of `api` in a {@link TransportError}. A failure that maps to
 * no code is "broker unreachable" (NOT_CONNECTED, retriable) when it is a
 * network error or timeout, else `fallback`, retriable when the library says so.
 */
export function toTransportError(api: string, e: unknown, fallback: TransportErrorCodeValue = TransportErrorCode.ILLEGAL_STATE): TransportError {
  if (isTransportError(e)) return e;
  const errors = chain(e);
  const own = errors.find((err): err is SaslFailure => err instanceof SaslFailure);
  if (own !== undefined) return transportError(TransportErrorCode.AUTHENTICATION_FAILED, `${api}: ${own.message}`, { cause: e, retriable: own.transient });
  const ids = kafkaErrorIds(e);
  const deepest = errors.find((err) => err.apiId !== undefined) ?? errors.at(-1);
  const detail = deepest?.message ?? String(e);
  const message = `${api}: Kafka ${ids.length > 0 ? `${ids[0]}: ` : ''}${detail}`;
  const code = kafkaCodeOf(e);
  if (code === TransportErrorCode.AUTHENTICATION_FAILED) return saslRefused(api, detail, e);
  if (code !== undefined) return transportError(code, message, { cause: e });
  const tls = tlsFailure(api, errors, e);
  if (tls !== undefined) return tls;
  const auth = errors.find((err) => err.code === 'PLT_KFK_AUTHENTICATION');
  if (auth !== undefined) return saslRefused(api, auth.message, e);
  const unreachable =
    errors.some((err) => err.code === 'PLT_KFK_NETWORK' || err.code === 'PLT_KFK_TIMEOUT' || err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'EPIPE') ||
    errors.some(isLeaderLookupFailure);
  if (unreachable) return transportError(TransportErrorCode.NOT_CONNECTED, message, { cause: e, retriable: true });
  return transportError(fallback, message, { cause: e, retriable: errors.some((err) => err.canRetry === true) });
}

/**
 * The library looks up a partition leader's address in its broker map without a
 * check; while the leader is unknown (a broker died, the election is running)
 * that throws a TypeError. It heals with fresh metadata, like LEADER_NOT_AVAILABLE.
 */
function isLeaderLookupFailure(err: PlatformaticLike): boolean {
  return err.name === 'TypeError' && /^Cannot read properties of undefined \(reading '(host|port|nodeId)'\)/.test(err.message ?? '');
}

/** Runs a call and rethrows its failure as a TransportError. */
export async function guard<T>(api: string, call: () => Promise<T>, fallback?: TransportErrorCodeValue): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toTransportError(api, e, fallback);
  }
}
