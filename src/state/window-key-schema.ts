import { StateError } from '../errors.js';
import { formatBytes } from './bytes.js';
import { StateErrorCode } from './state-error-codes.js';
import { readTime, writeTime } from './time-bytes.js';

/** A decoded window-store key. */
export interface WindowKey {
  readonly key: Uint8Array;
  readonly windowStart: number;
}

/**
 * How a window store lays out its entries in the underlying byte key-value
 * store (and so in its changelog):
 *
 * ```
 * offset  size  field
 * 0       4     key length n, unsigned big-endian
 * 4       n     key bytes
 * 4+n     8     window start, epoch ms, big-endian int64 with the sign bit flipped
 * ```
 *
 * Guarantees: in unsigned byte order, all windows of one key are contiguous
 * and ascend by start (negative starts included), so `fetchRange(key, from,
 * to)` is one range scan from `encode(key, from)` to `encode(key, to)`. The
 * length prefix is what keeps keys apart: without it the windows of key `a`
 * would interleave with those of `a\x80`. The cost is that keys of different
 * lengths do not sort lexicographically against each other (shorter first).
 *
 * Runtime code that sees encoded keys — cache flush listeners and changelog
 * records of a window store — decodes them with {@link WindowKeySchema.decode}.
 */
export const WindowKeySchema = Object.freeze({
  /** Bytes taken by the length prefix and the start. */
  OVERHEAD: 12,

  /** Encodes `(key, windowStart)`. */
  encode(key: Uint8Array, windowStart: number): Uint8Array {
    const out = new Uint8Array(key.length + 12);
    const view = new DataView(out.buffer);
    view.setUint32(0, key.length);
    out.set(key, 4);
    writeTime(view, 4 + key.length, windowStart);
    return out;
  },

  /** Decodes bytes made by {@link encode}; throws `RIVULET_STATE_CORRUPT` on any other layout. */
  decode(bytes: Uint8Array): WindowKey {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = bytes.length >= 4 ? view.getUint32(0) : -1;
    if (n < 0 || bytes.length !== n + 12) {
      throw new StateError(
        StateErrorCode.CORRUPT,
        `WindowKeySchema.decode: stored key must be 4 + n + 8 bytes (got ${bytes.length} bytes, n = ${n}, ${formatBytes(bytes)}); wipe the store and restore it from the changelog`,
      );
    }
    return { key: bytes.subarray(4, 4 + n), windowStart: readTime(view, 4 + n) };
  },
});
