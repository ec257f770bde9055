import { bytesToKey, keyToBytes } from './byte-keys.js';
import type { ChangelogRecord } from './changelog-record.js';
import { SortedKeys } from './sorted-keys.js';

/** A change ready to be written to LevelDB and the changelog; `value: null` deletes. */
export interface StoreChange {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/**
 * What the runtime needs from every working store: the changes since the last
 * commit, and a way to load persisted or changelogged entries back.
 */
export interface PersistableState {
  readonly name: string;
  /** Serialized changes since the previous call, one per key (last write wins). */
  drainChanges(): StoreChange[];
  /** Applies a persisted entry without recording it as a change. */
  restore(key: Uint8Array, value: Uint8Array | null): void;
  /**
   * Applies persisted entries in order, as `restore` one by one would; a store
   * whose per-record cost is a boundary crossing (the WASM kernel) does it once.
   */
  restoreBatch?(records: readonly ChangelogRecord[]): void;
  /** Number of entries held. */
  size(): number;
}

/** Applies `records` (in order) to `state`, in one batch where the store takes batches. */
export function restoreRecords(state: PersistableState, records: readonly ChangelogRecord[]): void {
  if (state.restoreBatch !== undefined) state.restoreBatch(records);
  else for (const r of records) state.restore(r.key, r.value);
}

/**
 * An in-memory table keyed by byte strings (see `byte-keys.ts`), ordered on
 * demand for ranges, that remembers which keys changed since the last drain.
 */
export class WorkingTable<E> {
  private readonly map = new Map<string, E>();
  private sortedKeys: SortedKeys | undefined;
  private readonly dirty = new Set<string>();

  get(k: string): E | undefined {
    return this.map.get(k);
  }

  set(k: string, e: E, track = true): void {
    if (!this.map.has(k)) this.keyAdded(k, track);
    this.map.set(k, e);
    if (track) this.dirty.add(k);
  }

  delete(k: string, track = true): E | undefined {
    const old = this.map.get(k);
    if (old !== undefined) {
      this.map.delete(k);
      this.sortedKeys?.delete(k);
    }
    if (track) this.dirty.add(k);
    return old;
  }

  get size(): number {
    return this.map.size;
  }

  /**
   * Processing interleaves inserts with range reads (sliding windows read a key's
   * neighbours on every record), so one insert keeps the order (O(log n) in
   * {@link SortedKeys}) rather than forcing a full re-sort; a restore's bulk
   * inserts drop it and sort once.
   */
  private keyAdded(k: string, single: boolean): void {
    if (this.sortedKeys === undefined) return;
    if (single) this.sortedKeys.add(k);
    else this.sortedKeys = undefined;
  }

  /** Keys in `[from, to]` (inclusive, either open), ascending. */
  keysInRange(from?: string, to?: string): string[] {
    this.sortedKeys ??= new SortedKeys(this.map.keys());
    return this.sortedKeys.range(from, to);
  }

  /** Changed keys since the last drain with their current entry (undefined = deleted). */
  drainDirty(): [string, E | undefined][] {
    const out: [string, E | undefined][] = [];
    for (const k of this.dirty) out.push([k, this.map.get(k)]);
    this.dirty.clear();
    return out;
  }

  /**
   * Applies a persisted or changelogged entry without recording it as a
   * change; a tombstone deletes. `decode` gets the entry's key as held here.
   */
  restore(key: Uint8Array, value: Uint8Array | null, decode: (k: string, value: Uint8Array) => E): void {
    const k = bytesToKey(key);
    if (value === null) this.delete(k, false);
    else this.set(k, decode(k, value), false);
  }

  /** The changes since the last drain, serialized (deleted keys become tombstones). */
  drainChanges(serializeValue: (entry: E) => Uint8Array): StoreChange[] {
    return this.drainDirty().map(([k, e]) => ({ key: keyToBytes(k), value: e === undefined ? null : serializeValue(e) }));
  }
}
