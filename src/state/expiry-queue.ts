/**
 * Keys of a working table by the time they expire at (a binary min-heap), so
 * dropping what retention passed costs the expired entries, not a scan of
 * the store on every advance of stream time. A key's time never changes
 * (it is part of the key), so deleted or re-added keys are left in place and
 * checked against the table when they come out.
 */
export class ExpiryQueue {
  private readonly times: number[] = [];
  private readonly keys: string[] = [];

  get size(): number {
    return this.times.length;
  }

  add(time: number, key: string): void {
    const t = this.times;
    const k = this.keys;
    let i = t.length;
    t.push(time);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((t[p] as number) <= time) break;
      t[i] = t[p] as number;
      k[i] = k[p] as string;
      i = p;
    }
    t[i] = time;
    k[i] = key;
  }

  /** Removes every key with a time before `cutoff`, oldest first, handing each to `fn`. */
  popBefore(cutoff: number, fn: (key: string, time: number) => void): void {
    this.popWhile((time) => time < cutoff, fn);
  }

  /** Removes every key with a time at or before `cutoff`, oldest first, handing each to `fn`. */
  popUpTo(cutoff: number, fn: (key: string, time: number) => void): void {
    this.popWhile((time) => time <= cutoff, fn);
  }

  /** The smallest time held, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  /** Drops every entry; for rebuilding the queue when most of it is stale. */
  clear(): void {
    this.times.length = 0;
    this.keys.length = 0;
  }

  private popWhile(due: (time: number) => boolean, fn: (key: string, time: number) => void): void {
    const t = this.times;
    const k = this.keys;
    while (t.length > 0 && due(t[0] as number)) {
      const time = t[0] as number;
      const key = k[0] as string;
      const lastT = t.pop() as number;
      const lastK = k.pop() as string;
      const n = t.length;
      if (n > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= n) break;
          const r = l + 1;
          const c = r < n && (t[r] as number) < (t[l] as number) ? r : l;
          if ((t[c] as number) >= lastT) break;
          t[i] = t[c] as number;
          k[i] = k[c] as string;
          i = c;
        }
        t[i] = lastT;
        k[i] = lastK;
      }
      fn(key, time);
    }
  }
}
