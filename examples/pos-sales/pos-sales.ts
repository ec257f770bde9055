/**
 * Seed 002's point-of-sale aggregations: the running total per product, and the
 * amount per product in tumbling 5-minute and hopping 10-minute / 5-minute
 * windows of the sale time, accepting sales up to 10 minutes late (Spark's
 * `withWatermark("create_date", "10 minutes")`).
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { TimeWindows } from '../../src/dsl/windows.js';
import type { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import { seededRandom } from '../../src/testing/seeded-random.js';
import type { Topology } from '../../src/topology/topology.js';
import { runOnce, type RunOnceOptions } from '../shared/run-once.js';

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

/** Processes the sales once and returns the three tables (see `runOnce`). */
export function runPosSales(input: readonly Sale[], options: RunOnceOptions & { print?: (text: string) => void } = {}): Promise<PosResult> {
  const windows = (app: KafkaStreams, store: string) =>
    new Map(app.store<string, number>(store).all().map((e) => {
      const w = e as unknown as { key: string; windowStart: number; value: number };
      return [`${w.key}@${new Date(w.windowStart).toISOString()}`, w.value] as const;
    }));
  return runOnce(
    {
      name: 'pos-sales',
      topology: posTopology(options.print),
      topic: POS_TOPIC,
      partitions: 2,
      records: input.map((s) => ({ key: s.product_id, value: s })),
      collect: (app) => ({
        totals: new Map(app.store<string, number>(STORES.totals).all().map((e) => [e.key, e.value])),
        tumbling: windows(app, STORES.tumbling),
        hopping: windows(app, STORES.hopping),
      }),
    },
    options,
  );
}

