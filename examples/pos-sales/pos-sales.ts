/**
 * Seed 002's point-of-sale aggregations: the running total per product, and the
 * amount per product in tumbling 5-minute and hopping 10-minute / 5-minute
 * windows of the sale time, accepting sales up to 10 minutes late (Spark's
 * `withWatermark("create_date", "10 minutes")`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { TimeWindows, type Windowed } from '../../src/dsl/windows.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import type { Topology } from '../../src/topology/topology.js';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import { EmbeddedBroker } from '../../src/transport/embedded/embedded-broker.js';
import type { Transport } from '../../src/transport/transport.js';

export interface Sale {
  readonly product_id: string;
  readonly amount: number;
  /** ISO time of the sale. */
  readonly create_date: string;
}

export const POS_TOPIC = 'pos';
export const STORES = { totals: 'product-totals', tumbling: 'sales-5m', hopping: 'sales-10m-every-5m' } as const;

const sum = (_k: string, s: Sale, total: number) => Math.round((total + s.amount) * 100) / 100;

export function posTopology(print?: (text: string) => void): Topology {
  const b = new StreamsBuilder();
  const byProduct = b
    .stream<string | null, Sale>(POS_TOPIC, {
      valueSerde: Serdes.json<Sale>(),
      timestampExtractor: (r) => Date.parse((r.value as Sale).create_date),
    })
    .groupBy((_k, s) => s.product_id, { name: 'by-product' });
  const totals = byProduct.aggregate(() => 0, sum, { storeName: STORES.totals });
  byProduct.windowedBy(TimeWindows.ofSizeAndGrace('5m', '10m')).aggregate(() => 0, sum, { storeName: STORES.tumbling });
  byProduct.windowedBy(TimeWindows.ofSizeAndGrace('10m', '10m').advanceBy('5m')).aggregate(() => 0, sum, { storeName: STORES.hopping });
  if (print !== undefined) totals.toConsole({ mode: 'update', title: 'total_amount per product', print });
  return b.build();
}

/** Sales spread over `minutes`, up to 8 minutes out of order (inside the 10-minute grace). */
export function sales(n: number, minutes: number, seed = 2): Sale[] {
  const rand = seededRandom(seed);
  const start = Date.parse('2025-03-01T09:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const t = start + Math.floor((i / n) * minutes * 60_000) - Math.floor(rand() * 8 * 60_000);
    return { product_id: `p${Math.floor(rand() * 5)}`, amount: Math.round(rand() * 10_000) / 100, create_date: new Date(Math.max(start, t)).toISOString() };
  });
}

export interface PosResult {
  readonly totals: Map<string, number>;
  /** `<product>@<window start ISO>` → amount. */
  readonly tumbling: Map<string, number>;
  readonly hopping: Map<string, number>;
}

/** Produces the sales, processes them once (`runUntilCaughtUp`) and returns the three tables. */
export async function runPosSales(input: readonly Sale[], options: { brokers?: string[]; print?: (text: string) => void } = {}): Promise<PosResult> {
  const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-pos-'));
  const broker = options.brokers === undefined ? new EmbeddedBroker() : undefined;
  const admin: Transport = broker?.transport() ?? createKafkaTransport({ brokers: options.brokers as string[] });
  const result: PosResult = { totals: new Map(), tumbling: new Map(), hopping: new Map() };
  try {
    await admin.connect();
    await admin.createTopics([{ topic: POS_TOPIC, partitions: 2 }]);
    const producer = await admin.producer();
    const enc = new TextEncoder();
    await producer.send(input.map((s) => ({ topic: POS_TOPIC, key: enc.encode(s.product_id), value: enc.encode(JSON.stringify(s)) })));
    await producer.close();
    const app = new KafkaStreams(posTopology(options.print), {
      applicationId: `pos-${Date.now()}`,
      stateDir,
      commitIntervalMs: 200,
      ...(broker === undefined ? { brokers: options.brokers as string[] } : { embeddedBroker: broker }),
    });
    const windows = (store: string, into: Map<string, number>) => {
      for (const e of app.store<string, number>(store).all() as unknown as { key: string; windowStart: number; value: number }[]) {
        into.set(`${e.key}@${new Date(e.windowStart).toISOString()}`, e.value);
      }
    };
    app.onStateChange((next) => {
      if (next !== 'PENDING_SHUTDOWN') return;
      for (const e of app.store<string, number>(STORES.totals).all()) result.totals.set(e.key, e.value);
      windows(STORES.tumbling, result.tumbling);
      windows(STORES.hopping, result.hopping);
    });
    await app.runUntilCaughtUp({ timeoutMs: 120_000 });
    return result;
  } finally {
    await admin.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export type { Windowed };
