import { ConfigError } from '../errors.js';
import { toMillis, type Duration } from './duration.js';

/**
 * What a full suppression buffer does (Kafka Streams' `BufferConfig`):
 * `emitEarly` forwards its oldest entries before their time, `shutDown` fails
 * the task with `RIVULET_STATE_BUFFER_FULL`.
 */
export type BufferFullStrategy = 'emitEarly' | 'shutDown';

/**
 * How many records or bytes a suppression buffer may hold, and what it does
 * when full. Unset limits are unbounded. Without `whenFull`,
 * `untilTimeLimit` emits early (Kafka Streams' default for a bounded buffer)
 * and `untilWindowCloses` shuts down: a final result is never emitted before
 * its window closes unless `emitEarly` was chosen.
 *
 * Build one with {@link BufferConfig.maxRecords}, {@link BufferConfig.maxBytes}
 * or {@link BufferConfig.unbounded}, or pass a plain object:
 *
 * @example
 * Suppressed.untilWindowCloses(BufferConfig.maxRecords(100_000).shutDownWhenFull())
 * Suppressed.untilTimeLimit('1m', BufferConfig.maxBytes(8 << 20).emitEarlyWhenFull())
 */
export interface BufferConfig {
  /** At most this many buffered keys (windows, for `untilWindowCloses`); an integer >= 1. */
  readonly maxRecords?: number;
  /** At most this many bytes: serialized key and values plus 16 bytes of timestamps per entry; an integer >= 1. */
  readonly maxBytes?: number;
  readonly whenFull?: BufferFullStrategy;
}

/** A {@link BufferConfig} with Kafka Streams' chained setters; every call returns a new frozen config. */
export interface BufferConfigBuilder extends BufferConfig {
  withMaxRecords(maxRecords: number): BufferConfigBuilder;
  withMaxBytes(maxBytes: number): BufferConfigBuilder;
  /** Removes both limits. */
  withNoBound(): BufferConfigBuilder;
  /** A full buffer forwards its oldest entries early. */
  emitEarlyWhenFull(): BufferConfigBuilder;
  /** A full buffer fails the task (`RIVULET_STATE_BUFFER_FULL`). */
  shutDownWhenFull(): BufferConfigBuilder;
}

function checkLimit(api: string, what: string, n: number | undefined): void {
  if (n === undefined) return;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_BUFFER', `${api}: ${what} must be an integer >= 1 (got ${String(n)}); omit it for an unbounded buffer`);
  }
}

/** Validates a buffer config given as a plain object or a builder; returns its data alone, frozen. */
export function checkBufferConfig(api: string, c: BufferConfig): BufferConfig {
  if (typeof c !== 'object' || c === null) throw new ConfigError('RIVULET_CONFIG_INVALID_BUFFER', `${api}: buffer must be a BufferConfig (got ${String(c)})`);
  checkLimit(api, 'maxRecords', c.maxRecords);
  checkLimit(api, 'maxBytes', c.maxBytes);
  if (c.whenFull !== undefined && c.whenFull !== 'emitEarly' && c.whenFull !== 'shutDown') {
    throw new ConfigError('RIVULET_CONFIG_INVALID_BUFFER', `${api}: whenFull must be 'emitEarly' or 'shutDown' (got ${String(c.whenFull)})`);
  }
  return Object.freeze({
    ...(c.maxRecords === undefined ? {} : { maxRecords: c.maxRecords }),
    ...(c.maxBytes === undefined ? {} : { maxBytes: c.maxBytes }),
    ...(c.whenFull === undefined ? {} : { whenFull: c.whenFull }),
  });
}

function builder(c: BufferConfig): BufferConfigBuilder {
  const data = checkBufferConfig('BufferConfig', c);
  const { maxRecords: _r, maxBytes: _b, ...rest } = data;
  return Object.freeze({
    ...data,
    withMaxRecords: (maxRecords: number) => builder({ ...data, maxRecords }),
    withMaxBytes: (maxBytes: number) => builder({ ...data, maxBytes }),
    withNoBound: () => builder(rest),
    emitEarlyWhenFull: () => builder({ ...data, whenFull: 'emitEarly' }),
    shutDownWhenFull: () => builder({ ...data, whenFull: 'shutDown' }),
  });
}

export const BufferConfig = {
  /** A buffer of at most `maxRecords` keys; emits early when full unless `shutDownWhenFull()` follows. */
  maxRecords(maxRecords: number): BufferConfigBuilder {
    return builder({ maxRecords, whenFull: 'emitEarly' });
  },
  /** A buffer of at most `maxBytes` bytes; emits early when full unless `shutDownWhenFull()` follows. */
  maxBytes(maxBytes: number): BufferConfigBuilder {
    return builder({ maxBytes, whenFull: 'emitEarly' });
  },
  /** No limit: the buffer grows with the open windows (or keys) it holds. */
  unbounded(): BufferConfigBuilder {
    return builder({ whenFull: 'shutDown' });
  },
} as const;

/**
 * Rate-limits a KTable's updates. `untilWindowCloses` emits one final result per
 * window (Spark's append mode); `untilTimeLimit` emits a key's latest value once
 * `timeToWait` of stream time has passed since its first buffered update.
 */
export type Suppressed =
  | { readonly kind: 'untilWindowCloses'; readonly buffer: BufferConfig }
  | { readonly kind: 'untilTimeLimit'; readonly timeToWaitMs: number; readonly buffer: BufferConfig };

export const Suppressed = {
  untilWindowCloses(buffer: BufferConfig = {}): Suppressed {
    return Object.freeze({ kind: 'untilWindowCloses', buffer: checkBufferConfig('Suppressed.untilWindowCloses', buffer) });
  },
  untilTimeLimit(timeToWait: Duration, buffer: BufferConfig = {}): Suppressed {
    return Object.freeze({
      kind: 'untilTimeLimit',
      timeToWaitMs: toMillis('Suppressed.untilTimeLimit', 'timeToWait', timeToWait, 0),
      buffer: checkBufferConfig('Suppressed.untilTimeLimit', buffer),
    });
  },
} as const;
