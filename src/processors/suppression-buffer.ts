import { ExpiryQueue } from '../state/expiry-queue.js';

/** One buffered key (or window): the record to emit and when it becomes due. */
export interface BufferedEntry<R> {
  readonly record: R;
  /** Stream time (for windows: the window end) at which the entry is due. */
  readonly dueAt: number;
  readonly firstBufferedAt: number;
  /** Order of first buffering: early emission takes the smallest. */
  readonly order: number;
  /** Estimated bytes, counted against `maxBytes`. */
  readonly bytes: number;
}

/**
 * The entries a suppression holds back, indexed twice so that a record costs
 * O(log n) in buffered entries rather than a scan: by due time in a min-heap
 * ({@link ExpiryQueue}) for emission, and by first buffering in a Map (whose
 * iteration order is insertion order) for early emission when full. An
 * updated entry keeps its Map position; an entry removed, or whose due time
 * moved, leaves its heap slot behind, recognised as stale when popped.
 */
export class SuppressionBuffer<R> {
  private readonly entries = new Map<string, BufferedEntry<R>>();
  private readonly queue = new ExpiryQueue();
  private totalBytes = 0;

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get(id: string): BufferedEntry<R> | undefined {
    return this.entries.get(id);
  }

  /**
   * Adds or replaces an entry. A replacement keeps its place for early emission;
   * its due time may move (a session that grew keeps its start, so its id, but
   * ends later), which leaves the old heap slot stale. `prev`: what `get(id)`
   * returned, when the caller has it.
   */
  put(id: string, e: BufferedEntry<R>, prev: BufferedEntry<R> | undefined = this.entries.get(id)): void {
    if (prev !== undefined) this.totalBytes -= prev.bytes;
    if (prev === undefined || prev.dueAt !== e.dueAt) {
      this.queue.add(e.dueAt, id);
      this.compactQueue();
    }
    this.entries.set(id, e);
    this.totalBytes += e.bytes;
  }

  remove(id: string): BufferedEntry<R> | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    this.entries.delete(id);
    this.totalBytes -= e.bytes;
    this.compactQueue();
    return e;
  }

  /** The entry buffered first, or undefined when empty. */
  oldest(): [string, BufferedEntry<R>] | undefined {
    const it = this.entries.entries().next();
    return it.done === true ? undefined : it.value;
  }

  /**
   * Removes and returns the entries due at `cutoff` (`dueAt <= cutoff`, or
   * `< cutoff` when not `inclusive`), by due time then order of first buffering.
   */
  popDue(cutoff: number, inclusive: boolean): [string, BufferedEntry<R>][] {
    const out: [string, BufferedEntry<R>][] = [];
    const take = (id: string, time: number): void => {
      const e = this.entries.get(id);
      // Stale slot: the entry was emitted (and maybe buffered again with another due time).
      if (e === undefined || e.dueAt !== time) return;
      this.entries.delete(id);
      this.totalBytes -= e.bytes;
      out.push([id, e]);
    };
    if (inclusive) this.queue.popUpTo(cutoff, take);
    else this.queue.popBefore(cutoff, take);
    if (out.length > 1) out.sort(([, a], [, b]) => a.dueAt - b.dueAt || a.order - b.order);
    return out;
  }

  /** Stale heap slots are dropped by a rebuild before they outnumber live entries. */
  private compactQueue(): void {
    if (this.queue.size <= 2 * this.entries.size + 1024) return;
    this.queue.clear();
    for (const [id, e] of this.entries) this.queue.add(e.dueAt, id);
  }
}
