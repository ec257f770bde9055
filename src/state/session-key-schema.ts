import { StateError } from '../errors.js';
import { formatBytes } from './bytes.js';
import { StateErrorCode } from './state-error-codes.js';
import { readTime, writeTime } from './time-bytes.js';

/** A decoded session-store key. */
export interface SessionKey {
  readonly key: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/**
 * How a session store lays out its entries in the underlying byte key-value
 * store (and its changelog):
 *
 * ```
 * offset  size  field
 * 0       4     key length n, unsigned big-endian
 * 4       n     key bytes
 * 4+n     8     session end, epoch ms, order-preserving int64 (sign bit flipped)
 * 12+n    8     session start, same encoding
 * ```
 *
 * End comes before start (as in Kafka Streams' session key schema) because
 * the query, "sessions ending at or after T", is then a range scan starting
 * at `encode(key, start = MIN, end = T)`, and expiry is by end time. Within a
 * key, sessions ascend by end, then start. The length prefix keeps keys
 * contiguous, as in {@link WindowKeySchema}.
 */
export const SessionKeySchema = Object.freeze({
  /** Bytes taken by the length prefix and the two times. */
  OVERHEAD: 20,

  /** Encodes `(key, start, end)`. */
  encode(key: Uint8Array, start: number, end: number): Uint8Array {
    const out = new Uint8Array(key.length + 20);
    const view = new DataView(out.buffer);
    view.setUint32(0, key.length);
    out.set(key, 4);
    writeTime(view, 4 + key.length, end);
    writeTime(view, 12 + key.length, start);
    return out;
  },

  /** Decodes bytes made by {@link encode}; throws `RIVULET_STATE_CORRUPT` on any other layout. */
  decode(bytes: Uint8Array): SessionKey {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.length >= 4 ? view.getUint32(0) : -1;
    if (n < 0 || bytes.length !== n + 20) {
      throw new StateError(
        StateErrorCode.CORRUPT,
        `SessionKeySchema.decode: stored key must be 4 + n + 16 bytes (got ${bytes.length} bytes, n = ${n}, ${formatBytes(bytes)}); wipe the store and restore it from the changelog`,
      );
    }
    return { key: bytes.subarray(4, 4 + n), end: readTime(view, 4 + n), start: readTime(view, 12 + n) };
  },
});
