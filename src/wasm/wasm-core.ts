import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KernelError } from '../errors.js';

/** Number of f64 values in one output row: key, start, end, count, sum, min, max, mean, m2. */
export const ROW_F64S = 9;

/** The `Kernel` class wasm-bindgen generates from `wasm-core/src/abi.rs`. */
export interface CoreKernel {
  reserve(capacity: number): void;
  capacity(): number;
  keys_ptr(): number;
  ts_ptr(): number;
  values_ptr(): number;
  status_ptr(): number;
  z_ptr(): number;
  out_ptr(): number;
  fetch_ptr(): number;
  ingest(n: number): number;
  advance_stream_time(ts: number): number;
  drain(): number;
  fetch(key: number, startMs: number): boolean;
  stream_time(): number;
  late_records(): number;
  invalid_records(): number;
  key_count(): number;
  state_entries(): number;
  export_state(): Uint8Array;
  import_state(bytes: Uint8Array): void;
  export_changes(): Uint8Array;
  import_task(bytes: Uint8Array): void;
  import_key(bytes: Uint8Array): number;
  forget_key(key: number): void;
  import_buffer(len: number): number;
  import_buffered(len: number): number;
  free(): void;
}

/** The exported linear memory; only its buffer is used (the lib has no DOM types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The module wasm-pack builds into `wasm-core/pkg` (Node.js target). */
export interface WasmCore {
  Kernel: new (
    kind: number,
    sizeMs: number,
    advanceMs: number,
    graceMs: number,
    retentionMs: number,
    emit: number,
    zscore: boolean,
  ) => CoreKernel;
  kernel_memory(): WasmMemory;
  error_code_table(): string;
}

/**
 * The kernel's glue module, at a fixed place relative to this file: `src/wasm/` in the
 * repository and `dist/wasm/` in the package are both two levels below the root that
 * holds `wasm-core/pkg`. Nothing is searched for, so a service never loads a kernel
 * that belongs to another copy of rivulet.
 */
const PKG_ENTRY = new URL('../../wasm-core/pkg/rivulet_wasm_core.js', import.meta.url);
let core: WasmCore | undefined;

function pkgEntry(): string {
  const path = fileURLToPath(PKG_ENTRY);
  if (!existsSync(path)) {
    throw new KernelError(
      'RIVULET_KERNEL_NOT_BUILT',
      `wasm: the kernel must be built at ${path} (got no such file); in the repository run \`npm run setup && npm run build:wasm\`, and reinstall an installed rivulet package`,
    );
  }
  return path;
}

/**
 * The compiled kernel module. The WebAssembly module is compiled once per
 * process, on first use, and shared by every kernel instance.
 */
export function wasmCore(): WasmCore {
  if (core === undefined) {
    const require = createRequire(import.meta.url);
    core = require(pkgEntry()) as WasmCore;
  }
  return core;
}
