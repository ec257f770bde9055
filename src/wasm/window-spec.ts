/**
 * Window spec defaults and validation shared by the WASM kernel wrapper and the
 * pure-TS reference kernel. The rules are those of `wasm-core/README.md`
 * ("Spec"); messages name the field and the offending value, Kafka Streams style.
 */
import type { WindowSpec } from './window-stats-kernel.js';

/** Largest timestamp/duration the kernels accept (2^53 ms). */
export const MAX_TIME_MS = 2 ** 53;

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return `${v}`;
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function ms(v: unknown): string {
  return typeof v === 'number' ? `${v} ms` : describe(v);
}

function isWholeMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/**
 * Applies the spec defaults (advance = size for tumbling and sliding windows,
 * and for hopping windows given no advance; grace 0; retention size + grace;
 * emit 'update'; zscore false) and validates the result.
 *
 * A negative `retentionMs` means "default", as on the WASM boundary.
 *
 * @throws Error naming the field and value, e.g.
 *   `TimeWindows: advance must be > 0 and <= size (size 10000 ms, got 20000 ms)`.
 */
export function toKernelSpec(spec: WindowSpec): Required<WindowSpec> {
  if (typeof spec !== 'object' || spec === null) {
    throw new Error(`Windows: spec must be an object (got ${describe(spec)})`);
  }
  const { kind } = spec;
  if (kind !== 'tumbling' && kind !== 'hopping' && kind !== 'sliding') {
    throw new Error(`Windows: kind must be 'tumbling', 'hopping' or 'sliding' (got ${describe(kind)})`);
  }
  const family = kind === 'sliding' ? 'SlidingWindows' : 'TimeWindows';
  const sizeName = kind === 'sliding' ? 'size (time difference)' : 'size';

  const size = spec.sizeMs;
  if (!isWholeMs(size) || size < 1 || size > MAX_TIME_MS) {
    throw new Error(`${family}: ${sizeName} must be a whole number of ms >= 1 (got ${ms(size)})`);
  }

  let advance = size;
  if (kind === 'hopping' && spec.advanceMs !== undefined) {
    const a = spec.advanceMs;
    if (typeof a !== 'number' || !Number.isInteger(a) || a < 1 || a > size) {
      throw new Error(`${family}: advance must be > 0 and <= size (size ${size} ms, got ${ms(a)})`);
    }
    advance = a;
  }

  const grace = spec.graceMs ?? 0;
  if (!isWholeMs(grace) || grace < 0 || grace > MAX_TIME_MS) {
    throw new Error(`${family}: grace must be a whole number of ms >= 0 (got ${ms(grace)})`);
  }

  const minRetention = size + grace;
  let retention = minRetention;
  if (spec.retentionMs !== undefined) {
    const r = spec.retentionMs;
    if (!isWholeMs(r)) {
      throw new Error(`${family}: retention must be a whole number of ms (got ${ms(r)})`);
    }
    if (r >= 0) {
      if (r < minRetention) {
        throw new Error(
          `${family}: retention must be >= size + grace (size ${size} ms, grace ${grace} ms, got ${r} ms)`,
        );
      }
      retention = r;
    }
  }

  const emit = spec.emit ?? 'update';
  if (emit !== 'update' && emit !== 'final') {
    throw new Error(`${family}: emit must be 'update' or 'final' (got ${describe(emit)})`);
  }

  const zscore = spec.zscore ?? false;
  if (typeof zscore !== 'boolean') {
    throw new Error(`${family}: zscore must be a boolean (got ${describe(zscore)})`);
  }

  return { kind, sizeMs: size, advanceMs: advance, graceMs: grace, retentionMs: retention, emit, zscore };
}

/** Whether two normalized specs describe the same kernel (state is portable between them). */
export function sameKernelSpec(a: Required<WindowSpec>, b: Required<WindowSpec>): boolean {
  return (
    a.kind === b.kind &&
    a.sizeMs === b.sizeMs &&
    a.advanceMs === b.advanceMs &&
    a.graceMs === b.graceMs &&
    a.retentionMs === b.retentionMs &&
    a.emit === b.emit &&
    a.zscore === b.zscore
  );
}
