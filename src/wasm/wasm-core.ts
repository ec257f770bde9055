import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
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

const PKG_ENTRY = join('wasm-core', 'pkg', 'rivulet_wasm_core.js');
let core: WasmCore | undefined;

/** Walks up from this file to the package root (works from `src/` and from `dist/src/`). */
function findPkg(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, PKG_ENTRY);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new KernelError(
    'RIVULET_KERNEL_NOT_BUILT',
    `wasm: ${PKG_ENTRY} was not found above ${fileURLToPath(import.meta.url)}; run \`npm run build:wasm\` (after \`npm run setup\`)`,
  );
}

/**
 * The compiled kernel module. The WebAssembly module is compiled once per
 * process, on first use, and shared by every kernel instance.
 */
export function wasmCore(): WasmCore {
  if (core === undefined) {
    const require = createRequire(import.meta.url);
    core = require(findPkg()) as WasmCore;
  }
  return core;
}
