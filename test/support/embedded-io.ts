import type { ConsumerRecord, Transport } from '../../src/transport/transport.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Produces JSON values with string keys. */
export async function produceJson(t: Transport, topic: string, records: readonly { key: string; value: unknown; timestamp?: number }[]): Promise<void> {
  const p = await t.producer();
  for (let i = 0; i < records.length; i += 1000) {
    await p.send(
      records.slice(i, i + 1000).map((r) => ({
        topic,
        key: enc.encode(r.key),
        value: enc.encode(JSON.stringify(r.value)),
        ...(r.timestamp === undefined ? {} : { timestamp: r.timestamp }),
      })),
    );
  }
  await p.close();
}

/** Produces a tombstone (null value) for `key`. */
export async function produceTombstone(t: Transport, topic: string, key: string): Promise<void> {
  const p = await t.producer();
  await p.send([{ topic, key: enc.encode(key), value: null }]);
  await p.close();
}

/** Every record of every partition of `topic`, read with the given isolation. */
export async function readAll(t: Transport, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<ConsumerRecord[]> {
  const offsets = await t.listOffsets(topic, { isolation });
  const reader = await t.reader({ isolation });
  const out: ConsumerRecord[] = [];
  try {
    reader.assign(offsets.map((o) => ({ topic, partition: o.partition, offset: o.earliest })));
    const done = () => offsets.every((o) => (reader.position({ topic, partition: o.partition }) ?? 0) >= o.latest);
    for (let i = 0; i < 10_000 && !done(); i++) out.push(...(await reader.poll({ maxRecords: 10_000, timeoutMs: 50 })));
  } finally {
    await reader.close();
  }
  return out;
}

/** Latest JSON value per string key (a table's final state). */
export function latestByKey(records: readonly ConsumerRecord[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const r of records) {
    const k = r.key === null ? 'null' : dec.decode(r.key);
    if (r.value === null) m.delete(k);
    else m.set(k, JSON.parse(dec.decode(r.value)));
  }
  return m;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
