import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { SerdeError } from '../../../src/errors.js';
import { Serdes } from '../../../src/serde/serdes.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

function rejects(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SerdeError);
  expect((caught as SerdeError).code).toBe('RIVULET_SERDE_DESERIALIZE');
  expect((caught as SerdeError).message).toMatch(pattern);
}

describe('Serdes.string', () => {
  it('round-trips unicode', () => {
    const s = Serdes.string();
    expect(s.deserialize(s.serialize('héllo ✓ 日本'))).toBe('héllo ✓ 日本');
  });
  it('rejects invalid UTF-8 instead of replacing it', () => {
    rejects(() => Serdes.string().deserialize(new Uint8Array([0xc3, 0x28])), /not valid UTF-8/);
  });
});

describe('Serdes.json', () => {
  interface Reading { device_id: string; value: number }
  const validate = (v: unknown): Reading | string => {
    if (typeof v !== 'object' || v === null) return 'expected an object';
    const r = v as Record<string, unknown>;
    if (typeof r['device_id'] !== 'string') return 'device_id must be a string';
    if (typeof r['value'] !== 'number' || !Number.isFinite(r['value'])) return `value must be a finite number (got ${JSON.stringify(r['value'])})`;
    return { device_id: r['device_id'], value: r['value'] };
  };
  const serde = Serdes.json<Reading>({ validate, maxBytes: 1000 });

  it('round-trips and validates', () => {
    expect(serde.deserialize(serde.serialize({ device_id: 'd1', value: 3.5 }))).toEqual({ device_id: 'd1', value: 3.5 });
  });
  it('names malformed JSON', () => rejects(() => serde.deserialize(utf8('{"device_id": "d1", ')), /not valid JSON/));
  it('names the failed field', () => rejects(() => serde.deserialize(utf8('{"device_id": 7, "value": 1}')), /device_id must be a string/));
  it('rejects missing fields', () => rejects(() => serde.deserialize(utf8('{"device_id": "x"}')), /value must be a finite number/));
  it('rejects huge payloads before parsing', () => rejects(() => serde.deserialize(utf8(`"${'x'.repeat(5000)}"`)), /exceeds maxBytes 1000/));
  it('rejects __proto__ keys', () => {
    rejects(() => Serdes.json().deserialize(utf8('{"a": {"__proto__": {"polluted": true}}}')), /forbidden key "__proto__"/);
    // Spelled with escapes the text never contains "__proto__", but the parsed key is the same.
    rejects(() => Serdes.json().deserialize(utf8('{"\\u005f_proto__": {"polluted": true}}')), /forbidden key "__proto__"/);
    rejects(() => Serdes.json().deserialize(utf8('{"constructor": {"prototype": 1}}')), /forbidden key/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
  it('reports values with no JSON form', () => {
    expect(() => Serdes.json().serialize(undefined)).toThrow(/no JSON form/);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => Serdes.json().serialize(cyclic)).toThrow(SerdeError);
  });
});

describe('Serdes.msgpack', () => {
  it('round-trips', () => {
    const s = Serdes.msgpack<{ a: number[] }>();
    expect(s.deserialize(s.serialize({ a: [1, 2, 3] }))).toEqual({ a: [1, 2, 3] });
  });
  it('rejects truncated input', () => {
    const bytes = encode({ device: 'abc', values: [1, 2, 3, 4] });
    rejects(() => Serdes.msgpack().deserialize(bytes.subarray(0, bytes.length - 3)), /not valid MessagePack/);
  });
  it('enforces length limits on untrusted input', () => {
    rejects(() => Serdes.msgpack({ maxLength: 10 }).deserialize(encode('x'.repeat(11))), /not valid MessagePack/);
  });
  it('enforces depth limits', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = [deep];
    rejects(() => Serdes.msgpack({ maxDepth: 5 }).deserialize(encode(deep)), /deeper than maxDepth 5/);
  });
  it('rejects __proto__ map keys', () => {
    // Build the map by hand: encode() of an object literal cannot carry an own __proto__ key reliably.
    const bytes = new Uint8Array([0x81, 0xa9, ...utf8('__proto__'), 0x01]);
    rejects(() => Serdes.msgpack().deserialize(bytes), /__proto__/);
  });
});

describe('Serdes.bytes and custom', () => {
  it('passes bytes through', () => {
    const b = new Uint8Array([1, 2, 3]);
    expect(Serdes.bytes().deserialize(Serdes.bytes().serialize(b))).toBe(b);
  });
  it('wraps two functions', () => {
    const s = Serdes.custom<number>('u8', (n) => new Uint8Array([n]), (b) => b[0] ?? -1);
    expect(s.name).toBe('u8');
    expect(s.deserialize(s.serialize(42))).toBe(42);
  });
});
