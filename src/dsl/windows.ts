import { ConfigError } from '../errors.js';
import { toMillis, type Duration } from './duration.js';

/** When a windowed aggregation emits: on every update (default) or once when the window closes. */
export type EmitStrategy = 'onWindowUpdate' | 'onWindowClose';

/**
 * Fixed-size, epoch-aligned windows `[start, start + size)`: tumbling when
 * `advance == size`, hopping otherwise. Kafka Streams' `TimeWindows`.
 */
export class TimeWindows {
  readonly kind = 'time' as const;
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  /** Tumbling windows with no grace: records after the window end are late. */
  static ofSizeWithNoGrace(size: Duration): TimeWindows {
    const s = toMillis('TimeWindows.ofSizeWithNoGrace', 'size', size, 1);
    return new TimeWindows(s, s, 0);
  }

  /** Tumbling windows accepting records up to `grace` after the window end. */
  static ofSizeAndGrace(size: Duration, grace: Duration): TimeWindows {
    const s = toMillis('TimeWindows.ofSizeAndGrace', 'size', size, 1);
    return new TimeWindows(s, s, toMillis('TimeWindows.ofSizeAndGrace', 'grace', grace, 0));
  }

  /** Makes these windows hop by `advance` (0 < advance <= size). */
  advanceBy(advance: Duration): TimeWindows {
    const a = toMillis('TimeWindows.advanceBy', 'advance', advance, 0);
    if (a <= 0 || a > this.sizeMs) {
      throw new ConfigError('RIVULET_CONFIG_INVALID_WINDOW', `TimeWindows.advanceBy: advance must be > 0 and <= size (size ${this.sizeMs} ms, got ${a} ms)`);
    }
    return new TimeWindows(this.sizeMs, a, this.graceMs);
  }
}

/**
 * Kafka Streams' `SlidingWindows` (KIP-450): windows `[t - D, t]` ending at each
 * record plus the windows just after each record, both ends inclusive.
 */
export class SlidingWindows {
  readonly kind = 'sliding' as const;
  private constructor(
    readonly timeDifferenceMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  static ofTimeDifferenceWithNoGrace(timeDifference: Duration): SlidingWindows {
    return new SlidingWindows(toMillis('SlidingWindows.ofTimeDifferenceWithNoGrace', 'timeDifference', timeDifference, 1), 0);
  }

  static ofTimeDifferenceAndGrace(timeDifference: Duration, grace: Duration): SlidingWindows {
    return new SlidingWindows(
      toMillis('SlidingWindows.ofTimeDifferenceAndGrace', 'timeDifference', timeDifference, 1),
      toMillis('SlidingWindows.ofTimeDifferenceAndGrace', 'grace', grace, 0),
    );
  }
}

/**
 * The time bound of a stream–stream join (Kafka Streams' `JoinWindows`): a left
 * record at `t` joins right records with `t - before <= t' <= t + after`.
 * `ofTimeDifference…(d)` sets both to `d`; `before`/`after` change one side.
 */
export class JoinWindows {
  readonly kind = 'join' as const;
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  static ofTimeDifferenceWithNoGrace(timeDifference: Duration): JoinWindows {
    const d = toMillis('JoinWindows.ofTimeDifferenceWithNoGrace', 'timeDifference', timeDifference, 0);
    return new JoinWindows(d, d, 0);
  }

  static ofTimeDifferenceAndGrace(timeDifference: Duration, grace: Duration): JoinWindows {
    const d = toMillis('JoinWindows.ofTimeDifferenceAndGrace', 'timeDifference', timeDifference, 0);
    return new JoinWindows(d, d, toMillis('JoinWindows.ofTimeDifferenceAndGrace', 'grace', grace, 0));
  }

  /** How far before a left record a right record may be. */
  before(timeDifference: Duration): JoinWindows {
    return new JoinWindows(toMillis('JoinWindows.before', 'timeDifference', timeDifference, 0), this.afterMs, this.graceMs);
  }

  /** How far after a left record a right record may be. */
  after(timeDifference: Duration): JoinWindows {
    return new JoinWindows(this.beforeMs, toMillis('JoinWindows.after', 'timeDifference', timeDifference, 0), this.graceMs);
  }
}

/** Sessions: records of a key closer than `gap` belong to one session. Kafka Streams' `SessionWindows`. */
export class SessionWindows {
  readonly kind = 'session' as const;
  private constructor(
    readonly inactivityGapMs: number,
    readonly graceMs: number,
  ) {
    Object.freeze(this);
  }

  static ofInactivityGapWithNoGrace(gap: Duration): SessionWindows {
    return new SessionWindows(toMillis('SessionWindows.ofInactivityGapWithNoGrace', 'gap', gap, 1), 0);
  }

  static ofInactivityGapAndGrace(gap: Duration, grace: Duration): SessionWindows {
    return new SessionWindows(
      toMillis('SessionWindows.ofInactivityGapAndGrace', 'gap', gap, 1),
      toMillis('SessionWindows.ofInactivityGapAndGrace', 'grace', grace, 0),
    );
  }
}

/** A window as it appears in windowed keys. `end` is exclusive for time and session windows... see {@link Windowed}. */
export interface Window {
  readonly start: number;
  /** Time windows: exclusive. Sliding and session windows: inclusive (as Kafka Streams). */
  readonly end: number;
}

/** The key of a windowed aggregation result: the grouping key and its window. */
export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}
