/** An entry a caching layer wrote down to its inner store, as its flush listener sees it. */
export interface CacheFlushedEntry {
  readonly key: Uint8Array;
  /** The value written, or `null` when the key was deleted. */
  readonly value: Uint8Array | null;
  /**
   * Only when the listener was set with `sendOldValues`: what the inner store
   * held for the key before this write (`null` when nothing). Costs one inner
   * read per flushed entry.
   */
  readonly oldValue?: Uint8Array | null;
}

/**
 * Called once per flushed entry, oldest write first, after the batch reached
 * the inner store. This is where a KTable-style processor forwards its
 * coalesced updates downstream. A returned promise is awaited before the next
 * entry; a throw stops the flush and propagates (the entries are already
 * written and will not be reported again).
 */
export type CacheFlushListener = (entry: CacheFlushedEntry) => void | Promise<void>;

/**
 * A store that has, or wraps, a caching layer and can route its flushes to a
 * listener. The metered layer and the window/session stores forward it.
 */
export interface CachedStore {
  /**
   * Sets (or, with `undefined`, removes) the listener. Returns false when no
   * caching layer is underneath — then writes are not coalesced and the
   * caller must forward updates itself.
   */
  setFlushListener(listener: CacheFlushListener | undefined, options?: { readonly sendOldValues?: boolean }): boolean;
}

/** True when `store` can take a flush listener (it may still return false if no cache is below). */
export function isCachedStore(store: unknown): store is CachedStore {
  return typeof (store as { setFlushListener?: unknown } | null)?.setFlushListener === 'function';
}
