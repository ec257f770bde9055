import { seededRandom } from '../../src/testing/seeded-random.js';
import type { Reading } from './topology.js';

const STATUS = ['Normal', 'Warning', 'Danger', 'Error'] as const;
const WEIGHTS = [0.7, 0.15, 0.1, 0.05];

function pick(rand: () => number): string {
  let x = rand();
  for (let i = 0; i < STATUS.length; i++) {
    x -= WEIGHTS[i] as number;
    if (x < 0) return STATUS[i] as string;
  }
  return 'Normal';
}

/** A generated record: a reading, or (rarely) a malformed payload to show dead-lettering. */
export type Generated = { readonly key: string; readonly reading: Reading; readonly raw?: undefined } | { readonly key: string; readonly raw: string; readonly reading?: undefined };

/**
 * Seed 004's generator: values uniform in [10, 100], 10 % outliers in
 * [200, 500] flagged Danger/Error; event time advances `stepMs` per reading with
 * ±`jitterMs` disorder, and 1 % of readings arrive up to 10 s late.
 */
export function* readings(opts: { count: number; devices: number; startMs: number; stepMs: number; jitterMs: number; seed: number; malformedEvery?: number }): Generator<Generated> {
  const rand = seededRandom(opts.seed);
  for (let i = 0; i < opts.count; i++) {
    const device = `device_${String(1 + Math.floor(rand() * opts.devices)).padStart(3, '0')}`;
    if (opts.malformedEvery !== undefined && i > 0 && i % opts.malformedEvery === 0) {
      yield { key: device, raw: i % (2 * opts.malformedEvery) === 0 ? '{"device_id": "broken", "value": ' : `{"device_id": "${device}", "value": "n/a", "timestamp": "x"}` };
      continue;
    }
    const outlier = rand() < 0.1;
    const value = outlier ? 200 + rand() * 300 : 10 + rand() * 90;
    const status = outlier ? (rand() < 0.6 ? 'Danger' : 'Error') : pick(rand);
    let ts = opts.startMs + i * opts.stepMs + Math.round((rand() * 2 - 1) * opts.jitterMs);
    if (rand() < 0.01) ts -= Math.round(rand() * 10_000);
    yield { key: device, reading: { timestamp: new Date(ts).toISOString(), value: Math.round(value * 100) / 100, device_id: device, status } };
  }
}
