import { expect, it } from 'vitest';
import { runPosSales, sales } from '../../../examples/pos-sales/pos-sales.js';

const MIN = 60_000;
const round = (x: number) => Math.round(x * 100) / 100;

it('the POS example gives the totals and the 5-minute and 10-minute/5-minute window sums a plain computation gives', async () => {
  const input = sales(2_000, 45);
  // Independently: per product, and per product and epoch-aligned window containing the sale.
  const totals = new Map<string, number>();
  const tumbling = new Map<string, number>();
  const hopping = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, x: number) => m.set(k, round((m.get(k) ?? 0) + x));
  for (const s of input) {
    const t = Date.parse(s.create_date);
    add(totals, s.product_id, s.amount);
    add(tumbling, `${s.product_id}@${new Date(Math.floor(t / (5 * MIN)) * 5 * MIN).toISOString()}`, s.amount);
    for (let start = Math.floor(t / (5 * MIN)) * 5 * MIN; start > t - 10 * MIN; start -= 5 * MIN) add(hopping, `${s.product_id}@${new Date(start).toISOString()}`, s.amount);
  }
  const got = await runPosSales(input);
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort());
  expect(sorted(got.totals)).toEqual(sorted(totals));
  expect(sorted(got.tumbling)).toEqual(sorted(tumbling));
  expect(sorted(got.hopping)).toEqual(sorted(hopping));
});
