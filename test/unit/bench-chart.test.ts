import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { barChartSvg, drawResults } from '../../bench/chart.js';

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

it('bench charts: peers.json draws its records/s rows and leaves out failed and memory rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-chart-'));
  try {
    writeFileSync(
      join(dir, 'peers.json'),
      JSON.stringify([
        { workload: 'W1', system: 'rivulet', recordsPerSec: 50_000, outputs: 10 },
        { workload: 'W1', system: 'kafka-streams', failed: 'runner does not exist' },
        { workload: 'memory', system: 'rivulet', recordsPerSec: 30_000, rssBytes: 9e8 },
        { workload: 'iot-broker', system: 'kafkajs-consumer', recordsPerSec: 40_000, p50Ms: 20, p99Ms: 100 },
      ]),
    );
    expect(drawResults(dir)).toEqual([`${dir}/peers.svg`]);
    const svg = readFileSync(join(dir, 'peers.svg'), 'utf8');
    expect(svg).toContain('W1 rivulet: 50,000 records/s');
    expect(svg).toContain('iot-broker kafkajs-consumer: 40,000 records/s');
    expect(svg).not.toContain('kafka-streams');
    expect(svg).not.toContain('memory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
