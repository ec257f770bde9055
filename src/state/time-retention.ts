import type { KeyValueStore } from './key-value-store.js';

/**
 * Retention bookkeeping shared by the window and session stores, which keep
 * their entries in a plain key-value store (no time segments). Entries whose
 * time is `< observed - retentionMs` are expired. Reads filter them out at
 * once; deleting them needs a scan, which runs only when some stored time may
 * be below the cutoff — `minTime` is a lower bound of the stored times — so a
 * sweep happens about once per retention boundary crossed, not per write.
 */
export class TimeRetention {
  /** Largest time observed, `-Infinity` before any. */
  observed = Number.NEGATIVE_INFINITY;
  // Lower bound of the times stored; -Infinity = unknown (forces one sweep).
  #minTime = Number.POSITIVE_INFINITY;
  #sweeping = false;

  constructor(readonly retentionMs: number) {}

  /** Entries with time below this are expired. */
  get cutoff(): number {
    return this.observed - this.retentionMs;
  }

  isExpired(time: number): boolean {
    return time < this.cutoff;
  }

  /** Records a time that was written (or restored) into the store. */
  stored(time: number): void {
    if (time > this.observed) this.observed = time;
    if (time < this.#minTime) this.#minTime = time;
  }

  /** Records a time seen without storing anything (a delete still advances stream time). */
  observe(time: number): void {
    if (time > this.observed) this.observed = time;
  }

  /** Forgets everything: the store is empty (fresh in-memory) or about to be rescanned. */
  reset(): void {
    this.observed = Number.NEGATIVE_INFINITY;
    this.#minTime = Number.POSITIVE_INFINITY;
  }

  /**
   * Recomputes `observed` and the lower bound from what `store` holds, for a
   * persistent store opened over existing data.
   */
  async scan(store: KeyValueStore, timeOf: (key: Uint8Array) => number): Promise<void> {
    this.reset();
    for await (const { key } of store.all()) this.stored(timeOf(key));
  }

  /**
   * Deletes expired entries from `store` if any may exist. Collects keys
   * first and deletes after, so the scan never races its own deletes.
   */
  async sweep(store: KeyValueStore, timeOf: (key: Uint8Array) => number): Promise<void> {
    if (this.#sweeping || !(this.#minTime < this.cutoff)) return;
    this.#sweeping = true;
    // Restart the bound so writes landing during the scan (which a snapshot
    // iterator may not see) still lower it.
    this.#minTime = Number.POSITIVE_INFINITY;
    try {
      const cutoff = this.cutoff;
      const expired: Uint8Array[] = [];
      let min = Number.POSITIVE_INFINITY;
      for await (const { key } of store.all()) {
        const t = timeOf(key);
        if (t < cutoff) expired.push(key);
        else if (t < min) min = t;
      }
      for (const key of expired) await store.delete(key);
      this.#minTime = Math.min(this.#minTime, min);
    } catch (e) {
      this.#minTime = Number.NEGATIVE_INFINITY;
      throw e;
    } finally {
      this.#sweeping = false;
    }
  }
}
