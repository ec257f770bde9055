/**
 * One change to a store as it travels on the store's changelog topic: the
 * store's raw key and value bytes, `null` being a tombstone (the key was
 * deleted). Restoring a store replays these in offset order.
 */
export interface ChangelogRecord {
  readonly key: Uint8Array;
  /** The new value, or `null` when the key was deleted. */
  readonly value: Uint8Array | null;
}

/**
 * Where a {@link ChangeLoggingKeyValueStore} sends every write. The runtime
 * backs it with a producer on the compacted topic
 * `<applicationId>-<storeName>-changelog`, partition = the task's partition,
 * and sends what it buffered as part of the commit (inside the transaction
 * under exactly-once).
 *
 * Guarantees from the store side:
 * - `append` is called after the write reached the inner store, once per
 *   changed key, in the order the writes happened;
 * - a delete is appended as `value: null`, even when the key was absent
 *   (compaction drops it; skipping it would need a read per delete);
 * - the arrays are never mutated by rivulet after the call, so the sink may
 *   keep them without copying.
 *
 * `append` is synchronous on purpose: it must only buffer. A sink that can fail
 * (producer errors) should surface the failure at commit time.
 *
 * @example
 * const sink: ChangelogSink = {
 *   append: (store, key, value) => producer.buffer(`${appId}-${store}-changelog`, partition, key, value),
 * };
 */
export interface ChangelogSink {
  append(storeName: string, key: Uint8Array, value: Uint8Array | null): void;
}
