import { describe, expect, it } from 'vitest';
import { Serdes } from '../../../src/serde/serdes.js';
import { suppressedEntrySerde } from '../../../src/serde/suppressed-entry-serde.js';
import { SerdeError } from '../../../src/errors.js';

describe('suppressedEntrySerde', () => {
  it('round-trips a windowed entry through the inner key serde, with both values', () => {
    const serde = suppressedEntrySerde(Serdes.string() as never, Serdes.json<{ n: number }>(), true);
    const e = {
      record: { key: { key: 'device-7', window: { start: -1000, end: 59_000 } }, value: { newValue: { n: 3 }, oldValue: { n: 2 } }, timestamp: 1_700_000_000_123 },
      firstBufferedAt: 1_700_000_000_001,
      order: 2 ** 40 + 5,
    };
    expect(serde.deserialize(serde.serialize(e))).toEqual(e);
  });

  it('keeps absent values absent and plain keys plain', () => {
    const serde = suppressedEntrySerde(Serdes.string() as never, Serdes.json<number>(), false);
    const e = { record: { key: 'k', value: { newValue: 0, oldValue: undefined }, timestamp: 5 }, firstBufferedAt: 5, order: 0 };
    const back = serde.deserialize(serde.serialize(e));
    expect(back).toEqual(e);
    expect(back.record.value.oldValue).toBeUndefined();
    expect(back.record.value.newValue).toBe(0);
  });

  it('reads back from a view into a larger buffer (as LevelDB and fetches hand it)', () => {
    const serde = suppressedEntrySerde(Serdes.string() as never, Serdes.string(), false);
    const e = { record: { key: 'a', value: { newValue: 'x', oldValue: 'y' }, timestamp: 1 }, firstBufferedAt: 1, order: 1 };
    const bytes = serde.serialize(e);
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 7);
    expect(serde.deserialize(big.subarray(7, 7 + bytes.length))).toEqual(e);
  });

  it('refuses bytes of another format with a SerdeError naming what it expected', () => {
    const serde = suppressedEntrySerde(Serdes.string() as never, Serdes.string(), false);
    expect(() => serde.deserialize(new TextEncoder().encode('{"record":{}}'))).toThrow(SerdeError);
    expect(() => serde.deserialize(new Uint8Array([1, 0, 0]))).toThrow(/format 1 entry of at least 54 bytes \(got 3 bytes/);
  });
});
