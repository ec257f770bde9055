import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { JoinWindows } from '../../src/dsl/windows.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, latestByKey, produceJson, produceTombstone, readAll } from './embedded-io.js';

/** Where the scenarios run: a broker reachable through `admin()`, and how instances reach it. */
export interface RuntimeEnvironment {
  /** A connected transport for creating topics, producing input and reading output. */
  admin(): Promise<Transport>;
  /** Options that point a `KafkaStreams` instance at the same broker. */
  instanceOptions(): Partial<KafkaStreamsOptions>;
  /** Bound on each wait (rebalances on real Kafka take seconds). */
  readonly waitMs: number;
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

/**
 * Several `KafkaStreams` instances of one application on one broker: they split
 * partitions, take over with restored state, and rebuild wiped state from the
 * changelog — the running per-key totals must come out exact.
 */
export function describeRuntimeScenarios(name: string, env: RuntimeEnvironment): void {
  describe(`KafkaStreams on ${name}`, () => {
    const dirs: string[] = [];
    const apps: KafkaStreams[] = [];
    afterEach(async () => {
      for (const a of apps.splice(0)) await a.close();
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    const setup = async (partitions: number) => {
      const id = randomUUID().slice(0, 8);
      const input = `payments-${id}`;
      const output = `totals-${id}`;
      const admin = await env.admin();
      await admin.createTopics([{ topic: input, partitions }, { topic: output, partitions }]);
      const topology = () => {
        const b = new StreamsBuilder();
        b.stream<string, { amount: number }>(input, { keySerde: Serdes.string(), valueSerde: Serdes.json() })
          .groupByKey()
          .aggregate(() => 0, (_k, v, sum: number) => sum + v.amount, { storeName: 'totals-store' })
          .toStream()
          .to(output, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
        return b.build();
      };
      const newApp = (stateDir?: string): KafkaStreams => {
        const dir = stateDir ?? mkdtempSync(join(tmpdir(), 'rivulet-rt-'));
        if (stateDir === undefined) dirs.push(dir);
        const a = new KafkaStreams(topology(), { applicationId: `payments-app-${id}`, stateDir: dir, commitIntervalMs: 200, ...env.instanceOptions() });
        apps.push(a);
        return a;
      };
      const totalsMatch = async (want: Map<string, number>): Promise<boolean> => {
        const latest = latestByKey(await readAll(admin, output));
        return [...want].every(([k, v]) => latest.get(k) === v);
      };
      return { admin, input, newApp, totalsMatch };
    };

    it('two instances split four partitions; when one closes the other takes over with restored state; totals exact', async () => {
      const { admin, input, newApp, totalsMatch } = await setup(4);
      const a = newApp();
      const b = newApp();
      await a.start();
      await b.start();
      await eventually(
        () => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks === 2 && b.metrics().tasks === 2,
        env.waitMs,
        'both instances running with 2 tasks each',
      );
      const first = payments(2000);
      await produceJson(admin, input, first);
      await eventually(() => totalsMatch(expectedTotals(first)), env.waitMs, 'totals of the first batch');

      await b.close();
      await eventually(() => a.metrics().tasks === 4 && a.state() === 'RUNNING', env.waitMs, 'a owns all 4 tasks');
      const second = payments(1000, 3);
      await produceJson(admin, input, second);
      const want = expectedTotals([...first, ...second]);
      await eventually(() => totalsMatch(want), env.waitMs, 'totals after takeover');
      expect(a.store<string, number>('totals-store').get('user-3')).toBe(want.get('user-3'));
      await admin.close();
    }, 6 * 60_000);

    it('a global table is loaded from every partition before processing and followed while running; each instance holds all of it', async () => {
      const id = randomUUID().slice(0, 8);
      const [orders, regions, enriched] = [`orders-${id}`, `regions-${id}`, `enriched-${id}`];
      const admin = await env.admin();
      await admin.createTopics([{ topic: orders, partitions: 4 }, { topic: regions, partitions: 3 }, { topic: enriched, partitions: 4 }]);
      // The table is keyed by state; orders carry a state, so the join key is not the order's key.
      const states = Array.from({ length: 30 }, (_, i) => `state-${i}`);
      await produceJson(admin, regions, states.map((st, i) => ({ key: st, value: `region-${i % 4}` })));
      const topology = () => {
        const b = new StreamsBuilder();
        const table = b.globalTable<string, string>(regions, { keySerde: Serdes.string(), valueSerde: Serdes.json<string>() }, { storeName: 'regions-store' });
        b.stream<string, { state: string }>(orders, { keySerde: Serdes.string(), valueSerde: Serdes.json() })
          .leftJoin(table, (_k, o) => o.state, (o, region) => ({ ...o, region: region ?? 'unknown' }))
          .to(enriched, { keySerde: Serdes.string(), valueSerde: Serdes.json() });
        return b.build();
      };
      const newApp = () => {
        const dir = mkdtempSync(join(tmpdir(), 'rivulet-rt-'));
        dirs.push(dir);
        const a = new KafkaStreams(topology(), { applicationId: `orders-app-${id}`, stateDir: dir, commitIntervalMs: 200, ...env.instanceOptions() });
        apps.push(a);
        return a;
      };
      // Orders already waiting when the instances start must all find their region.
      await produceJson(admin, orders, states.map((st, i) => ({ key: `order-${i}`, value: { state: st } })));
      const a = newApp();
      const b = newApp();
      const restored: number[] = [];
      a.onRestore((p) => p.task === 'global' && restored.push(p.restored));
      await a.start();
      await b.start();
      await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING', env.waitMs, 'both instances running');
      for (const app of [a, b]) expect(app.store<string, string>('regions-store').all()).toHaveLength(30);
      expect(Math.max(...restored)).toBe(30);
      const firstBatch = async () => {
        const out = latestByKey(await readAll(admin, enriched)) as Map<string, { region: string }>;
        return out.size === 30 && [...out].every(([k, v]) => v.region === `region-${Number(k.slice(6)) % 4}`);
      };
      await eventually(firstBatch, env.waitMs, 'every waiting order joined with its region');

      // A table update reaches both instances; later orders see it, a deletion leaves them unmatched.
      await produceJson(admin, regions, [{ key: 'state-1', value: 'region-new' }]);
      await produceTombstone(admin, regions, 'state-2');
      await eventually(
        () => [a, b].every((app) => app.store<string, string>('regions-store').get('state-1') === 'region-new' && app.store<string, string>('regions-store').get('state-2') === undefined),
        env.waitMs,
        'the table update on both instances',
      );
      await produceJson(admin, orders, [
        { key: 'late-1', value: { state: 'state-1' } },
        { key: 'late-2', value: { state: 'state-2' } },
      ]);
      await eventually(
        async () => {
          const out = latestByKey(await readAll(admin, enriched)) as Map<string, { region: string }>;
          return out.get('late-1')?.region === 'region-new' && out.get('late-2')?.region === 'unknown';
        },
        env.waitMs,
        'later orders joined with the updated table',
      );
      await admin.close();
    }, 6 * 60_000);

    it('impressions ⨝ clicks (left join, exactly-once) across two instances with a rebalance mid-run equals the batch-computed join', async () => {
      const id = randomUUID().slice(0, 8);
      const [impressions, clicks, out] = [`impressions-${id}`, `clicks-${id}`, `ad-joined-${id}`];
      const admin = await env.admin();
      await admin.createTopics([{ topic: impressions, partitions: 4 }, { topic: clicks, partitions: 4 }, { topic: out, partitions: 4 }]);
      const base = 1_700_000_000_000;
      // 1 200 impressions one second apart over 40 ads; a third are clicked 0–12 s later (12 s misses the 10 s window).
      const imps = Array.from({ length: 1200 }, (_, i) => ({ key: `ad-${i % 40}`, value: `i${i}`, timestamp: base + i * 1000 }));
      const clks = imps.filter((_, i) => i % 3 === 0).map((imp, j) => ({ key: imp.key, value: `c${j}`, timestamp: imp.timestamp + (j % 13) * 1000 }));
      const expected: string[] = [];
      for (const imp of imps) {
        const matches = clks.filter((c) => c.key === imp.key && c.timestamp >= imp.timestamp && c.timestamp <= imp.timestamp + 10_000);
        if (matches.length === 0) expected.push(`${imp.key}:${imp.value}|-`);
        for (const c of matches) expected.push(`${imp.key}:${imp.value}|${c.value}`);
      }
      const topology = () => {
        const b = new StreamsBuilder();
        const i = b.stream<string, string>(impressions, { keySerde: Serdes.string(), valueSerde: Serdes.json() });
        const c = b.stream<string, string>(clicks, { keySerde: Serdes.string(), valueSerde: Serdes.json() });
        // A grace far above any fetch skew between the two topics, so no record is late.
        i.leftJoin(c, (imp, click) => `${imp}|${click ?? '-'}`, JoinWindows.ofTimeDifferenceAndGrace('10s', '10m').before(0), { name: 'ad-join' }).to(out, {
          keySerde: Serdes.string(),
          valueSerde: Serdes.json(),
        });
        return b.build();
      };
      const newApp = () => {
        const dir = mkdtempSync(join(tmpdir(), 'rivulet-rt-'));
        dirs.push(dir);
        const a = new KafkaStreams(topology(), { applicationId: `ads-${id}`, stateDir: dir, commitIntervalMs: 200, processingGuarantee: 'exactly_once', ...env.instanceOptions() });
        apps.push(a);
        return a;
      };
      const joined = async () =>
        (await readAll(admin, out, 'read_committed')).map((r) => `${new TextDecoder().decode(r.key ?? new Uint8Array())}:${JSON.parse(new TextDecoder().decode(r.value ?? new Uint8Array())) as string}`);
      const half = (xs: typeof imps, first: boolean) => xs.filter((x) => (x.timestamp < base + 600_000) === first);
      const a = newApp();
      await a.start();
      await a.waitForState('RUNNING', env.waitMs);
      await produceJson(admin, impressions, half(imps, true));
      await produceJson(admin, clicks, half(clks, true));
      // Both halves' records stay within the grace of each other only if half 2 waits for half 1's pairs.
      const firstPairs = new Set(half(imps, true).flatMap((imp) => half(clks, true).filter((c) => c.key === imp.key && c.timestamp >= imp.timestamp && c.timestamp <= imp.timestamp + 10_000).map((c) => `${imp.key}:${imp.value}|${c.value}`)));
      await eventually(async () => (await joined()).filter((x) => firstPairs.has(x)).length >= firstPairs.size, env.waitMs, `${firstPairs.size} pairs of the first half`);
      const b = newApp();
      await b.start();
      await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks + b.metrics().tasks === 4 && b.metrics().tasks > 0, env.waitMs, 'the rebalance to two instances');
      await produceJson(admin, impressions, half(imps, false));
      await produceJson(admin, clicks, half(clks, false));
      // Pairs are emitted as soon as both sides are in; wait for all of them before closing the windows:
      // a task takes its partitions' records in fetch order, so an impression a day later must not
      // overtake clicks still unread on the other topic.
      const pairs = expected.filter((x) => !x.endsWith('|-')).length;
      await eventually(async () => (await joined()).filter((x) => !x.endsWith('|-')).length >= pairs, env.waitMs, `${pairs} matched pairs`);
      // One impression a day later on every partition moves each task's stream time past every window.
      const p = await admin.producer();
      await p.send([0, 1, 2, 3].map((partition) => ({ topic: impressions, partition, key: new TextEncoder().encode(`end-${partition}`), value: new TextEncoder().encode('"end"'), timestamp: base + 86_400_000 })));
      await p.close();
      await eventually(async () => (await joined()).length >= expected.length, env.waitMs, `${expected.length} joined results`);
      const got = (await joined()).sort();
      const want = expected.sort();
      expect(got).toEqual(want);
      await admin.close();
    }, 6 * 60_000);

    it('a foreign-key join between tables with different partition counts follows changes on both sides', async () => {
      const id = randomUUID().slice(0, 8);
      const [orders, customers, out] = [`fk-orders-${id}`, `fk-customers-${id}`, `fk-out-${id}`];
      const admin = await env.admin();
      await admin.createTopics([{ topic: orders, partitions: 4 }, { topic: customers, partitions: 2 }, { topic: out, partitions: 4 }]);
      const b = new StreamsBuilder();
      const o = b.table<string, { customer: string; amount: number }>(orders, { keySerde: Serdes.string(), valueSerde: Serdes.json() }, { storeName: 'fk-orders' });
      const c = b.table<string, string>(customers, { keySerde: Serdes.string(), valueSerde: Serdes.json() }, { storeName: 'fk-customers' });
      o.join(c, (order) => order.customer, (order, name) => `${name}:${order.amount}`, { name: 'orders-by-customer' })
        .toStream()
        .to(out, { keySerde: Serdes.string(), valueSerde: Serdes.json() });
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-rt-'));
      dirs.push(dir);
      const app = new KafkaStreams(b.build(), { applicationId: `fk-${id}`, stateDir: dir, commitIntervalMs: 200, ...env.instanceOptions() });
      apps.push(app);
      await app.start();
      await app.waitForState('RUNNING', env.waitMs);
      await produceJson(admin, customers, Array.from({ length: 10 }, (_, i) => ({ key: `c${i}`, value: `name${i}` })));
      await produceJson(admin, orders, Array.from({ length: 100 }, (_, i) => ({ key: `o${i}`, value: { customer: `c${i % 10}`, amount: i } })));
      const results = async () => latestByKey(await readAll(admin, out)) as Map<string, string>;
      await eventually(async () => (await results()).size === 100 && [...(await results())].every(([k, v]) => v === `name${Number(k.slice(1)) % 10}:${k.slice(1)}`), env.waitMs, '100 joined orders');
      // A customer renamed reaches its 10 orders; a customer deleted removes its 10.
      await produceJson(admin, customers, [{ key: 'c3', value: 'renamed' }]);
      await produceTombstone(admin, customers, 'c4');
      await eventually(
        async () => {
          const r = await results();
          return r.size === 90 && r.get('o13') === 'renamed:13' && r.get('o14') === undefined && r.get('o15') === 'name5:15';
        },
        env.waitMs,
        'the rename and the deletion',
      );
      await admin.close();
    }, 6 * 60_000);

    it('a new instance whose state directory was deleted restores from the changelog and continues exactly', async () => {
      const { admin, input, newApp, totalsMatch } = await setup(2);
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-rt-'));
      dirs.push(dir);
      const a = newApp(dir);
      await a.start();
      await a.waitForState('RUNNING', env.waitMs);
      const first = payments(500);
      await produceJson(admin, input, first);
      await eventually(() => totalsMatch(expectedTotals(first)), env.waitMs, 'first totals');
      await a.close();
      rmSync(dir, { recursive: true, force: true });

      const restored: number[] = [];
      const b = newApp(dir);
      b.onRestore((p) => restored.push(p.restored));
      await b.start();
      await b.waitForState('RUNNING', env.waitMs);
      const second = payments(300, 5);
      await produceJson(admin, input, second);
      await eventually(() => totalsMatch(expectedTotals([...first, ...second])), env.waitMs, 'totals after restore');
      expect(restored.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
      await admin.close();
    }, 6 * 60_000);
  });
}
