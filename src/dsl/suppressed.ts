import { toMillis, type Duration } from './duration.js';

/** How many records or bytes a suppression buffer may hold before it emits early. */
export interface BufferConfig {
  readonly maxRecords?: number;
}

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
    return Object.freeze({ kind: 'untilWindowCloses', buffer: Object.freeze({ ...buffer }) });
  },
  untilTimeLimit(timeToWait: Duration, buffer: BufferConfig = {}): Suppressed {
    return Object.freeze({
      kind: 'untilTimeLimit',
      timeToWaitMs: toMillis('Suppressed.untilTimeLimit', 'timeToWait', timeToWait, 0),
      buffer: Object.freeze({ ...buffer }),
    });
  },
} as const;
