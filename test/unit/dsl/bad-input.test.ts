import { createHash } from 'node:crypto';
import { encode } from '@msgpack/msgpack';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { TaskFailure } from '../../../src/runtime/stream-task.js';
import { DLQ_HEADERS, DLQ_MAX_RECORD_BYTES } from '../../../src/runtime/error-handling.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import type { TestOutputRecord } from '../../../src/testing/test-output-topic.js';

// Bad input through the driver with the default configuration: undecodable
// records go to the dead-letter topic `<applicationId>-dlq` with their original
// bytes and the error in headers, and the driver keeps processing.

interface Reading {
  readonly device: string;
  readonly value: number;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (h: Uint8Array | string | undefined) => (typeof h === 'string' ? h : h === undefined ? undefined : new TextDecoder().decode(h));

function isReading(v: unknown): Reading | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'expected an object';
  const r = v as Record<string, unknown>;
  if (typeof r['device'] !== 'string') return `device must be a string (got ${JSON.stringify(r['device'])})`;
  if (typeof r['value'] !== 'number') return `value must be a number (got ${JSON.stringify(r['value'])})`;
  return { device: r['device'], value: r['value'] };
}

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

function build() {
  const b = new StreamsBuilder();
  b.stream<string, Reading>('readings', { valueSerde: Serdes.json<Reading>({ validate: isReading }) })
    .mapValues((r) => {
      if (r.value === 13) throw new Error('unlucky reading');
      return r.value * 2;
    })
    .to('doubled', { valueSerde: Serdes.json<number>() });
  b.stream<string, Reading>('packed', { valueSerde: Serdes.msgpack<Reading>({ validate: isReading }) })
    .mapValues((r) => r.device)
    .to('devices', { valueSerde: Serdes.string() });
  return b.build();
}

describe('bad input with the default configuration (dead-letter)', () => {
  it('dead-letters undecodable records with their bytes and error headers, and processes every valid one', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const json = d.createInputTopic('readings', Serdes.string(), Serdes.json<unknown>());
    const packed = d.createInputTopic('packed', Serdes.string(), Serdes.msgpack<unknown>());

    const huge = utf8(JSON.stringify({ device: 'big', value: 1, pad: 'x'.repeat(1024 * 1024) })); // > 1 MiB default maxBytes
    const bad: { topic: 'readings' | 'packed'; key: string; bytes: Uint8Array; reason: RegExp }[] = [
      { topic: 'readings', key: 'malformed', bytes: utf8('{"device":"a","value":'), reason: /payload is not valid JSON/ },
      { topic: 'readings', key: 'wrong-type', bytes: utf8('{"device":"a","value":"12"}'), reason: /validation failed: value must be a number \(got "12"\)/ },
      { topic: 'readings', key: 'missing', bytes: utf8('{"value":3}'), reason: /validation failed: device must be a string \(got undefined\)/ },
      { topic: 'readings', key: 'huge', bytes: huge, reason: /payload of \d+ bytes exceeds maxBytes 1048576/ },
      { topic: 'readings', key: 'proto', bytes: utf8('{"device":"a","value":1,"__proto__":{"admin":true}}'), reason: /forbidden key "__proto__"/ },
      { topic: 'readings', key: 'not-utf8', bytes: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), reason: /payload is not valid JSON/ },
      { topic: 'packed', key: 'truncated', bytes: encode({ device: 'p', value: 1 }).subarray(0, 6), reason: /payload is not valid MessagePack/ },
      { topic: 'packed', key: 'packed-wrong', bytes: encode({ device: 7, value: 1 }), reason: /validation failed: device must be a string \(got 7\)/ },
    ];

    // Interleave: a valid record, then a bad one, … then a final valid record per topic.
    let ts = 100;
    json.pipeInput('ok-0', { device: 'a', value: 1 }, ts++);
    for (const [i, r] of bad.entries()) {
      (r.topic === 'readings' ? json : packed).pipeRaw(utf8(r.key), r.bytes, ts++, { trace: `t${i}` });
      if (r.topic === 'readings') json.pipeInput(`ok-${i + 1}`, { device: 'a', value: i + 2 }, ts++);
      else packed.pipeInput(`ok-${i + 1}`, { device: `dev${i}`, value: 0 }, ts++);
    }

    // Valid records: ok-0 .. ok-8 = 9, all processed; values 1..7 doubled on 'doubled'.
    expect(d.metrics().processed).toBe(9);
    expect(d.createOutputTopic('doubled', Serdes.string(), Serdes.json<number>()).readValuesToList()).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(d.createOutputTopic('devices', Serdes.string(), Serdes.string()).readValuesToList()).toEqual(['dev6', 'dev7']);

    // Every bad record is on test-dlq, in order, with its original key/value bytes and timestamp.
    const dlq: TestOutputRecord<Uint8Array, Uint8Array>[] = d.createOutputTopic('test-dlq', Serdes.bytes(), Serdes.bytes()).readRecordsToList();
    expect(dlq).toHaveLength(bad.length);
    expect(d.metrics().deadLettered).toBe(bad.length);
    for (const [i, r] of bad.entries()) {
      const rec = dlq[i] as TestOutputRecord<Uint8Array, Uint8Array>;
      expect(text(rec.key as Uint8Array)).toBe(r.key);
      // Same bytes (compared as a Buffer: element-wise deep equality of a 1 MiB array is slow).
      // (the 1 MiB one cut to DLQ_MAX_RECORD_BYTES so that the broker takes the copy).
      const kept = r.key === 'huge' ? r.bytes.subarray(0, DLQ_MAX_RECORD_BYTES - r.key.length) : r.bytes;
      expect(Buffer.compare(rec.value as Uint8Array, kept)).toBe(0);
      expect(text(rec.headers[DLQ_HEADERS.stage])).toBe('deserialization');
      expect(text(rec.headers[DLQ_HEADERS.code])).toBe('RIVULET_SERDE_DESERIALIZE');
      expect(text(rec.headers[DLQ_HEADERS.reason])).toMatch(r.reason);
      expect(text(rec.headers[DLQ_HEADERS.topic])).toBe(r.topic);
      // The original headers travel along.
      expect(text(rec.headers['trace'])).toBe(`t${i}`);
    }
    // Source offsets: bad record i sits after 1 + i records on 'readings' (ok-0, then pairs);
    // on 'packed' the first bad record is offset 0, the second offset 2.
    expect(dlq.map((r) => text(r.headers[DLQ_HEADERS.offset]))).toEqual(['1', '3', '5', '7', '9', '11', '0', '2']);
    // The huge payload's reason is clipped, not a megabyte of text.
    expect((text(dlq[3]?.headers[DLQ_HEADERS.reason]) ?? '').length).toBeLessThan(1000);
  });

  it('a dead-letter copy of an oversized record is cut to DLQ_MAX_RECORD_BYTES, with its sizes and hash in headers', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const raw = d.createInputTopic('readings', Serdes.string(), Serdes.bytes());
    const huge = utf8(`{"device": "${'x'.repeat(1_100_000)}`); // 1.1 MB, not valid JSON
    raw.pipeInput('big', huge, 1);
    raw.pipeInput('small', utf8('{'), 2);
    const dlq = d.createOutputTopic('test-dlq', Serdes.string(), Serdes.bytes()).readRecordsToList();
    expect(dlq).toHaveLength(2);
    const [big, small] = dlq as [TestOutputRecord<string, Uint8Array>, TestOutputRecord<string, Uint8Array>];
    const cut = big.value as Uint8Array;
    expect(big.key).toBe('big');
    expect(cut.length).toBe(DLQ_MAX_RECORD_BYTES - 3);
    expect(Buffer.from(cut).equals(Buffer.from(huge.subarray(0, cut.length)))).toBe(true);
    expect(text(big.headers[DLQ_HEADERS.valueSize])).toBe(String(huge.length));
    expect(text(big.headers[DLQ_HEADERS.keySize])).toBe('3');
    expect(text(big.headers[DLQ_HEADERS.valueSha256])).toBe(createHash('sha256').update(huge).digest('hex'));
    expect(text(big.headers[DLQ_HEADERS.stage])).toBe('deserialization');
    // Records that fit are copied whole and carry no size headers.
    expect(text(small.value as Uint8Array)).toBe('{');
    expect(small.headers[DLQ_HEADERS.valueSize]).toBeUndefined();
  });

  it('a processing failure is dead-lettered with stage "processing" and processing continues', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const json = d.createInputTopic('readings', Serdes.string(), Serdes.json<Reading>());
    json.pipeInput('a', { device: 'a', value: 1 }, 1);
    json.pipeInput('b', { device: 'b', value: 13 }, 2); // mapValues throws
    json.pipeInput('c', { device: 'c', value: 2 }, 3);
    expect(d.createOutputTopic('doubled', Serdes.string(), Serdes.json<number>()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 2 },
      { key: 'c', value: 4 },
    ]);
    const dlq = d.createOutputTopic('test-dlq', Serdes.string(), Serdes.json<Reading>()).readRecordsToList();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.key).toBe('b');
    expect(dlq[0]?.value).toEqual({ device: 'b', value: 13 });
    expect(text(dlq[0]?.headers[DLQ_HEADERS.stage])).toBe('processing');
    expect(text(dlq[0]?.headers[DLQ_HEADERS.code])).toBe('RIVULET_PROCESSING_FAILED');
    expect(text(dlq[0]?.headers[DLQ_HEADERS.reason])).toBe('unlucky reading');
    // All three records were deserialized and handed to the topology.
    expect(d.metrics().processed).toBe(3);
    expect(d.metrics().deadLettered).toBe(1);
  });

  it("a `__proto__` key never reaches user code (no prototype pollution)", () => {
    const seen: unknown[] = [];
    const b = new StreamsBuilder();
    b.stream<string, Record<string, unknown>>('in').foreach((_k, v) => seen.push({ ...v }));
    const d = (driver = new TopologyTestDriver(b.build()));
    d.createInputTopic('in', Serdes.string(), Serdes.bytes()).pipeRaw(null, utf8('{"__proto__":{"polluted":true}}'));
    expect(seen).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(d.metrics().deadLettered).toBe(1);
  });

  it('a negative record timestamp is dead-lettered as RIVULET_SERDE_INVALID_TIMESTAMP', () => {
    const d = (driver = new TopologyTestDriver(build()));
    const json = d.createInputTopic('readings', Serdes.string(), Serdes.json<Reading>());
    json.pipeInput('neg', { device: 'a', value: 1 }, -5);
    json.pipeInput('ok', { device: 'a', value: 2 }, 5);
    expect(d.createOutputTopic('doubled', Serdes.string(), Serdes.json<number>()).readValuesToList()).toEqual([4]);
    const dlq = d.createOutputTopic('test-dlq', Serdes.string(), Serdes.bytes()).readRecordsToList();
    expect(dlq.map((r) => [r.key, text(r.headers[DLQ_HEADERS.stage]), text(r.headers[DLQ_HEADERS.code])])).toEqual([['neg', 'deserialization', 'RIVULET_SERDE_INVALID_TIMESTAMP']]);
    expect(d.metrics().processed).toBe(1);
  });
});

describe("bad input with deserializationErrorHandling 'skip' and 'fail'", () => {
  it("'skip' counts and drops the record without a dead letter", () => {
    const d = (driver = new TopologyTestDriver(build(), { deserializationErrorHandling: 'skip' }));
    const json = d.createInputTopic('readings', Serdes.string(), Serdes.bytes());
    json.pipeRaw(null, utf8('not json'), 1);
    json.pipeRaw(null, utf8('{"device":"a","value":5}'), 2);
    expect(d.createOutputTopic('doubled', Serdes.string(), Serdes.json<number>()).readValuesToList()).toEqual([10]);
    expect(d.recordsOf('test-dlq')).toEqual([]);
    expect(d.metrics().deadLettered).toBe(0);
    expect(d.metrics().processed).toBe(1);
  });

  it("'fail' stops with a TaskFailure carrying the serde error as cause", () => {
    const d = (driver = new TopologyTestDriver(build(), { deserializationErrorHandling: 'fail' }));
    const json = d.createInputTopic('readings', Serdes.string(), Serdes.bytes());
    let caught: unknown;
    try {
      json.pipeRaw(null, utf8('not json'), 1);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TaskFailure);
    expect((caught as TaskFailure).code).toBe('RIVULET_RECORD_FAILED');
    expect(((caught as TaskFailure).cause as { code?: string }).code).toBe('RIVULET_SERDE_DESERIALIZE');
  });
});
