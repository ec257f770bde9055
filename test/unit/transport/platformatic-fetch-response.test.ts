import { DynamicBuffer } from '@platformatic/dynamic-buffer';
import { createRecordsBatch, fetchV12, Reader, Writer, type MessageRecord } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { controlType, decodeRecords, parseFetchResponse, type FetchResponse } from '../../../src/transport/platformatic/fetch-response.js';
import type { ConsumerRecord } from '../../../src/transport/transport.js';

const T0 = 1_745_156_400_000n;

/** A v2 batch as Kafka stores it, starting at `baseOffset`. */
function batch(baseOffset: number, messages: MessageRecord[], options: { compression?: 'none' | 'gzip'; producerId?: bigint; transactional?: boolean } = {}): Buffer {
  const bytes = Buffer.from(
    createRecordsBatch(messages, {
      compression: options.compression ?? 'none',
      producerId: options.producerId ?? -1n,
      producerEpoch: 0,
      ...(options.transactional === true ? { transactionalId: 'tx' } : {}),
    } as Parameters<typeof createRecordsBatch>[1]).buffer,
  );
  bytes.writeBigInt64BE(BigInt(baseOffset), 0);
  return bytes;
}

/** A control batch (the marker a transaction's end writes): key version 0, type `type`. */
function marker(offset: number, producerId: bigint, type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(type, 2);
  const b = batch(offset, [{ key, value: Buffer.alloc(6), topic: 't', timestamp: T0 }], { producerId, transactional: true });
  b.writeInt16BE(b.readInt16BE(21) | 0x20, 21); // control attribute; the CRC is not checked by either parser
  return b;
}

interface Part {
  readonly index: number;
  readonly error?: number;
  readonly aborted?: { producerId: bigint; firstOffset: bigint }[];
  readonly records: Buffer;
}

/** A Fetch v12 response body (after the header) for one topic. */
function response(topic: string, parts: Part[]): Buffer {
  const w = Writer.create()
    .appendInt32(0)
    .appendInt16(0)
    .appendInt32(0)
    .appendArray([topic], (w, name) => {
      w.appendString(name).appendArray(parts, (w, p) => {
        w.appendInt32(p.index)
          .appendInt16(p.error ?? 0)
          .appendInt64(1000n)
          .appendInt64(990n)
          .appendInt64(0n)
          .appendArray(p.aborted ?? [], (w, a) => {
            w.appendInt64(a.producerId).appendInt64(a.firstOffset);
          })
          .appendInt32(-1)
          .appendUnsignedVarInt(p.records.length + 1)
          .append(p.records);
      });
    })
    .appendTaggedFields();
  return Buffer.from(w.buffer);
}

/** The response as the connection hands it to a parser: in socket chunks of `size` bytes. */
function chunked(bytes: Buffer, size: number): Reader {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return new Reader(new DynamicBuffer(chunks));
}

function decodeAll(r: FetchResponse, from = 0): ConsumerRecord[] {
  const out: ConsumerRecord[] = [];
  for (const t of r.responses) for (const p of t.partitions) for (const b of p.batches) decodeRecords(b, t.topicId, p.partitionIndex, from, false, out);
  return out;
}

/** What the library's own parser makes of the same bytes, as consumer records. */
function oracle(bytes: Buffer, topic: string): ConsumerRecord[] {
  let parsed: fetchV12.FetchResponse;
  try {
    parsed = fetchV12.parseResponse(0, 1, 12, Reader.from(bytes));
  } catch (e) {
    parsed = (e as { response: fetchV12.FetchResponse }).response;
  }
  const out: ConsumerRecord[] = [];
  for (const t of parsed.responses) {
    for (const p of t.partitions) {
      for (const b of p.records ?? []) {
        for (const r of b.records) {
          const headers: Record<string, Uint8Array> = {};
          for (const [k, v] of r.headers) if (k !== null) headers[k.toString()] = v ?? new Uint8Array(0);
          out.push({ topic, partition: p.partitionIndex, offset: Number(b.firstOffset) + r.offsetDelta, key: r.key, value: r.value, timestamp: Number(b.firstTimestamp + r.timestampDelta), headers });
        }
      }
    }
  }
  return out;
}

const plain = (rs: ConsumerRecord[]) =>
  rs.map((r) => ({ ...r, key: r.key === null ? null : Buffer.from(r.key).toString('hex'), value: r.value === null ? null : Buffer.from(r.value).toString('hex'), headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, Buffer.from(v).toString('hex')])) }));

describe('Fetch v12 response decoding (platformatic transport)', () => {
  const messages = (n: number, at: bigint): MessageRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      topic: 'events',
      key: i % 7 === 3 ? (undefined as unknown as Buffer) : Buffer.from(`device-${i}`),
      // A long value spans several socket chunks; every 5th is a tombstone.
      value: i % 5 === 4 ? (null as unknown as Buffer) : Buffer.from(`{"reading":${i},"pad":"${'x'.repeat(i * 37)}"}`),
      timestamp: at + BigInt(i * 1_000_003),
      ...(i % 3 === 0 ? { headers: new Map([[Buffer.from('trace-é'), Buffer.from(`h${i}`)], [Buffer.from('empty'), Buffer.alloc(0)]]) } : {}),
    }));

  it('decodes what the library decodes, from a response in many small chunks: keys, nulls, tombstones, headers, timestamps, gzip batches', () => {
    const p0 = Buffer.concat([batch(100, messages(40, T0)), batch(140, messages(30, T0 + 5n), { compression: 'gzip' })]);
    const p1 = batch(7, messages(25, T0 - 86_400_000n));
    const bytes = response('events', [
      { index: 0, records: p0 },
      { index: 3, records: p1 },
    ]);
    const want = oracle(bytes, 'events');
    expect(want.length).toBe(95);
    for (const size of [1, 7, 64, 4096, bytes.length]) {
      const got = decodeAll(parseFetchResponse(0, 1, 12, chunked(bytes, size)));
      expect(plain(got)).toEqual(plain(want));
    }
    const [first] = decodeAll(parseFetchResponse(0, 1, 12, chunked(bytes, 64)));
    expect(first?.headers['trace-é']).toBeDefined();
  });

  it('leaves out records before the fetch position and a batch the size limit cut off', () => {
    const whole = Buffer.concat([batch(0, messages(10, T0)), batch(10, messages(10, T0))]);
    const cut = whole.subarray(0, whole.length - 9);
    const r = parseFetchResponse(0, 1, 12, chunked(response('events', [{ index: 0, records: cut }]), 13));
    const p = r.responses[0]!.partitions[0]!;
    expect(p.batches).toHaveLength(1);
    expect(p.highWatermark).toBe(1000);
    expect(p.lastStableOffset).toBe(990);
    expect(decodeAll(r, 4).map((x) => x.offset)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('reads partition errors, aborted transactions and control markers', () => {
    const records = Buffer.concat([batch(0, messages(3, T0), { producerId: 9n, transactional: true }), marker(3, 9n, 0), marker(4, 5n, 1)]);
    const r = parseFetchResponse(
      0,
      1,
      12,
      chunked(
        response('events', [
          { index: 0, aborted: [{ producerId: 9n, firstOffset: 0n }], records },
          { index: 1, error: 1, records: Buffer.alloc(0) },
        ]),
        5,
      ),
    );
    const [p0, p1] = r.responses[0]!.partitions;
    expect(p0!.abortedTransactions).toEqual([{ producerId: 9n, firstOffset: 0 }]);
    expect(p0!.batches.map((b) => [b.firstOffset, b.producerId, b.attributes & 0x30])).toEqual([
      [0, 9n, 0x10],
      [3, 9n, 0x30],
      [4, 5n, 0x30],
    ]);
    expect(p0!.batches.map(controlType)).toEqual([-1, 0, 1]);
    expect(p1!.errorCode).toBe(1);
    expect(p1!.batches).toEqual([]);
  });

  it('names a record format it cannot read', () => {
    const old = batch(0, messages(2, T0));
    old.writeInt8(1, 16); // magic
    expect(() => parseFetchResponse(0, 1, 12, chunked(response('events', [{ index: 0, records: old }]), 50))).toThrow(/format v1; rivulet reads v2 batches/);
  });
});
