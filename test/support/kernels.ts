/**
 * Factories for the `WindowStatsKernel` implementations the differential tests
 * compare: the pure-TS reference, the brute-force oracle, and the WASM kernel
 * when `src/wasm/wasm-window-kernel.ts` exists.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ReferenceKernel } from '../../src/wasm/reference-kernel.js';
import type { WindowSpec, WindowStatsKernel } from '../../src/wasm/window-stats-kernel.js';
import { BruteForceKernel } from './brute-force-kernel.js';

export type KernelFactory = (spec: WindowSpec) => WindowStatsKernel;

export interface KernelFactories {
  reference: KernelFactory;
  /** Independent, quadratic oracle (test/support/brute-force-kernel.ts). */
  bruteForce: KernelFactory;
  /** The WASM kernel; absent only while `src/wasm/wasm-window-kernel.ts` does not exist. */
  wasm?: KernelFactory;
}

const WASM_KERNEL_SOURCE = new URL('../../src/wasm/wasm-window-kernel.ts', import.meta.url);

/**
 * Builds the factories. The WASM kernel module is imported dynamically; a missing
 * source file means "not written yet" and leaves `wasm` undefined, but once the
 * file exists any failure to load it (or to build a kernel with it) surfaces.
 */
export async function makeKernelFactories(): Promise<KernelFactories> {
  const factories: KernelFactories = {
    reference: (spec) => new ReferenceKernel(spec),
    bruteForce: (spec) => new BruteForceKernel(spec),
  };
  if (!existsSync(fileURLToPath(WASM_KERNEL_SOURCE))) return factories;
  // A non-literal specifier keeps tsc from requiring the module to exist.
  const specifier = '../../src/wasm/wasm-window-kernel.js';
  const mod = (await import(specifier)) as {
    WasmWindowKernel?: new (spec: WindowSpec) => WindowStatsKernel;
  };
  const Wasm = mod.WasmWindowKernel;
  if (typeof Wasm !== 'function') {
    throw new Error('src/wasm/wasm-window-kernel.ts does not export a WasmWindowKernel class');
  }
  factories.wasm = (spec) => new Wasm(spec);
  return factories;
}
