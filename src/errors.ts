/**
 * Every error rivulet throws is a {@link RivuletError} with a stable `code`
 * (`RIVULET_<AREA>_<WHAT>`, each documented in the README under its own heading)
 * and, where another library failed first, that failure as `cause`.
 */

/** The areas error codes are grouped by. */
export type RivuletErrorArea = 'CONFIG' | 'TOPOLOGY' | 'STATE' | 'SERDE' | 'TRANSPORT' | 'KERNEL';

/** Base class of all rivulet errors. */
export class RivuletError extends Error {
  /** Stable machine-readable code, e.g. `RIVULET_CONFIG_INVALID_WINDOW`. */
  readonly code: string;
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration or argument value is invalid; the message says which and what to do. */
export class ConfigError extends RivuletError {}

/** The WASM statistics kernel rejected a call or could not be loaded. */
export class KernelError extends RivuletError {}

/** The topology is malformed (bad names, missing stores, co-partitioning). */
export class TopologyError extends RivuletError {}

/** A state store failed or was used wrongly (closed, wrong type, corrupt data). */
export class StateError extends RivuletError {}

/** A record could not be serialized or deserialized. */
export class SerdeError extends RivuletError {}

/** The broker transport failed (connection, produce, commit, fencing). */
export class TransportError extends RivuletError {}

/**
 * A record failed and its handling is `fail` (or a batch sink gave up): the
 * stream thread stops with it and the uncaught-exception handler decides what
 * happens next. Lives here, not in `runtime/`, because processors throw it too.
 */
export class TaskFailure extends RivuletError {}
