/**
 * Byte-string helpers shared by the stores. Keys are raw bytes and order is
 * unsigned lexicographic — the order LevelDB's default comparator uses — so the
 * in-memory and LevelDB stores iterate identically.
 */

/**
 * Compares two byte strings as unsigned bytes, shorter-is-smaller on a common
 * prefix. Returns a negative number, zero or a positive number.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when `bytes` begins with `prefix`. */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

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

/** A private copy, so a caller mutating its array later cannot change what a store holds. */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Short printable form for error messages: hex, truncated. */
export function formatBytes(bytes: Uint8Array, max = 16): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += (bytes[i] as number).toString(16).padStart(2, '0');
  return bytes.length > max ? `0x${s}… (${bytes.length} bytes)` : `0x${s}`;
}
