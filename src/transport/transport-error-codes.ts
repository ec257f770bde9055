import { TransportError } from '../errors.js';

/**
 * Every `TransportError` code, with when it happens and what to do. Both
 * transports use these codes; the kafkajs one maps Kafka's errors onto them and
 * keeps the original as `cause`.
 */
export const TransportErrorCode = {
  /** A call before `connect()` (or after `close()` of the transport). Connect first. Not retriable. */
  NOT_CONNECTED: 'RIVULET_TRANSPORT_NOT_CONNECTED',
  /**
   * The broker refused the SASL credentials (wrong password, unknown user, a user
   * without credentials for that mechanism, a rejected token). Check `kafka.sasl`.
   * Not retriable, except when `kafka.sasl.tokenProvider` threw (a new connection may succeed).
   */
  AUTHENTICATION_FAILED: 'RIVULET_TRANSPORT_AUTHENTICATION_FAILED',
  /**
   * The TLS handshake failed: the broker's certificate is not signed by a CA in
   * `kafka.ssl.ca` (or names another host), or the broker refused the client
   * certificate, or one side does not speak TLS. Check `kafka.ssl` and the listener. Not retriable.
   */
  TLS_FAILED: 'RIVULET_TRANSPORT_TLS_FAILED',
  /** A producer, consumer or reader was used after `close()`. Create a new one. Not retriable. */
  CLOSED: 'RIVULET_TRANSPORT_CLOSED',
  /** An argument is malformed (bad topic name, partition count, offset, option). The message says which. Not retriable. */
  INVALID_ARGUMENT: 'RIVULET_TRANSPORT_INVALID_ARGUMENT',
  /** The topic does not exist or has no such partition. Create it (or fix the partition number). Not retriable. */
  UNKNOWN_TOPIC_OR_PARTITION: 'RIVULET_TRANSPORT_UNKNOWN_TOPIC_OR_PARTITION',
  /** The broker refused a record, e.g. a record without key on a compacted topic. Not retriable. */
  INVALID_RECORD: 'RIVULET_TRANSPORT_INVALID_RECORD',
  /**
   * A newer producer with the same transactional id exists, or the broker
   * aborted this producer's transaction after its timeout. The instance must
   * close the producer and give up the tasks it served. Not retriable.
   */
  FENCED: 'RIVULET_TRANSPORT_FENCED',
  /**
   * A call out of order: a transactional call on a non-transactional producer,
   * `send` outside a transaction, a second `beginTransaction`, two concurrent
   * `poll`s, `seek`/`pause` of an unassigned partition. A bug in the caller. Not retriable.
   */
  ILLEGAL_STATE: 'RIVULET_TRANSPORT_ILLEGAL_STATE',
  /**
   * Offsets were committed by a member the group no longer has in that
   * generation (it was evicted or the group rebalanced). Its partitions may be
   * processed by another member now; drop the work since the last commit. Not retriable.
   */
  COMMIT_FAILED: 'RIVULET_TRANSPORT_COMMIT_FAILED',
  /** A reader position (or a `deleteRecords` offset) is outside the partition's offsets. Seek into range. Not retriable. */
  OFFSET_OUT_OF_RANGE: 'RIVULET_TRANSPORT_OFFSET_OUT_OF_RANGE',
  /**
   * A record is larger than a producer sends (Kafka's `max.request.size`, 1 MiB), or the
   * broker refused a record batch over the topic's `max.message.bytes` (Kafka's
   * MESSAGE_TOO_LARGE). Make the record smaller. Not retriable.
   */
  RECORD_TOO_LARGE: 'RIVULET_TRANSPORT_RECORD_TOO_LARGE',
  /**
   * The client library cannot give a guarantee asked for: exactly-once on a kafkajs
   * client other than rivulet's own kafkajs 2.2.4, whose KIP-447 fencing hooks
   * (TxnOffsetCommit with the member's generation) would not engage. Use the
   * platformatic client, or let rivulet create the kafkajs client. Not retriable.
   */
  UNSUPPORTED_CLIENT: 'RIVULET_TRANSPORT_UNSUPPORTED_CLIENT',
} as const;

/** One of the {@link TransportErrorCode} strings. */
export type TransportErrorCodeValue = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Builds a {@link TransportError}; transport errors are not retriable unless stated. */
export function transportError(
  code: TransportErrorCodeValue,
  message: string,
  options: { retriable?: boolean; cause?: unknown } = {},
): TransportError {
  return new TransportError(code, message, options);
}
