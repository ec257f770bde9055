/**
 * What every Kafka client reports alike once unwrapped: Kafka's protocol errors
 * by name, and the connection failures:
 * TLS handshakes that fail and SASL exchanges the broker refuses. Each
 * client's error module finds them in its own error chain; the wording, and
 * what it tells the user to check, lives here once.
 * @module
 */
import type { TransportError } from '../errors.js';
import { TransportErrorCode, type TransportErrorCodeValue, transportError } from './transport-error-codes.js';

/** Kafka protocol errors by name, and what they mean to rivulet, whichever client reported them. */
export const KAFKA_ERROR_CODES: Readonly<Record<string, TransportErrorCodeValue>> = {
  INVALID_PRODUCER_EPOCH: TransportErrorCode.FENCED,
  PRODUCER_FENCED: TransportErrorCode.FENCED,
  INVALID_PRODUCER_ID_MAPPING: TransportErrorCode.FENCED,
  TRANSACTION_COORDINATOR_FENCED: TransportErrorCode.FENCED,
  REBALANCE_IN_PROGRESS: TransportErrorCode.COMMIT_FAILED,
  ILLEGAL_GENERATION: TransportErrorCode.COMMIT_FAILED,
  UNKNOWN_MEMBER_ID: TransportErrorCode.COMMIT_FAILED,
  FENCED_INSTANCE_ID: TransportErrorCode.COMMIT_FAILED,
  UNKNOWN_TOPIC_OR_PARTITION: TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  OFFSET_OUT_OF_RANGE: TransportErrorCode.OFFSET_OUT_OF_RANGE,
  INVALID_RECORD: TransportErrorCode.INVALID_RECORD,
  CORRUPT_MESSAGE: TransportErrorCode.INVALID_RECORD,
  MESSAGE_TOO_LARGE: TransportErrorCode.RECORD_TOO_LARGE,
  RECORD_LIST_TOO_LARGE: TransportErrorCode.RECORD_TOO_LARGE,
  INVALID_TIMESTAMP: TransportErrorCode.INVALID_RECORD,
  INVALID_TXN_STATE: TransportErrorCode.ILLEGAL_STATE,
  INVALID_TOPIC_EXCEPTION: TransportErrorCode.INVALID_ARGUMENT,
  INVALID_PARTITIONS: TransportErrorCode.INVALID_ARGUMENT,
  INVALID_REPLICATION_FACTOR: TransportErrorCode.INVALID_ARGUMENT,
  INVALID_CONFIG: TransportErrorCode.INVALID_ARGUMENT,
};

/** Node's certificate verification failures (`tls.connect`'s error codes): they never heal by retrying. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** An error of a client's wrapping chain, as far as TLS failures go. */
interface CodedError {
  readonly code?: string | number;
  readonly message?: string;
}

/**
 * TLS_FAILED naming what to check, when one of `errors` (a client's wrapping
 * chain) is a certificate or handshake failure; `undefined` otherwise.
 */
export function tlsFailure(api: string, errors: readonly CodedError[], cause: unknown): TransportError | undefined {
  const tls = errors.find((err) => typeof err.code === 'string' && (CERTIFICATE_CODES.has(err.code) || err.code.startsWith('ERR_SSL_')));
  if (tls === undefined) return undefined;
  const code = tls.code as string;
  // OpenSSL's messages carry its error stack (`...:SSL routines:<function>:<reason>:<file>...`): keep the reason.
  const message = (tls.message ?? '').replace(/^Connection error: /, '');
  const detail = /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.split('\n')[0];
  const check = CERTIFICATE_CODES.has(code)
    ? code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? "the broker's certificate does not name the host connected to; check the broker address or set kafka.ssl.servername to the name it has"
      : "the broker's certificate is not signed by a CA the client trusts; check kafka.ssl.ca (the PEM of the CA that signed the broker's certificate) and that the certificate is valid now"
    : 'the TLS handshake broke off; check that the listener speaks TLS (SSL or SASL_SSL) and, if it requires client certificates, kafka.ssl.cert and kafka.ssl.key';
  return transportError(TransportErrorCode.TLS_FAILED, `${api}: TLS to the broker failed (${detail}, ${code}): ${check}`, { cause });
}

/** AUTHENTICATION_FAILED for a SASL exchange the broker refused, naming what to check (never the secret). */
export function saslRefused(api: string, detail: string | undefined, cause: unknown): TransportError {
  return transportError(
    TransportErrorCode.AUTHENTICATION_FAILED,
    `${api}: the broker refused SASL authentication (${detail ?? 'no detail'}); check kafka.sasl: the mechanism is enabled on the listener, the user exists for it and the password or token is right`,
    { cause },
  );
}
