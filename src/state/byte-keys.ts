import type { Serde } from '../serde/serde.js';

/**
 * Keys of working stores are held as latin1 strings of their serialized bytes:
 * a JS string compares code unit by code unit, which for latin1 equals
 * unsigned byte order, so Map lookups and sorted ranges both work on them.
 */
export function bytesToKey(bytes: Uint8Array): string {
  const n = bytes.length;
  // Spreading into fromCharCode allocates an argument list; short keys are cheaper one by one.
  if (n <= 32) {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(bytes[i] as number);
    return s;
  }
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

export function keyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/**
 * Keys that are already such latin1 strings (a suppression buffer's ids), stored
 * as their bytes; a working store uses them as they are, without a round trip.
 */
export const latin1KeySerde: Serde<string> = { name: 'latin1-key', serialize: keyToBytes, deserialize: bytesToKey };

/** 8-byte big-endian encoding of a non-negative or negative ms time that sorts numerically. */
export function timeKey(ms: number): string {
  // Offset by 2^52 so negative window starts (sliding windows near 0) still sort correctly.
  const v = ms + 2 ** 52;
  const hi = Math.floor(v / 2 ** 32);
  const lo = v >>> 0;
  return String.fromCharCode((hi >>> 24) & 0xff, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, (lo >>> 24) & 0xff, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
}

export function timeFromKey(s: string, offset: number): number {
  const b = (i: number) => s.charCodeAt(offset + i);
  const hi = ((b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3)) >>> 0;
  const lo = ((b(4) << 24) | (b(5) << 16) | (b(6) << 8) | b(7)) >>> 0;
  return hi * 2 ** 32 + lo - 2 ** 52;
}

/** Length-prefixed key so that one key's windows are contiguous and never interleave with a longer key's. */
export function lengthPrefixed(key: string): string {
  const n = key.length;
  return String.fromCharCode((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff) + key;
}

/** Splits a length-prefixed key (see {@link lengthPrefixed}) into the key bytes and the offset of what follows. */
export function splitLengthPrefixed(k: string): { key: Uint8Array; rest: number } {
  const n = ((k.charCodeAt(0) << 24) | (k.charCodeAt(1) << 16) | (k.charCodeAt(2) << 8) | k.charCodeAt(3)) >>> 0;
  return { key: keyToBytes(k.slice(4, 4 + n)), rest: 4 + n };
}
