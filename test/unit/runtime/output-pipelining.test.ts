import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { TransportErrorCode, transportError } from '../../../src/transport/transport-error-codes.js';
import type { GroupConsumer, Producer, Transport } from '../../../src/transport/transport.js';
import { eventually, produceJson, readAll } from '../../support/embedded-io.js';

// The stream thread sends outputs while it processes (src/runtime/output-pipeline.ts) instead of
// holding them until the commit; the commit still acknowledges input only after every output of
// it is written.

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const dec = new TextDecoder();

/** `target` with some methods replaced; the others are called on `target` itself (its private fields need it). */
function override<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(obj, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return (overrides as Record<PropertyKey, unknown>)[prop];
      const v: unknown = Reflect.get(obj, prop, obj);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(obj) : v;
    },
  });
}

/** The embedded transport, with every producer send and consumer commit logged, and a hook on sends. */
function observed(onSend: (n: number) => Promise<void> | void = () => undefined) {
  const inner = broker.transport();
  const log: string[] = [];
  let sends = 0;
  let producers = 0;
  const t = override<Transport>(inner, {
    producer: async (o) => {
      const p = await inner.producer(o);
      const id = ++producers;
      return override<Producer>(p, {
        send: async (records) => {
          const n = ++sends;
          log.push(`send ${n} (producer ${id}): ${records.length}`);
          await onSend(n);
          const md = await p.send(records);
          log.push(`sent ${n}`);
          return md;
        },
      });
    },
    consumer: async (o) => {
      const c = await inner.consumer(o);
      return override<GroupConsumer>(c, {
        commit: async (offsets) => {
          log.push(`commit ${offsets.map((x) => x.offset).join(',')}`);
          await c.commit(offsets);
        },
      });
    },
  });
  return { t, log };
}

let seq = 0;
async function start(t: Transport, commitIntervalMs: number) {
  const id = `pipelining-${++seq}-${Date.now()}`;
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: `${id}-in`, partitions: 1 }]);
  const b = new StreamsBuilder();
  b.stream<string, number>(`${id}-in`, { valueSerde: Serdes.json<number>() })
    .mapValues((v) => v * 10)
    .to(`${id}-out`, { valueSerde: Serdes.json<number>() });
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-pipelining-'));
  dirs.push(stateDir);
  const app = new KafkaStreams(b.build(), { applicationId: id, stateDir, transport: t, commitIntervalMs });
  await app.start();
  await app.waitForState('RUNNING', 10_000);
  return { app, admin, id };
}

describe('stream thread output pipelining', () => {
  it('outputs are written while processing, before the commit that acknowledges their input', async () => {
    const { t, log } = observed();
    // No commit within the test: the outputs must not wait for one.
    const { app, admin, id } = await start(t, 600_000);
    await produceJson(admin, `${id}-in`, [1, 2, 3].map((v) => ({ key: `k${v}`, value: v })));
    await eventually(async () => (await readAll(admin, `${id}-out`)).length === 3, 10_000, 'outputs written before any commit');
    expect((await readAll(admin, `${id}-out`)).map((r) => JSON.parse(dec.decode(r.value as Uint8Array)) as number)).toEqual([10, 20, 30]);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual([]);
    expect((await admin.committedOffsets(id, `${id}-in`))[0]?.offset).toBeNull();
    await app.close();
    // close() commits: after the outputs, with the offset past the last input.
    expect(log.filter((l) => l.startsWith('commit'))).toEqual(['commit 3']);
    await admin.close();
  });

  it('a send that fails while in flight fails the commit: its input is never acknowledged, and is processed again', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const { t, log } = observed(async (n) => {
      if (n !== 1) return;
      // The first send hangs over several commit intervals, then fails as a broker outage would.
      await released;
      throw transportError(TransportErrorCode.NOT_CONNECTED, 'test: broker unreachable', { retriable: true });
    });
    const { app, admin, id } = await start(t, 20);
    await produceJson(admin, `${id}-in`, [1, 2, 3].map((v) => ({ key: `k${v}`, value: v })));
    await eventually(() => log.some((l) => l.startsWith('send 1')), 10_000, 'first send in flight');
    await new Promise((r) => setTimeout(r, 200));
    // While the send is in flight the commit waits for it; nothing is acknowledged.
    expect(log.filter((l) => l.startsWith('commit'))).toEqual([]);
    release();
    await eventually(async () => (await admin.committedOffsets(id, `${id}-in`))[0]?.offset === 3, 10_000, 'input committed after the redo');
    const failedAt = log.findIndex((l) => l.startsWith('send 1'));
    const firstCommit = log.findIndex((l) => l.startsWith('commit'));
    // The first commit follows a successful send of a new producer (the failed one was replaced).
    expect(firstCommit).toBeGreaterThan(failedAt);
    expect(log.slice(failedAt, firstCommit).some((l) => /^sent \d+$/.test(l))).toBe(true);
    expect(log.slice(0, firstCommit).filter((l) => /producer 1\)/.test(l))).toHaveLength(1);
    const out = (await readAll(admin, `${id}-out`)).map((r) => JSON.parse(dec.decode(r.value as Uint8Array)) as number);
    expect(out).toEqual([10, 20, 30]);
    expect(app.state()).toBe('RUNNING');
    await app.close();
    await admin.close();
  });
});
