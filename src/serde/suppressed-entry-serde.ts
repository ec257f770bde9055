import type { Serde } from './serde.js';
import { deserializeError } from './serde-failure.js';

/** One held-back KTable update as its suppression buffer stores it. */
export interface SuppressedEntry<K, V> {
  readonly record: { readonly key: K; readonly value: { readonly newValue: V | undefined; readonly oldValue: V | undefined }; readonly timestamp: number };
  readonly firstBufferedAt: number;
  readonly order: number;
}

const FORMAT = 1;
const ABSENT = -1;
/** version, flags, timestamp, firstBufferedAt, order, window start and end, key length. */
const FIXED = 1 + 1 + 8 * 5 + 4;
const WINDOWED = 1;

/**
 * The suppression buffer's stored entries in a fixed binary layout: the key and
 * the values through the table's own serdes, the rest as float64s. A buffer
 * logs every dirty window at each commit, so this runs once per updated window
 * per commit; the generic JSON serde cost about three times as much and wrote
 * about twice the bytes.
 *
 * `[1][flags][timestamp][firstBufferedAt][order][window start][window end][u32 key length][key][i32 length or -1, new value][i32 length or -1, old value]`
 *
 * @param keySerde for windowed tables, the serde of the key inside `Windowed`.
 */
export function suppressedEntrySerde<K, V>(keySerde: Serde<unknown>, valueSerde: Serde<V>, windowed: boolean): Serde<SuppressedEntry<K, V>> {
  const valueBytes = (v: V | undefined): Uint8Array | undefined => (v === undefined || v === null ? undefined : valueSerde.serialize(v));
  return {
    name: `suppressed-entry(${keySerde.name}, ${valueSerde.name})`,
    serialize: (e) => {
      const r = e.record;
      const w = windowed ? (r.key as unknown as { key: unknown; window: { start: number; end: number } }) : undefined;
      const key = keySerde.serialize(w === undefined ? r.key : w.key);
      const nv = valueBytes(r.value.newValue);
      const ov = valueBytes(r.value.oldValue);
      const out = new Uint8Array(FIXED + key.length + 8 + (nv?.length ?? 0) + (ov?.length ?? 0));
      const view = new DataView(out.buffer);
      out[0] = FORMAT;
      out[1] = w === undefined ? 0 : WINDOWED;
      view.setFloat64(2, r.timestamp);
      view.setFloat64(10, e.firstBufferedAt);
      view.setFloat64(18, e.order);
      view.setFloat64(26, w?.window.start ?? 0);
      view.setFloat64(34, w?.window.end ?? 0);
      view.setUint32(42, key.length);
      out.set(key, FIXED);
      let at = FIXED + key.length;
      for (const v of [nv, ov]) {
        view.setInt32(at, v === undefined ? ABSENT : v.length);
        at += 4;
        if (v !== undefined) {
          out.set(v, at);
          at += v.length;
        }
      }
      return out;
    },
    deserialize: (bytes) => {
      if (bytes.length < FIXED + 8 || bytes[0] !== FORMAT) {
        throw deserializeError('suppressedEntry', `expected a format ${FORMAT} entry of at least ${FIXED + 8} bytes (got ${bytes.length} bytes starting with ${String(bytes[0])})`);
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const keyLength = view.getUint32(42);
      const inner = keySerde.deserialize(bytes.subarray(FIXED, FIXED + keyLength));
      const key = (bytes[1] === WINDOWED ? { key: inner, window: { start: view.getFloat64(26), end: view.getFloat64(34) } } : inner) as K;
      let at = FIXED + keyLength;
      const values: (V | undefined)[] = [];
      for (let i = 0; i < 2; i++) {
        const n = view.getInt32(at);
        at += 4;
        if (n === ABSENT) values.push(undefined);
        else {
          values.push(valueSerde.deserialize(bytes.subarray(at, at + n)));
          at += n;
        }
      }
      return {
        record: { key, value: { newValue: values[0], oldValue: values[1] }, timestamp: view.getFloat64(2) },
        firstBufferedAt: view.getFloat64(10),
        order: view.getFloat64(18),
      };
    },
  };
}
