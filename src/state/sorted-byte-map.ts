import { compareBytes } from './bytes.js';

/** An entry of a {@link SortedByteMap}; `value` is updated in place on overwrite. */
export interface SortedEntry<V> {
  readonly key: Uint8Array;
  value: V;
}

// Chunks split above this many entries. Inserting costs a binary search over
// chunk maxima plus a splice of at most this many slots, so a few hundred
// keeps both the splice and the chunk count small (sortedcontainers' choice).
const MAX_CHUNK = 512;

/**
 * A map from byte strings to values kept in unsigned lexicographic key order:
 * a list of sorted chunks (the layout of Python's `sortedcontainers`).
 * `get`/`set`/`delete` are O(log n + chunk); iteration is O(1) per step.
 *
 * Iterators survive concurrent modification: each remembers the last key it
 * yielded and, if the map changed shape since, re-seeks just past it. So a key
 * present throughout is yielded exactly once, and keys inserted ahead of the
 * cursor are seen.
 */
export class SortedByteMap<V> {
  #chunks: SortedEntry<V>[][] = [];
  // Last key of each chunk, for the binary search that picks a chunk.
  #maxes: Uint8Array[] = [];
  #size = 0;
  // Bumped whenever entries move (insert, delete, clear), telling iterators
  // their remembered position may be stale.
  #version = 0;

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value under `key`, or `undefined`. */
  get(key: Uint8Array): V | undefined {
    const [ci, i] = this.#lowerBound(key);
    const entry = this.#chunks[ci]?.[i];
    return entry !== undefined && compareBytes(entry.key, key) === 0 ? entry.value : undefined;
  }

  /** The entry under `key`, or `undefined`. */
  entry(key: Uint8Array): SortedEntry<V> | undefined {
    const [ci, i] = this.#lowerBound(key);
    const entry = this.#chunks[ci]?.[i];
    return entry !== undefined && compareBytes(entry.key, key) === 0 ? entry : undefined;
  }

  /**
   * Sets `key` to `value`; returns the previous value or `undefined`. The map
   * keeps `key` itself (no copy): callers pass arrays they own.
   */
  set(key: Uint8Array, value: V): V | undefined {
    if (this.#chunks.length === 0) {
      this.#chunks.push([{ key, value }]);
      this.#maxes.push(key);
      this.#size = 1;
      this.#version++;
      return undefined;
    }
    let ci = this.#chunkFor(key, false);
    if (ci === this.#chunks.length) ci--; // beyond every key: append to the last chunk
    const chunk = this.#chunks[ci] as SortedEntry<V>[];
    const i = lowerBoundIn(chunk, key);
    const found = chunk[i];
    if (found !== undefined && compareBytes(found.key, key) === 0) {
      const previous = found.value;
      found.value = value;
      return previous;
    }
    chunk.splice(i, 0, { key, value });
    if (i === chunk.length - 1) this.#maxes[ci] = key;
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(chunk.length >> 1);
      this.#chunks.splice(ci + 1, 0, upper);
      this.#maxes.splice(ci, 1, (chunk[chunk.length - 1] as SortedEntry<V>).key, (upper[upper.length - 1] as SortedEntry<V>).key);
    }
    this.#size++;
    this.#version++;
    return undefined;
  }

  /** Removes `key`; returns its entry, or `undefined` if absent. */
  delete(key: Uint8Array): SortedEntry<V> | undefined {
    const [ci, i] = this.#lowerBound(key);
    const chunk = this.#chunks[ci];
    const found = chunk?.[i];
    if (chunk === undefined || found === undefined || compareBytes(found.key, key) !== 0) return undefined;
    chunk.splice(i, 1);
    if (chunk.length === 0) {
      this.#chunks.splice(ci, 1);
      this.#maxes.splice(ci, 1);
    } else if (i === chunk.length) {
      this.#maxes[ci] = (chunk[i - 1] as SortedEntry<V>).key;
    }
    this.#size--;
    this.#version++;
    return found;
  }

  /** Removes everything. */
  clear(): void {
    this.#chunks = [];
    this.#maxes = [];
    this.#size = 0;
    this.#version++;
  }

  /**
   * Entries with `from <= key <= to` (each bound optional), ascending or,
   * with `reverse`, descending. Lazy; see the class doc for modification.
   */
  *entries(from?: Uint8Array, to?: Uint8Array, reverse = false): Generator<SortedEntry<V>, void, undefined> {
    if (from !== undefined && to !== undefined && compareBytes(from, to) > 0) return;
    let last: Uint8Array | undefined;
    let version = -1;
    let ci = 0;
    let i = 0;
    for (;;) {
      if (version !== this.#version) {
        // (Re)position: past the last yielded key, or at the starting bound.
        if (reverse) {
          [ci, i] = this.#before(last === undefined ? to : last, last === undefined);
        } else if (last !== undefined) {
          [ci, i] = this.#upperBound(last);
        } else if (from !== undefined) {
          [ci, i] = this.#lowerBound(from);
        } else {
          [ci, i] = [0, 0];
        }
        version = this.#version;
      }
      const chunk = this.#chunks[ci];
      if (chunk === undefined || ci < 0) return;
      const entry = chunk[i];
      if (entry === undefined) {
        // Only reachable ascending: stepped past a chunk's end.
        ci++;
        i = 0;
        continue;
      }
      if (reverse ? from !== undefined && compareBytes(entry.key, from) < 0 : to !== undefined && compareBytes(entry.key, to) > 0) {
        return;
      }
      last = entry.key;
      if (reverse) {
        if (i > 0) i--;
        else {
          ci--;
          i = (this.#chunks[ci]?.length ?? 0) - 1;
        }
      } else {
        i++;
      }
      yield entry;
    }
  }

  // Index of the first chunk whose max is >= key (or > key when `strict`),
  // `#chunks.length` when none.
  #chunkFor(key: Uint8Array, strict: boolean): number {
    let lo = 0;
    let hi = this.#maxes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.#maxes[mid] as Uint8Array, key);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // Position of the first entry with key >= `key`; [chunks.length, 0] when none.
  #lowerBound(key: Uint8Array): [number, number] {
    const ci = this.#chunkFor(key, false);
    const chunk = this.#chunks[ci];
    return chunk === undefined ? [ci, 0] : [ci, lowerBoundIn(chunk, key)];
  }

  // Position of the first entry with key > `key`.
  #upperBound(key: Uint8Array): [number, number] {
    const ci = this.#chunkFor(key, true);
    const chunk = this.#chunks[ci];
    return chunk === undefined ? [ci, 0] : [ci, upperBoundIn(chunk, key)];
  }

  // Position of the last entry with key <= `key` (`inclusive`) or < `key`;
  // the last entry overall when `key` is undefined; ci = -1 when none.
  #before(key: Uint8Array | undefined, inclusive: boolean): [number, number] {
    let [ci, i] = key === undefined ? [this.#chunks.length, 0] : inclusive ? this.#upperBound(key) : this.#lowerBound(key);
    if (i > 0) return [ci, i - 1];
    ci--;
    return ci < 0 ? [-1, 0] : [ci, (this.#chunks[ci] as SortedEntry<V>[]).length - 1];
  }
}

function lowerBoundIn<V>(chunk: readonly SortedEntry<V>[], key: Uint8Array): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes((chunk[mid] as SortedEntry<V>).key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBoundIn<V>(chunk: readonly SortedEntry<V>[], key: Uint8Array): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes((chunk[mid] as SortedEntry<V>).key, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
