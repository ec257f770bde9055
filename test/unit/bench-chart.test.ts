import { expect, it } from 'vitest';
import { barChartSvg } from '../../bench/chart.js';

it('bench charts draw one bar per result, taller for larger rates on the log axis', () => {
  const svg = barChartSvg('t', [
    { group: 'W1', series: 'wasm', value: 4_000_000 },
    { group: 'W1', series: 'ts', value: 600_000 },
    { group: 'W2', series: 'wasm', value: 400_000 },
  ]);
  const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="22" height="([\d.]+)"/g)].map((m) => Number(m[1]));
  expect(heights).toHaveLength(3);
  expect(heights[0]).toBeGreaterThan(heights[1] as number);
  expect(heights[1]).toBeGreaterThan(heights[2] as number);
  expect(svg).toContain('W1 wasm: 4,000,000 records/s');
});
