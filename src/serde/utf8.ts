/**
 * UTF-8 for the hot path. TextEncoder/TextDecoder cost a native call each,
 * which dominates for the short keys and values records carry; ASCII text up
 * to SHORT characters is converted in JS instead, everything else natively.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const SHORT = 64;

/** UTF-8 bytes of `s`. */
export function encodeUtf8(s: string): Uint8Array {
  const n = s.length;
  if (n > SHORT) return encoder.encode(s);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(s);
    out[i] = c;
  }
  return out;
}

/** The text of UTF-8 `bytes`; throws a TypeError on invalid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n > SHORT) return decoder.decode(bytes);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number;
    if (c > 0x7f) return decoder.decode(bytes);
    s += String.fromCharCode(c);
  }
  return s;
}
