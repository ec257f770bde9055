import { type CachedStore, type CacheFlushListener, isCachedStore } from './cache-flush-listener.js';
import type { ChangelogRecord } from './changelog-sink.js';
import type { KeyValueStore } from './key-value-store.js';
import type { StoreSupports } from './state-store.js';
import { TimeRetention } from './time-retention.js';
import { requireIntegerAtLeast } from './validation.js';
import { WindowKeySchema } from './window-key-schema.js';
import { type WindowRecord, WindowStore } from './window-store.js';

/** Options of {@link KeyValueWindowStore}. */
export interface KeyValueWindowStoreOptions {
  /** Retention in ms of stream time; see {@link WindowStore}. */
  readonly retentionMs: number;
}

const startOf = (stored: Uint8Array): number => WindowKeySchema.decode(stored).windowStart;

/**
 * A {@link WindowStore} kept in any byte {@link KeyValueStore} — in-memory,
 * LevelDB, or a layered stack — with keys laid out by {@link WindowKeySchema}.
 * So every backend gets window stores, and change-logging and caching apply
 * to them unchanged (the changelog carries encoded window keys).
 *
 * The window store owns its inner store: `open`, `close`, `flush` and
 * `restoreBatch` go through to it. It takes the inner store's name and
 * `supports`.
 *
 * Expiry without time segments: reads filter expired windows immediately;
 * deleting them is a scan of the inner store, run on put and flush only when
 * a stored window may have expired (see the lower bound kept by the store).
 * After a reopen over persistent data, one scan recovers `observedStreamTime`.
 */
export class KeyValueWindowStore extends WindowStore implements CachedStore {
  override readonly supports: StoreSupports;
  override readonly retentionMs: number;
  /** The byte store holding the encoded windows. */
  readonly inner: KeyValueStore;
  /** Puts dropped because their window had already expired (late writes). */
  droppedExpiredPuts = 0;
  readonly #retention: TimeRetention;

  constructor(inner: KeyValueStore, options: KeyValueWindowStoreOptions) {
    super(inner.name);
    requireIntegerAtLeast('KeyValueWindowStore', 'options.retentionMs', options?.retentionMs, 0);
    this.inner = inner;
    this.supports = inner.supports;
    this.retentionMs = options.retentionMs;
    this.#retention = new TimeRetention(options.retentionMs);
  }

  override get observedStreamTime(): number {
    return this.#retention.observed;
  }

  /**
   * Forwards to a caching layer underneath, if any. Flushed keys are encoded;
   * decode them with the key schema.
   */
  setFlushListener(listener: CacheFlushListener | undefined, options?: { readonly sendOldValues?: boolean }): boolean {
    return isCachedStore(this.inner) && this.inner.setFlushListener(listener, options);
  }

  protected override async _open(): Promise<void> {
    await this.inner.open();
    if (this.inner.supports.persistent) await this.#retention.scan(this.inner, startOf);
    else this.#retention.reset();
  }

  protected override async _close(): Promise<void> {
    await this.inner.close();
  }

  protected override async _flush(): Promise<void> {
    await this.#retention.sweep(this.inner, startOf);
    await this.inner.flush();
  }

  protected override async _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    await this.inner.restoreBatch(records);
    for (const r of records) if (r.value !== null) this.#retention.stored(startOf(r.key));
  }

  protected override async _put(key: Uint8Array, value: Uint8Array | null, windowStart: number): Promise<void> {
    // Stream time advances first, as in Kafka Streams: a put can expire itself.
    this.#retention.observe(windowStart);
    if (value === null) {
      await this.inner.delete(WindowKeySchema.encode(key, windowStart));
    } else if (this.#retention.isExpired(windowStart)) {
      this.droppedExpiredPuts++;
      return;
    } else {
      await this.inner.put(WindowKeySchema.encode(key, windowStart), value);
      this.#retention.stored(windowStart);
    }
    await this.#retention.sweep(this.inner, startOf);
  }

  protected override async _fetch(key: Uint8Array, windowStart: number): Promise<Uint8Array | undefined> {
    if (this.#retention.isExpired(windowStart)) return undefined;
    return this.inner.get(WindowKeySchema.encode(key, windowStart));
  }

  protected override async *_fetchRange(key: Uint8Array, timeFrom: number, timeTo: number): AsyncGenerator<WindowRecord> {
    const from = Math.max(timeFrom, this.#retention.cutoff);
    if (from > timeTo) return;
    for await (const { key: stored, value } of this.inner.range(WindowKeySchema.encode(key, from), WindowKeySchema.encode(key, timeTo))) {
      const decoded = WindowKeySchema.decode(stored);
      yield { key: decoded.key, windowStart: decoded.windowStart, value };
    }
  }

  protected override async *_fetchAll(timeFrom: number, timeTo: number): AsyncGenerator<WindowRecord> {
    const from = Math.max(timeFrom, this.#retention.cutoff);
    if (from > timeTo) return;
    for await (const { key: stored, value } of this.inner.all()) {
      const decoded = WindowKeySchema.decode(stored);
      if (decoded.windowStart >= from && decoded.windowStart <= timeTo) yield { key: decoded.key, windowStart: decoded.windowStart, value };
    }
  }
}
