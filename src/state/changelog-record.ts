/**
 * One change to a store as it travels on the store's changelog topic and into
 * its LevelDB copy: the store's raw key and value bytes, `null` being a
 * tombstone (the key was deleted). Restoring a store replays these in offset
 * order.
 */
export interface ChangelogRecord {
  readonly key: Uint8Array;
  /** The new value, or `null` when the key was deleted. */
  readonly value: Uint8Array | null;
}
