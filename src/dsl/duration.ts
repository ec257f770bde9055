import { ConfigError } from '../errors.js';

/** Milliseconds, or a string like `'500ms'`, `'10s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration to whole milliseconds. `api` and `what` name the argument
 * in the error, e.g. `TimeWindows.ofSizeAndGrace: grace must be >= 0 (got -5000)`.
 */
export function toMillis(api: string, what: string, d: Duration, min = 0): number {
  let ms: number;
  if (typeof d === 'number') {
    ms = d;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(String(d));
    if (m === null) {
      throw new ConfigError('RIVULET_CONFIG_INVALID_DURATION', `${api}: ${what} must be a duration like 10000, '10s' or '5m' (got ${JSON.stringify(d)})`);
    }
    ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  if (!Number.isFinite(ms) || !Number.isInteger(ms)) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_DURATION', `${api}: ${what} must be a whole number of milliseconds (got ${JSON.stringify(d)})`);
  }
  if (ms < min) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_DURATION', `${api}: ${what} must be >= ${min} (got ${ms})`);
  }
  return ms;
}
