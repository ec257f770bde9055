/**
 * Writes the peer benchmark's input files (bench/peers/README.md has their
 * formats). Every system reads the same files, so they all process the same
 * records in the same order.
 *
 *   npx vite-node bench/peers/make-data.ts -- --out bench/.data/peers --scale 1
 *
 * Files already written for the same scale are kept (a `.done` marker names it).
 */
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/testing/seeded-random.js';

/** Record counts at scale 1. */
export const PEER_SIZES = {
  W1: 2_000_000,
  W2: 500_000,
  wordcount: 200_000,
  join: 600_000,
  memory: 1_000_000,
} as const;

const T0 = 1_700_000_000_000;

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let buf = '';
  for (const line of lines) {
    buf += line + '\n';
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
      buf = '';
    }
  }
  out.write(buf);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** `key,timestampMs,value`: `keys` devices, `perSecond` records per second of event time, ±`disorderMs`. */
function* readings(n: number, keys: number, perSecond: number, disorderMs: number, seed: number): Generator<string> {
  const rand = seededRandom(seed);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() * keys);
    const ts = T0 + Math.floor((i * 1000) / perSecond) + Math.round((rand() * 2 - 1) * disorderMs);
    const v = rand() < 0.1 ? 200 + rand() * 300 : 50 + (rand() + rand() + rand() - 1.5) * 20;
    yield `k${k},${ts},${v.toFixed(3)}`;
  }
}

/** `timestampMs,line`: 8 words per line from a 10 000-word vocabulary, log-uniform ranks (Zipf-like). */
function* lines(n: number, seed: number): Generator<string> {
  const rand = seededRandom(seed);
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    for (let w = 0; w < 8; w++) {
      const rank = Math.min(9_999, Math.floor(Math.pow(10_000, rand())) - 1);
      words.push(`w${rank}`);
    }
    yield `${T0 + i * 10},${words.join(' ')}`;
  }
}

/**
 * `side,key,timestampMs,value`: impressions (`i`) of 10 000 ads at 1 000 per
 * second of event time; 20 % are clicked (`c`) 0–8 s later. Lines are in
 * timestamp order.
 */
function* joinRecords(n: number, seed: number): Generator<string> {
  const rand = seededRandom(seed);
  const impressions = Math.round(n / 1.2);
  const pending: { ts: number; line: string }[] = []; // clicks, kept sorted by ts
  for (let i = 0; i < impressions; i++) {
    const ts = T0 + i;
    while (pending.length > 0 && (pending[0] as { ts: number }).ts <= ts) yield (pending.shift() as { line: string }).line;
    const ad = Math.floor(rand() * 10_000);
    yield `i,ad${ad},${ts},imp${i}`;
    if (rand() < 0.2) {
      const cts = ts + Math.floor(rand() * 8_000);
      const line = `c,ad${ad},${cts},clk${i}`;
      let j = pending.length;
      while (j > 0 && (pending[j - 1] as { ts: number }).ts > cts) j--;
      pending.splice(j, 0, { ts: cts, line });
    }
  }
  for (const p of pending) yield p.line;
}

/** `key,timestampMs,value`: `n` distinct keys, all inside one 10 s window that never closes. */
function* distinct(n: number, seed: number): Generator<string> {
  const rand = seededRandom(seed);
  for (let i = 0; i < n; i++) yield `m${i},${T0 + Math.floor((i * 5_000) / n)},${(rand() * 100).toFixed(3)}`;
}

/**
 * Record counts at `scale` (at least 1 000 each). `memory` does not scale: it is
 * `memoryKeys` real keys (1 000 000 unless the default benchmark run asks for fewer).
 */
export function peerSizes(scale: number, memoryKeys: number = PEER_SIZES.memory): Record<keyof typeof PEER_SIZES, number> {
  const out = {} as Record<keyof typeof PEER_SIZES, number>;
  for (const [k, v] of Object.entries(PEER_SIZES)) out[k as keyof typeof PEER_SIZES] = k === 'memory' ? memoryKeys : Math.max(1_000, Math.round(v * scale));
  return out;
}

/** Writes the files under `dir` for `scale` unless they are there already. */
export async function writePeerData(dir: string, scale: number, opts: { memory?: boolean; memoryKeys?: number } = {}): Promise<void> {
  const marker = join(dir, '.done');
  const memoryKeys = opts.memoryKeys ?? PEER_SIZES.memory;
  // v2: memory.csv holds 1 000 000 keys at every scale (or the keys the stamp names).
  const stamp = `${scale} v2${opts.memory === false ? ' no-memory' : memoryKeys === PEER_SIZES.memory ? '' : ` memory ${memoryKeys}`}`;
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === stamp) return;
  mkdirSync(dir, { recursive: true });
  const n = peerSizes(scale, memoryKeys);
  await writeLines(join(dir, 'W1.csv'), readings(n.W1, 10_000, 10_000, 2_000, 1));
  await writeLines(join(dir, 'W2.csv'), readings(n.W2, 1_000, 1_000, 2_000, 2));
  await writeLines(join(dir, 'wordcount.txt'), lines(n.wordcount, 3));
  await writeLines(join(dir, 'join.csv'), joinRecords(n.join, 4));
  if (opts.memory !== false) await writeLines(join(dir, 'memory.csv'), distinct(n.memory, 5));
  writeFileSync(marker, stamp);
}

/** One input record of a peer workload, as a runner pipes it: strings and a timestamp. */
export interface PeerRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly ts: number;
  readonly value: string;
}

/** A workload's input file as records (runners read it whole before timing). */
export function readPeerRecords(workload: 'W1' | 'W2' | 'wordcount' | 'join' | 'memory', dir: string): PeerRecord[] {
  const file = workload === 'wordcount' ? 'wordcount.txt' : `${workload}.csv`;
  const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.length > 0);
  const out: PeerRecord[] = new Array<PeerRecord>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (workload === 'wordcount') {
      const c = l.indexOf(',');
      out[i] = { topic: 'input', key: null, ts: Number(l.slice(0, c)), value: l.slice(c + 1) };
    } else if (workload === 'join') {
      const [side, key, ts, value] = l.split(',') as [string, string, string, string];
      out[i] = { topic: side === 'i' ? 'impressions' : 'clicks', key, ts: Number(ts), value };
    } else {
      const [key, ts, value] = l.split(',') as [string, string, string];
      out[i] = { topic: 'input', key, ts: Number(ts), value };
    }
  }
  return out;
}
