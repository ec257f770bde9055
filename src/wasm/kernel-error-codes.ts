import { KernelError } from '../errors.js';

/**
 * Mirror of `wasm-core/src/error.rs` `ErrorCode`. A test compares this table with
 * the kernel's own `error_code_table()` so the two cannot drift apart.
 */
export const KernelErrorCode = {
  OK: 0,
  INVALID_WINDOW_KIND: 1,
  INVALID_SIZE: 2,
  INVALID_ADVANCE: 3,
  INVALID_GRACE: 4,
  INVALID_RETENTION: 5,
  INVALID_EMIT_MODE: 6,
  BATCH_TOO_LARGE: 7,
  INVALID_TIMESTAMP: 8,
  STATE_CORRUPT: 9,
  STATE_MISMATCH: 10,
} as const;
export type KernelErrorName = keyof typeof KernelErrorCode;

const nameByCode: ReadonlyMap<number, KernelErrorName> = new Map(
  (Object.entries(KernelErrorCode) as [KernelErrorName, number][]).map(([name, code]) => [code, name]),
);

/** Why each code happens and what to do, appended to kernel error messages. */
const remedy: Readonly<Record<KernelErrorName, string>> = {
  OK: '',
  INVALID_WINDOW_KIND: 'use tumbling, hopping or sliding windows',
  INVALID_SIZE: 'give the window size as a whole number of milliseconds >= 1',
  INVALID_ADVANCE: 'give an advance >= 1 ms and no larger than the window size',
  INVALID_GRACE: 'give a grace period >= 0 ms',
  INVALID_RETENTION: 'retention must cover the window size plus grace',
  INVALID_EMIT_MODE: "use emit 'update' or 'final'",
  BATCH_TOO_LARGE: 'call batch(capacity) with room for every record before ingest(n)',
  INVALID_TIMESTAMP: 'timestamps are finite milliseconds >= 0',
  STATE_CORRUPT: 'the stored kernel state is damaged; restore it from the changelog',
  STATE_MISMATCH: 'the stored state was written by a kernel with another window spec; renaming the operator or clearing its state fixes this',
};

/** `RIVULET_KERNEL_<NAME>` for a numeric kernel code. */
export function kernelErrorCodeName(code: number): string {
  return `RIVULET_KERNEL_${nameByCode.get(code) ?? 'UNKNOWN'}`;
}

/** Builds the error for a numeric code returned by a kernel call. */
export function kernelError(api: string, code: number, detail?: string): KernelError {
  const name = nameByCode.get(code);
  const hint = name === undefined ? 'this is a bug in rivulet; please report it' : remedy[name];
  const what = detail ?? (name === undefined ? `unknown kernel error code ${code}` : name.toLowerCase().replaceAll('_', ' '));
  return new KernelError(kernelErrorCodeName(code), `${api}: ${what}${hint ? `; ${hint}` : ''}`);
}

/**
 * Maps an error thrown across the WASM boundary (message `E<code>: <detail>`)
 * to a {@link KernelError}; anything else is wrapped as an unknown kernel failure.
 */
export function kernelErrorFromThrown(api: string, thrown: unknown): KernelError {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const match = /^E(\d+): ([\s\S]*)$/.exec(message);
  if (match?.[1] !== undefined && match[2] !== undefined) {
    const error = kernelError(api, Number(match[1]), match[2]);
    return error;
  }
  return new KernelError('RIVULET_KERNEL_UNKNOWN', `${api}: the kernel failed: ${message}`, { cause: thrown });
}
