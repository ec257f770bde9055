import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, latestByKey, produceJson, readAll } from '../../support/embedded-io.js';

const dirs: string[] = [];
const apps: KafkaStreams[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function totalsTopology() {
  const b = new StreamsBuilder();
  b.stream<string, { amount: number }>('payments', { keySerde: Serdes.string(), valueSerde: Serdes.json() })
    .groupByKey()
    .aggregate(() => 0, (_k, v, sum: number) => sum + v.amount, { storeName: 'totals-store' })
    .toStream()
    .to('totals', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
  return b.build();
}

function app(broker: EmbeddedBroker, stateDir: string, extra: Partial<ConstructorParameters<typeof KafkaStreams>[1]> = {}): KafkaStreams {
  const a = new KafkaStreams(totalsTopology(), { applicationId: 'payments-app', stateDir, embeddedBroker: broker, commitIntervalMs: 100, ...extra });
  apps.push(a);
  return a;
}

const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
function payments(n: number, offset = 0) {
  return Array.from({ length: n }, (_, i) => ({ key: users[(i + offset) % users.length] as string, value: { amount: ((i + offset) % 7) + 1 } }));
}
function expectedTotals(all: { key: string; value: { amount: number } }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of all) m.set(p.key, (m.get(p.key) ?? 0) + p.value.amount);
  return m;
}

describe('KafkaStreams on the embedded broker', () => {
  it('two instances split four partitions; when one closes the other takes over with restored state; totals exact', async () => {
    const broker = new EmbeddedBroker();
    const t = broker.transport();
    await t.connect();
    await t.createTopics([{ topic: 'payments', partitions: 4 }]);
    const d1 = mkdtempSync(join(tmpdir(), 'rivulet-a-'));
    const d2 = mkdtempSync(join(tmpdir(), 'rivulet-b-'));
    dirs.push(d1, d2);
    const a = app(broker, d1);
    const b = app(broker, d2);
    await a.start();
    await b.start();
    await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks + b.metrics().tasks === 4 && a.metrics().tasks > 0 && b.metrics().tasks > 0, 20_000, 'both instances running with 2 tasks each');
    expect(a.metrics().tasks).toBe(2);

    const first = payments(2000);
    await produceJson(t, 'payments', first);
    await eventually(async () => {
      const latest = latestByKey(await readAll(t, 'totals'));
      const want = expectedTotals(first);
      return [...want].every(([k, v]) => latest.get(k) === v);
    }, 20_000, 'totals of the first batch');

    await b.close();
    await eventually(() => a.metrics().tasks === 4 && a.state() === 'RUNNING', 20_000, 'a owns all 4 tasks');
    const second = payments(1000, 3);
    await produceJson(t, 'payments', second);
    const want = expectedTotals([...first, ...second]);
    await eventually(async () => {
      const latest = latestByKey(await readAll(t, 'totals'));
      return [...want].every(([k, v]) => latest.get(k) === v);
    }, 20_000, 'totals after takeover');
    // Interactive query over the instance's tasks.
    expect(a.store<string, number>('totals-store').get('user-3')).toBe(want.get('user-3'));
    await t.close();
  }, 60_000);

  it('a new instance whose state directory was deleted restores from the changelog and continues exactly', async () => {
    const broker = new EmbeddedBroker();
    const t = broker.transport();
    await t.connect();
    await t.createTopics([{ topic: 'payments', partitions: 2 }]);
    const d1 = mkdtempSync(join(tmpdir(), 'rivulet-c-'));
    dirs.push(d1);
    const a = app(broker, d1);
    await a.start();
    await a.waitForState('RUNNING');
    const first = payments(500);
    await produceJson(t, 'payments', first);
    await eventually(async () => {
      const latest = latestByKey(await readAll(t, 'totals'));
      return [...expectedTotals(first)].every(([k, v]) => latest.get(k) === v);
    });
    await a.close();
    rmSync(d1, { recursive: true, force: true });

    const restored: number[] = [];
    const b = app(broker, d1);
    b.onRestore((p) => restored.push(p.restored));
    await b.start();
    await b.waitForState('RUNNING');
    const second = payments(300, 5);
    await produceJson(t, 'payments', second);
    const want = expectedTotals([...first, ...second]);
    await eventually(async () => {
      const latest = latestByKey(await readAll(t, 'totals'));
      return [...want].every(([k, v]) => latest.get(k) === v);
    });
    expect(restored.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    await t.close();
  }, 60_000);
});
