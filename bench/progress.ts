/**
 * Progress lines for long benchmark steps: one when a step starts and one at
 * least every 30 s while it runs (what it does, how far), on stdout, so a user
 * running `npm run bench` sees it moving.
 */

// 25 s, so that a synchronous loop ticking per batch still prints within ~30 s.
const EVERY_MS = 25_000;

/** One running step. `detail` says how far it is (called at each progress line). */
export class Progress {
  private readonly started = Date.now();
  private last = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly label: string,
    private readonly detail?: () => string,
    private readonly everyMs = EVERY_MS,
  ) {
    console.log(`${label} ...`);
    // Async steps get their lines from the timer; synchronous loops call tick().
    this.timer = setInterval(() => this.tick(), Math.max(1_000, Math.floor(everyMs / 3)));
    this.timer.unref();
  }

  /** Prints a progress line if the last one is `everyMs` old (cheap enough to call per batch). */
  tick(): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    const d = this.detail?.();
    console.log(`${this.label}: ${Math.round((now - this.started) / 1000)} s${d === undefined || d === '' ? '' : `, ${d}`}`);
  }

  /** Stops the lines; returns the seconds the step took. */
  stop(): number {
    clearInterval(this.timer);
    return (Date.now() - this.started) / 1000;
  }
}

/** Runs `fn` with progress lines under `label`. */
export async function withProgress<T>(label: string, fn: (p: Progress) => Promise<T>, detail?: () => string): Promise<T> {
  const p = new Progress(label, detail);
  try {
    return await fn(p);
  } finally {
    p.stop();
  }
}
