/**
 * Draws the
 * benchmark results in bench/results/*.json as SVG bar charts beside them —
 * records/s on a log scale, one group per workload, one bar per implementation.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

interface Bar {
  readonly group: string;
  readonly series: string;
  readonly value: number;
}

const COLORS = ['#1e88e5', '#f9a825', '#43a047', '#8e24aa', '#e53935', '#00897b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A grouped bar chart on a log10 axis (the implementations differ by orders of magnitude). */
export function barChartSvg(title: string, bars: readonly Bar[]): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const series = [...new Set(bars.map((b) => b.series))];
  const max = Math.max(...bars.map((b) => b.value), 10);
  const min = Math.max(1, Math.min(...bars.map((b) => b.value)) / 10);
  const [lo, hi] = [Math.floor(Math.log10(min)), Math.ceil(Math.log10(max))];
  const plotH = 260;
  const barW = 26;
  const groupW = series.length * barW + 30;
  const left = 70;
  const width = left + groups.length * groupW + 160;
  const y = (v: number) => 50 + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotH;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${plotH + 110}" font-family="sans-serif" font-size="12">`, `<text x="${left}" y="28" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (let e = lo; e <= hi; e++) {
    out.push(`<line x1="${left}" x2="${left + groups.length * groupW}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/><text x="${left - 8}" y="${y(10 ** e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 15;
    series.forEach((s, si) => {
      const b = bars.find((x) => x.group === g && x.series === s);
      if (b === undefined) return;
      out.push(`<rect x="${x0 + si * barW}" y="${y(b.value)}" width="${barW - 4}" height="${50 + plotH - y(b.value)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${g} ${s}: ${Math.round(b.value).toLocaleString('en-US')} records/s`)}</title></rect>`);
    });
    out.push(`<text x="${x0 + (series.length * barW) / 2}" y="${plotH + 70}" text-anchor="middle">${esc(g)}</text>`);
  });
  series.forEach((s, si) => out.push(`<rect x="${width - 140}" y="${50 + si * 20}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/><text x="${width - 122}" y="${61 + si * 20}">${esc(s)}</text>`));
  out.push(`<text x="${left}" y="${plotH + 95}" fill="#666">records/s (log scale)</text>`, '</svg>');
  return `${out.join('\n')}\n`;
}

/** Writes `<name>.svg` for each results file that exists. */
export function drawResults(dir: string): string[] {
  const written: string[] = [];
  const kernel = `${dir}/kernel.json`;
  if (existsSync(kernel)) {
    const rows = JSON.parse(readFileSync(kernel, 'utf8')) as { workload: string; impl: string; recordsPerSec: number }[];
    writeFileSync(`${dir}/kernel.svg`, barChartSvg('Window statistics kernel: WASM vs TypeScript reference vs native', rows.map((r) => ({ group: r.workload, series: r.impl, value: r.recordsPerSec }))));
    written.push(`${dir}/kernel.svg`);
  }
  const broker = `${dir}/broker.json`;
  if (existsSync(broker)) {
    const rows = JSON.parse(readFileSync(broker, 'utf8')) as { workload: string; system: string; recordsPerSec: number }[];
    writeFileSync(`${dir}/broker.svg`, barChartSvg('IoT topology through Kafka vs a bare kafkajs consumer', rows.map((r) => ({ group: r.workload, series: r.system, value: r.recordsPerSec }))));
    written.push(`${dir}/broker.svg`);
  }
  const peers = `${dir}/peers.json`;
  if (existsSync(peers)) {
    // Failed rows and the memory rows (bytes, not records/s) are left out.
    const rows = (JSON.parse(readFileSync(peers, 'utf8')) as { workload: string; system: string; recordsPerSec?: number; failed?: string }[]).filter(
      (r) => r.failed === undefined && r.workload !== 'memory' && typeof r.recordsPerSec === 'number' && r.recordsPerSec > 0,
    );
    if (rows.length > 0) {
      writeFileSync(`${dir}/peers.svg`, barChartSvg('rivulet and its peers: in-process test drivers and on Kafka (iot-broker)', rows.map((r) => ({ group: r.workload, series: r.system, value: r.recordsPerSec as number }))));
      written.push(`${dir}/peers.svg`);
    }
  }
  return written;
}
