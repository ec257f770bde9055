/**
 * The broker benchmark's rows in bench/results/peers.json and its section of
 * peers.md. Two benchmarks write those files: bench/peers.bench.ts (every
 * peer, engine and broker) and bench/broker.bench.ts (`client-pipe`,
 * `rivulet`, `rivulet-eos` on workload `iot-broker`). Each merges instead of
 * overwriting, so a run of one keeps the other's rows and text.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throughput row of the broker benchmark, as peers.json holds it. */
export interface BrokerRow {
  workload: 'iot-broker';
  system: string;
  recordsPerSec?: number;
  records?: number;
  seconds?: number;
  outputs?: number;
  note?: string;
}

/** Systems only the broker benchmark measures; peers.bench.ts carries their rows over. */
export const PIPE_SYSTEMS: readonly string[] = ['client-pipe', 'rivulet-eos'];
/** Latency fields of a peers.bench.ts row, kept when the broker benchmark replaces its throughput. */
const LATENCY_FIELDS = ['p50Ms', 'p99Ms', 'latencySamples', 'latencyFailed'] as const;
const BEGIN = '<!-- iot-broker-pipe:begin -->';
const END = '<!-- iot-broker-pipe:end -->';

type Row = Record<string, unknown> & { workload?: unknown; system?: unknown };

function readRows(dir: string): Row[] {
  const file = join(dir, 'peers.json');
  if (!existsSync(file)) return [];
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return Array.isArray(parsed) ? (parsed as Row[]) : [];
}

/** The section between the markers in `md`, markers included; `undefined` when absent. */
function section(md: string): string | undefined {
  const i = md.indexOf(BEGIN);
  const j = md.indexOf(END);
  return i < 0 || j < i ? undefined : md.slice(i, j + END.length);
}

/**
 * Writes `rows` into peers.json (a row of the same workload and system is
 * replaced, keeping its latency fields; others stay) and the ratios into
 * peers.md between the `iot-broker-pipe` markers.
 */
export function mergeIntoPeers(dir: string, rows: readonly BrokerRow[], meta: { when: string; records: number; lines: readonly string[] }): void {
  const all = readRows(dir);
  for (const row of rows) {
    const i = all.findIndex((r) => r.workload === row.workload && r.system === row.system);
    const merged: Row = { ...row, note: `throughput from RIVULET_BENCH=broker (${meta.when})${i >= 0 && all[i]?.['p50Ms'] !== undefined ? '; latency from the peers run' : ''}` };
    if (i >= 0) {
      for (const f of LATENCY_FIELDS) if (all[i]?.[f] !== undefined) merged[f] = all[i]?.[f];
      all[i] = merged;
    } else {
      let last = -1;
      all.forEach((r, k) => {
        if (r.workload === row.workload) last = k;
      });
      all.splice(last + 1, 0, merged);
    }
  }
  writeFileSync(join(dir, 'peers.json'), `${JSON.stringify(all, null, 2)}\n`);
  const fmt = (x: number | undefined) => (x === undefined ? '' : x.toLocaleString('en-US'));
  const text = [
    BEGIN,
    `On the broker, against the client (RIVULET_BENCH=broker, ${meta.when}, ${fmt(meta.records)} readings): rivulet next to a consume → transform → produce pipe on its own default client with the same output volume.`,
    '',
    '| system | records/s | seconds |',
    '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.system} | ${fmt(r.recordsPerSec)} | ${r.seconds?.toFixed(2) ?? ''} |`),
    '',
    ...meta.lines.map((l) => `${l}  `),
    END,
  ].join('\n');
  const mdFile = join(dir, 'peers.md');
  const md = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
  const old = section(md);
  writeFileSync(mdFile, old === undefined ? `${md.replace(/\n*$/, '\n\n')}${text}\n` : md.replace(old, text));
}

/** For peers.bench.ts: rows of {@link PIPE_SYSTEMS} in the current peers.json that `fresh` does not hold. */
export function carriedPipeRows(dir: string, fresh: readonly { workload: string; system: string }[]): Row[] {
  return readRows(dir).filter((r) => r.workload === 'iot-broker' && PIPE_SYSTEMS.includes(String(r.system)) && !fresh.some((f) => f.workload === r.workload && f.system === r.system));
}

/** For peers.bench.ts: the broker benchmark's section of the current peers.md ('' when none), to append to a new one. */
export function carriedPipeSection(dir: string): string {
  const mdFile = join(dir, 'peers.md');
  const old = existsSync(mdFile) ? section(readFileSync(mdFile, 'utf8')) : undefined;
  return old === undefined ? '' : `\n${old}\n`;
}
