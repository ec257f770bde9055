import { StateError } from '../errors.js';
import { StateErrorCode } from './state-error-codes.js';

// Times (epoch ms, safe integers, possibly negative) as 8 bytes whose
// unsigned lexicographic order is numeric order: big-endian two's complement
// with the sign bit flipped, the usual order-preserving int64 encoding.

const TWO_32 = 2 ** 32;

/** Writes `time` (a safe integer) as 8 order-preserving bytes at `offset`. */
export function writeTime(view: DataView, offset: number, time: number): void {
  const hi = Math.floor(time / TWO_32); // in [-2^21, 2^21) for safe integers
  const lo = time - hi * TWO_32; // in [0, 2^32)
  view.setUint32(offset, ((hi | 0) ^ 0x80000000) >>> 0);
  view.setUint32(offset + 4, lo);
}

/** Reads a time written by {@link writeTime}; a value outside the safe range means corrupt bytes. */
export function readTime(view: DataView, offset: number): number {
  const hi = (view.getUint32(offset) ^ 0x80000000) | 0;
  const time = hi * TWO_32 + view.getUint32(offset + 4);
  if (!Number.isSafeInteger(time)) {
    throw new StateError(StateErrorCode.CORRUPT, `stored time at byte ${offset} is outside the safe integer range (got ${time}); the store is corrupt`);
  }
  return time;
}
