/**
 * Byte-string helpers of the LevelDB store. Keys are raw bytes and order is
 * unsigned lexicographic, the order LevelDB's default comparator uses.
 */

/**
 * The smallest byte string greater than every string that starts with
 * `prefix`, or `undefined` when there is none (empty prefix, or all 0xff).
 * A prefix scan is then the half-open range `[prefix, upper)`.
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i] as number;
    if (b !== 0xff) {
      const upper = prefix.slice(0, i + 1);
      upper[i] = b + 1;
      return upper;
    }
  }
  return undefined;
}

/**
 * A plain `Uint8Array` view of the same memory. LevelDB hands back Node
 * `Buffer`s; stores return plain arrays so callers see one type whatever the
 * backend (Buffer's `slice` shares memory, Uint8Array's copies).
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
