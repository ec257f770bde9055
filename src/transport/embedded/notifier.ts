/**
 * Wake-ups for waiting polls. Waiters register a callback on every notifier
 * that could make them progress (their partitions, their group, their own
 * close) and sleep until one fires or the timeout passes — no busy polling.
 */
export class Notifier {
  #waiters = new Set<() => void>();

  /** Wakes everyone waiting now; later waiters wait for the next notify. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  add(wake: () => void): void {
    this.#waiters.add(wake);
  }

  delete(wake: () => void): void {
    this.#waiters.delete(wake);
  }
}

/** Resolves on the first notify of any of `notifiers`, or after `timeoutMs`. */
export function waitForAny(notifiers: Iterable<Notifier>, timeoutMs: number): Promise<void> {
  const list = [...notifiers];
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const wake = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      for (const n of list) n.delete(wake);
      resolve();
    };
    for (const n of list) n.add(wake);
    timer = setTimeout(wake, Math.max(0, timeoutMs));
  });
}

/**
 * One macrotask turn. Resolved promises only run microtasks, so a loop of
 * `await poll()` on a busy partition would otherwise starve timers and I/O.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
