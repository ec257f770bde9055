/**
 * A sorted set of strings as a list of sorted chunks of at most
 * {@link SortedKeys.CHUNK} keys (the layout of Python's sortedcontainers):
 * an insert or delete is two binary searches and a splice within one chunk,
 * so it costs O(log n + CHUNK) instead of moving half of one flat array.
 * Working stores keep their keys here because processing interleaves inserts
 * with ordered range reads.
 */
export class SortedKeys {
  static readonly CHUNK = 512;
  private chunks: string[][] = [];
  private count = 0;

  constructor(keys?: Iterable<string>) {
    if (keys === undefined) return;
    const all = [...keys].sort();
    for (let i = 0; i < all.length; i += SortedKeys.CHUNK / 2) this.chunks.push(all.slice(i, i + SortedKeys.CHUNK / 2));
    this.count = all.length;
  }

  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose last key is >= k (chunks.length when none). */
  private chunkFor(k: string): number {
    const c = this.chunks;
    let lo = 0;
    let hi = c.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = c[mid] as string[];
      if ((chunk[chunk.length - 1] as string) < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `k`; a key already held is left alone. */
  add(k: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([k]);
      this.count = 1;
      return;
    }
    let ci = this.chunkFor(k);
    if (ci === this.chunks.length) ci--;
    const chunk = this.chunks[ci] as string[];
    const i = lowerBound(chunk, k);
    if (chunk[i] === k) return;
    chunk.splice(i, 0, k);
    this.count++;
    if (chunk.length > SortedKeys.CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Removes `k` if held. */
  delete(k: string): void {
    const ci = this.chunkFor(k);
    const chunk = this.chunks[ci];
    if (chunk === undefined) return;
    const i = lowerBound(chunk, k);
    if (chunk[i] !== k) return;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
  }

  /** Keys in `[from, to]` (inclusive, either open), ascending. */
  range(from?: string, to?: string): string[] {
    const out: string[] = [];
    let ci = from === undefined ? 0 : this.chunkFor(from);
    if (ci >= this.chunks.length) return out;
    let i = from === undefined ? 0 : lowerBound(this.chunks[ci] as string[], from);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci] as string[];
      for (; i < chunk.length; i++) {
        const k = chunk[i] as string;
        if (to !== undefined && k > to) return out;
        out.push(k);
      }
    }
    return out;
  }
}

function lowerBound(keys: string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
