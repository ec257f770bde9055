import type { WindowSpec } from '../src/wasm/window-stats-kernel.js';
import { seededRandom } from '../src/testing/seeded-random.js';

/** Records as columns, exactly what a task hands the kernel after interning keys. */
export interface Columns {
  readonly keys: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

/** A deterministic benchmark workload. */
export interface Workload {
  readonly name: string;
  readonly description: string;
  readonly spec: WindowSpec;
  readonly columns: Columns;
}


/**
 * IoT-like readings: `n` records spread evenly over `spanMs` of event time with
 * ±`disorderMs` jitter, keys uniform over `keys` devices, values around 50 with
 * 10 % outliers in [200, 500] (seed 004's generator).
 */
export function readings(n: number, keys: number, spanMs: number, disorderMs: number, seed: number): Columns {
  const rand = seededRandom(seed);
  const k = new Uint32Array(n);
  const ts = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    k[i] = Math.floor(rand() * keys);
    const base = 1_700_000_000_000 + Math.floor((i * spanMs) / n);
    ts[i] = base + Math.round((rand() * 2 - 1) * disorderMs);
    v[i] = rand() < 0.1 ? 200 + rand() * 300 : 50 + (rand() + rand() + rand() - 1.5) * 20;
  }
  return { keys: k, timestamps: ts, values: v };
}

/** Records of each kernel workload at scale 1. */
export const KERNEL_RECORDS = 2_000_000;
const SPAN_MS = 200_000; // 10 000 records/s of event time
const DISORDER_MS = 2_000;
const GRACE_MS = 2_000; // covers the disorder, so few records are late

/**
 * The kernel workloads W1–W4. `scale` < 1 shrinks the record count and the
 * event-time span together, so records per key per window (what the kernel's
 * cost depends on) stay those of the full workload; only the run is shorter.
 */
export function kernelWorkloads(scale = 1): Workload[] {
  const n = Math.round(KERNEL_RECORDS * scale);
  const span = Math.max(1, Math.round(SPAN_MS * scale));
  return [
    {
      name: 'W1',
      description: `tumbling 10 s, 10 000 keys, ${n} records, ±2 s disorder`,
      spec: { kind: 'tumbling', sizeMs: 10_000, graceMs: GRACE_MS, emit: 'final' },
      columns: readings(n, 10_000, span, DISORDER_MS, 1),
    },
    {
      name: 'W2',
      description: `hopping 60 s advancing 1 s (60 windows per record), 10 000 keys, ${n} records`,
      spec: { kind: 'hopping', sizeMs: 60_000, advanceMs: 1_000, graceMs: GRACE_MS, emit: 'final' },
      columns: readings(n, 10_000, span, DISORDER_MS, 2),
    },
    {
      name: 'W3',
      description: `sliding 30 s, 10 000 keys, ${n} records`,
      spec: { kind: 'sliding', sizeMs: 30_000, graceMs: GRACE_MS, emit: 'final' },
      columns: readings(n, 10_000, span, DISORDER_MS, 3),
    },
    {
      name: 'W4',
      description: `tumbling 10 s, 1 000 000 distinct keys, ${n} records`,
      spec: { kind: 'tumbling', sizeMs: 10_000, graceMs: GRACE_MS, emit: 'final' },
      columns: readings(n, 1_000_000, span, DISORDER_MS, 4),
    },
  ];
}

/** Serializes columns for the native benchmark: u32 n, then keys, timestamps, values (LE). */
export function encodeColumns(c: Columns): Buffer {
  const n = c.keys.length;
  const buf = Buffer.alloc(4 + n * 4 + n * 16);
  buf.writeUInt32LE(n, 0);
  Buffer.from(c.keys.buffer, c.keys.byteOffset, n * 4).copy(buf, 4);
  Buffer.from(c.timestamps.buffer, c.timestamps.byteOffset, n * 8).copy(buf, 4 + n * 4);
  Buffer.from(c.values.buffer, c.values.byteOffset, n * 8).copy(buf, 4 + n * 12);
  return buf;
}
