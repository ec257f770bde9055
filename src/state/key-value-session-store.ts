import { type CachedStore, type CacheFlushListener, isCachedStore } from './cache-flush-listener.js';
import type { ChangelogRecord } from './changelog-sink.js';
import type { KeyValueStore } from './key-value-store.js';
import { SessionKeySchema } from './session-key-schema.js';
import { type SessionRecord, SessionStore } from './session-store.js';
import type { StoreSupports } from './state-store.js';
import { TimeRetention } from './time-retention.js';
import { requireIntegerAtLeast } from './validation.js';

/** Options of {@link KeyValueSessionStore}. */
export interface KeyValueSessionStoreOptions {
  /** Retention in ms of stream time, measured from session ends; see {@link SessionStore}. */
  readonly retentionMs: number;
}

const endOf = (stored: Uint8Array): number => SessionKeySchema.decode(stored).end;

/**
 * A {@link SessionStore} kept in any byte {@link KeyValueStore}, keys laid out
 * by {@link SessionKeySchema}; the counterpart of {@link KeyValueWindowStore}
 * (same ownership of the inner store, same lazy expiry, by session end).
 */
export class KeyValueSessionStore extends SessionStore implements CachedStore {
  override readonly supports: StoreSupports;
  override readonly retentionMs: number;
  /** The byte store holding the encoded sessions. */
  readonly inner: KeyValueStore;
  /** Puts dropped because their session had already expired. */
  droppedExpiredPuts = 0;
  readonly #retention: TimeRetention;

  constructor(inner: KeyValueStore, options: KeyValueSessionStoreOptions) {
    super(inner.name);
    requireIntegerAtLeast('KeyValueSessionStore', 'options.retentionMs', options?.retentionMs, 0);
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
    if (this.inner.supports.persistent) await this.#retention.scan(this.inner, endOf);
    else this.#retention.reset();
  }

  protected override async _close(): Promise<void> {
    await this.inner.close();
  }

  protected override async _flush(): Promise<void> {
    await this.#retention.sweep(this.inner, endOf);
    await this.inner.flush();
  }

  protected override async _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    await this.inner.restoreBatch(records);
    for (const r of records) if (r.value !== null) this.#retention.stored(endOf(r.key));
  }

  protected override async _put(key: Uint8Array, start: number, end: number, value: Uint8Array | null): Promise<void> {
    this.#retention.observe(end);
    if (value === null) {
      await this.inner.delete(SessionKeySchema.encode(key, start, end));
    } else if (this.#retention.isExpired(end)) {
      this.droppedExpiredPuts++;
      return;
    } else {
      await this.inner.put(SessionKeySchema.encode(key, start, end), value);
      this.#retention.stored(end);
    }
    await this.#retention.sweep(this.inner, endOf);
  }

  protected override async _fetchSession(key: Uint8Array, start: number, end: number): Promise<Uint8Array | undefined> {
    if (this.#retention.isExpired(end)) return undefined;
    return this.inner.get(SessionKeySchema.encode(key, start, end));
  }

  protected override async *_findSessions(key: Uint8Array, earliestEnd: number, latestStart: number): AsyncGenerator<SessionRecord> {
    const fromEnd = Math.max(earliestEnd, this.#retention.cutoff);
    // Ends are unbounded above (a long session can start before latestStart
    // and end anywhere later), so the scan runs to the key's last session.
    const from = SessionKeySchema.encode(key, Number.MIN_SAFE_INTEGER, fromEnd);
    const to = SessionKeySchema.encode(key, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    for await (const { key: stored, value } of this.inner.range(from, to)) {
      const s = SessionKeySchema.decode(stored);
      if (s.start <= latestStart) yield { key: s.key, start: s.start, end: s.end, value };
    }
  }

  protected override async *_all(): AsyncGenerator<SessionRecord> {
    for await (const { key: stored, value } of this.inner.all()) {
      const s = SessionKeySchema.decode(stored);
      if (!this.#retention.isExpired(s.end)) yield { key: s.key, start: s.start, end: s.end, value };
    }
  }
}
