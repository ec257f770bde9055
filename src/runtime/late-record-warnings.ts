import type { Logger } from './streams-config.js';

/** At most one warning per interval per task: a burst of late records must not flood the log. */
const WARN_INTERVAL_MS = 10_000;

/**
 * Late drops are logged at warn level, rate-limited: the first at once, then one
 * line per interval with the count since the last line and the latest detail.
 */
export class LateRecordWarnings {
  private lastWarnAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly task: string,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  dropped(detail: string): void {
    const t = this.now();
    if (t - this.lastWarnAt < WARN_INTERVAL_MS) {
      this.suppressed++;
      return;
    }
    const count = this.suppressed + 1;
    this.suppressed = 0;
    this.lastWarnAt = t;
    this.logger.warn(`${count} late record${count === 1 ? '' : 's'} dropped (metric dropped.late; set lateRecordsTopic to keep them, or widen the grace)`, { task: this.task, latest: detail });
  }
}
