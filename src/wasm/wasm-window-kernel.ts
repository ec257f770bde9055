import { KernelError } from '../errors.js';
import { kernelError, kernelErrorFromThrown } from './kernel-error-codes.js';
import { ROW_F64S, wasmCore, type CoreKernel, type WasmMemory } from './wasm-core.js';
import { toKernelSpec } from './window-spec.js';
import type {
  BatchOutcome,
  InputColumns,
  WindowResults,
  WindowSpec,
  WindowStats,
  WindowStatsKernel,
} from './window-stats-kernel.js';

const KIND = { tumbling: 0, hopping: 1, sliding: 2 } as const;
const EMIT = { update: 0, final: 1 } as const;

/** Reads row `i` of an output region laid out as `ROW_F64S` f64s per row. */
function readRow(f: Float64Array, i: number): WindowStats {
  const o = i * ROW_F64S;
  return {
    key: f[o] as number,
    start: f[o + 1] as number,
    end: f[o + 2] as number,
    count: f[o + 3] as number,
    sum: f[o + 4] as number,
    min: f[o + 5] as number,
    max: f[o + 6] as number,
    mean: f[o + 7] as number,
    m2: f[o + 8] as number,
  };
}

/** Drained rows read in place from WASM memory; valid until the next drain. */
class WasmWindowResults implements WindowResults {
  constructor(
    private readonly rows: Float64Array,
    readonly length: number,
  ) {}
  key(i: number): number { return this.rows[i * ROW_F64S] as number; }
  start(i: number): number { return this.rows[i * ROW_F64S + 1] as number; }
  end(i: number): number { return this.rows[i * ROW_F64S + 2] as number; }
  count(i: number): number { return this.rows[i * ROW_F64S + 3] as number; }
  sum(i: number): number { return this.rows[i * ROW_F64S + 4] as number; }
  min(i: number): number { return this.rows[i * ROW_F64S + 5] as number; }
  max(i: number): number { return this.rows[i * ROW_F64S + 6] as number; }
  mean(i: number): number { return this.rows[i * ROW_F64S + 7] as number; }
  m2(i: number): number { return this.rows[i * ROW_F64S + 8] as number; }
  row(i: number): WindowStats { return readRow(this.rows, i); }
  toArray(): WindowStats[] {
    const out: WindowStats[] = [];
    for (let i = 0; i < this.length; i++) out.push(readRow(this.rows, i));
    return out;
  }
}

/** A record length marking a tombstone in `export_changes`' output. */
const TOMBSTONE = 0xffffffff;

/** What {@link WasmWindowKernel.exportChanges} returns: the task record, and per changed key id its record or `null` (no state left). */
export interface KernelChanges {
  readonly task: Uint8Array;
  readonly keys: readonly { readonly id: number; readonly record: Uint8Array | null }[];
}

/**
 * The windowed statistics kernel in WebAssembly, behind the batch protocol of
 * `wasm-core/README.md`: callers fill typed-array views over WASM memory and
 * make one call per batch; results are read in place.
 */
export class WasmWindowKernel implements WindowStatsKernel {
  readonly spec: Readonly<Required<WindowSpec>>;
  private kernel: CoreKernel | undefined;
  private readonly memory: WasmMemory;
  // Views are rebuilt whenever WASM memory grows (growth detaches the old buffer).
  private buffer: ArrayBuffer | undefined;
  private input: InputColumns | undefined;
  private statuses: Uint8Array = new Uint8Array(0);
  private zScores: Float64Array = new Float64Array(0);

  constructor(spec: WindowSpec) {
    this.spec = toKernelSpec(spec);
    const core = wasmCore();
    this.memory = core.kernel_memory();
    try {
      this.kernel = new core.Kernel(
        KIND[this.spec.kind],
        this.spec.sizeMs,
        this.spec.advanceMs,
        this.spec.graceMs,
        this.spec.retentionMs,
        EMIT[this.spec.emit],
        this.spec.zscore,
      );
    } catch (e) {
      throw kernelErrorFromThrown('WindowStatsKernel', e);
    }
  }

  private live(api: string): CoreKernel {
    if (this.kernel === undefined) {
      throw new KernelError('RIVULET_KERNEL_CLOSED', `${api}: the kernel was closed; create a new one`);
    }
    return this.kernel;
  }

  private refreshViews(k: CoreKernel): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer && this.input !== undefined && this.input.keys.length === k.capacity()) return;
    const cap = k.capacity();
    this.buffer = buffer;
    this.input = {
      keys: new Uint32Array(buffer, k.keys_ptr() >>> 0, cap),
      timestamps: new Float64Array(buffer, k.ts_ptr() >>> 0, cap),
      values: new Float64Array(buffer, k.values_ptr() >>> 0, cap),
    };
    this.statuses = new Uint8Array(buffer, k.status_ptr() >>> 0, cap);
    this.zScores = new Float64Array(buffer, k.z_ptr() >>> 0, this.spec.zscore ? cap : 0);
  }

  batch(capacity: number): InputColumns {
    const k = this.live('batch');
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw kernelError('batch', 7, `capacity must be a whole number >= 0 (got ${capacity})`);
    }
    if (capacity > k.capacity()) k.reserve(capacity);
    this.refreshViews(k);
    return this.input as InputColumns;
  }

  ingest(n: number): BatchOutcome {
    const k = this.live('ingest');
    const code = k.ingest(n);
    if (code !== 0) throw kernelError('ingest', code, `batch of ${n} records exceeds the reserved capacity ${k.capacity()}`);
    this.refreshViews(k);
    return {
      statuses: this.statuses.subarray(0, n),
      zScores: this.spec.zscore ? this.zScores.subarray(0, n) : undefined,
    };
  }

  advanceStreamTime(timestampMs: number): void {
    const code = this.live('advanceStreamTime').advance_stream_time(timestampMs);
    if (code !== 0) throw kernelError('advanceStreamTime', code, `timestamp must be finite and >= 0 (got ${timestampMs})`);
  }

  drain(): WindowResults {
    const k = this.live('drain');
    const rows = k.drain();
    const view = new Float64Array(this.memory.buffer, k.out_ptr() >>> 0, rows * ROW_F64S);
    return new WasmWindowResults(view, rows);
  }

  fetch(key: number, startMs: number): WindowStats | undefined {
    const k = this.live('fetch');
    if (!k.fetch(key, startMs)) return undefined;
    return readRow(new Float64Array(this.memory.buffer, k.fetch_ptr() >>> 0, ROW_F64S), 0);
  }

  get streamTime(): number { return this.live('streamTime').stream_time(); }
  get lateRecords(): number { return this.live('lateRecords').late_records(); }
  get invalidRecords(): number { return this.live('invalidRecords').invalid_records(); }
  /** Distinct key ids seen. */
  get keyCount(): number { return this.live('keyCount').key_count(); }
  /** Slices (or sliding-window atoms) currently held: the state size. */
  get stateEntries(): number { return this.live('stateEntries').state_entries(); }

  exportState(): Uint8Array {
    return this.live('exportState').export_state();
  }

  importState(state: Uint8Array): void {
    const k = this.live('importState');
    try {
      k.import_state(state);
    } catch (e) {
      throw kernelErrorFromThrown('importState', e);
    }
    this.buffer = undefined;
  }

  /**
   * The changelog records of every key whose state changed since the previous
   * call, and the task record (layout in `wasm-core/src/changelog.rs`).
   */
  exportChanges(): KernelChanges {
    const buf = this.live('exportChanges').export_changes();
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const taskLen = dv.getUint32(0, true);
    const task = buf.subarray(4, 4 + taskLen);
    let at = 4 + taskLen;
    const n = dv.getUint32(at, true);
    at += 4;
    const keys: { id: number; record: Uint8Array | null }[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const id = dv.getUint32(at, true);
      const len = dv.getUint32(at + 4, true);
      at += 8;
      if (len === TOMBSTONE) keys[i] = { id, record: null };
      else {
        keys[i] = { id, record: buf.subarray(at, at + len) };
        at += len;
      }
    }
    return { task, keys };
  }

  /** Applies a changelog task record. */
  importTask(record: Uint8Array): void {
    try {
      this.live('importTask').import_task(record);
    } catch (e) {
      throw kernelErrorFromThrown('importTask', e);
    }
  }

  /** Applies a changelog key record; returns the key id it holds. */
  importKey(record: Uint8Array): number {
    try {
      return this.live('importKey').import_key(record);
    } catch (e) {
      throw kernelErrorFromThrown('importKey', e);
    }
  }

  /**
   * Applies kernel ops in order with one call: `values[i]` a key record, or
   * `null` to drop the state of key id `ids[i]`. Written straight into the
   * kernel's import buffer (layout in `wasm-core/src/changelog.rs`); a corrupt
   * record refuses the whole batch, naming its index.
   */
  importOps(values: readonly (Uint8Array | null)[], ids: readonly number[]): void {
    const k = this.live('importOps');
    const n = values.length;
    let size = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      size += v === null || v === undefined ? 8 : 4 + v.length;
    }
    // Growing the buffer may grow memory: take the view after the call.
    const ptr = k.import_buffer(size) >>> 0;
    const buf = new Uint8Array(this.memory.buffer, ptr, size);
    let at = 0;
    const u32 = (x: number) => {
      buf[at] = x & 0xff;
      buf[at + 1] = (x >>> 8) & 0xff;
      buf[at + 2] = (x >>> 16) & 0xff;
      buf[at + 3] = (x >>> 24) & 0xff;
      at += 4;
    };
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        u32(TOMBSTONE);
        u32(ids[i] as number);
      } else {
        u32(v.length);
        buf.set(v, at);
        at += v.length;
      }
    }
    try {
      k.import_buffered(size);
    } catch (e) {
      throw kernelErrorFromThrown('importOps', e);
    }
  }

  /** Drops the state of key id `id`. */
  forgetKey(id: number): void {
    this.live('forgetKey').forget_key(id);
  }

  close(): void {
    this.kernel?.free();
    this.kernel = undefined;
    this.input = undefined;
    this.buffer = undefined;
  }
}
