import { copyBytes } from './bytes.js';
import type { ChangelogSink } from './changelog-sink.js';
import type { KeyValue, KeyValueStore } from './key-value-store.js';
import { describeValue, invalidArgument } from './validation.js';
import { WrappedKeyValueStore } from './wrapped-key-value-store.js';

/**
 * The change-logging layer: every write to the inner store is also appended
 * to a {@link ChangelogSink} — the new value for a put, `null` for a delete —
 * after the inner write succeeded, so the changelog never holds a change the
 * store lacks. Reads pass through.
 *
 * Exactly one record per changed key per call: `putAll` appends one per
 * entry, `putIfAbsent` appends only when it wrote, `delete` always appends a
 * tombstone. Arrays handed to the sink are private copies, so a caller reusing
 * its buffers cannot alter records the sink still holds.
 *
 * `restoreBatch` does not append: restored records came from the changelog.
 */
export class ChangeLoggingKeyValueStore extends WrappedKeyValueStore {
  readonly sink: ChangelogSink;

  constructor(inner: KeyValueStore, sink: ChangelogSink) {
    super(inner);
    if (typeof (sink as { append?: unknown } | null)?.append !== 'function') {
      throw invalidArgument('ChangeLoggingKeyValueStore', 'sink', 'have an append(storeName, key, value) method', describeValue(sink));
    }
    this.sink = sink;
  }

  protected override async _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    await this.inner.put(key, value);
    this.sink.append(this.name, copyBytes(key), copyBytes(value));
  }

  protected override async _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    await this.inner.putAll(entries);
    for (const { key, value } of entries) this.sink.append(this.name, copyBytes(key), copyBytes(value));
  }

  protected override async _putIfAbsent(key: Uint8Array, value: Uint8Array): Promise<Uint8Array | undefined> {
    const existing = await this.inner.putIfAbsent(key, value);
    if (existing === undefined) this.sink.append(this.name, copyBytes(key), copyBytes(value));
    return existing;
  }

  protected override async _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    const previous = await this.inner.delete(key);
    this.sink.append(this.name, copyBytes(key), null);
    return previous;
  }
}
