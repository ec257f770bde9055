import { join } from 'node:path';
import { StateError } from '../errors.js';
import { CachingKeyValueStore, DEFAULT_CACHE_MAX_ENTRIES } from './caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from './change-logging-key-value-store.js';
import type { ChangelogSink } from './changelog-sink.js';
import { InMemoryKeyValueStore } from './in-memory-key-value-store.js';
import type { KeyValueStore } from './key-value-store.js';
import { KeyValueSessionStore } from './key-value-session-store.js';
import { KeyValueWindowStore } from './key-value-window-store.js';
import { LevelKeyValueStore } from './level-key-value-store.js';
import { createStoreMetrics, MeteredKeyValueStore, type StoreMetrics } from './metered-key-value-store.js';
import type { SessionStore } from './session-store.js';
import { StateErrorCode } from './state-error-codes.js';
import type { StateStore } from './state-store.js';
import { describeValue, invalidArgument, requireIntegerAtLeast, requireStoreName } from './validation.js';
import type { WindowStore } from './window-store.js';

/** Makes the innermost byte store of a stack, given the store name and its directory. */
export type KeyValueStoreSupplier = (name: string, location: string) => KeyValueStore;

/** What the runtime hands a builder when a task creates its stores. */
export interface StoreBuildContext {
  /**
   * The task directory, `stateDir/applicationId/taskId`. A persistent store
   * lives in `<taskDirectory>/<store name>`.
   */
  readonly taskDirectory: string;
  /** The task's changelog sink. Required when logging is enabled. */
  readonly changelogSink?: ChangelogSink;
  /** Counters for the metered layer; a fresh object when omitted. */
  readonly metrics?: StoreMetrics;
}

/** The layers to put over an inner store, for {@link layerKeyValueStore}. */
export interface KeyValueLayers {
  /** Change-log every write here; `false` for none. */
  readonly logging: ChangelogSink | false;
  /** Cache writes, holding at most `maxEntries`; `false` for no cache. */
  readonly caching: { readonly maxEntries: number } | false;
  /** Meter into this object; `false` for no metering. */
  readonly metrics: StoreMetrics | false;
}

/**
 * Composes `metered(caching(change-logging(inner)))`, leaving out the layers
 * set to `false`. Logging sits below the cache so that only coalesced,
 * flushed writes reach the changelog; metering sits on top so it measures
 * what a processor waits for.
 */
export function layerKeyValueStore(inner: KeyValueStore, layers: KeyValueLayers): KeyValueStore {
  let store = inner;
  if (layers.logging !== false) store = new ChangeLoggingKeyValueStore(store, layers.logging);
  if (layers.caching !== false) store = new CachingKeyValueStore(store, { maxEntries: layers.caching.maxEntries });
  if (layers.metrics !== false) store = new MeteredKeyValueStore(store, layers.metrics);
  return store;
}

type Kind = { readonly type: 'key-value' } | { readonly type: 'window'; readonly retentionMs: number } | { readonly type: 'session'; readonly retentionMs: number };

interface Settings {
  readonly name: string;
  readonly kind: Kind;
  readonly persistent: boolean;
  readonly supplier: KeyValueStoreSupplier | undefined;
  readonly logging: boolean;
  readonly caching: boolean;
  readonly maxCacheEntries: number;
  readonly metered: boolean;
}

/**
 * A reusable recipe for one state store: the topology holds it, and each task
 * calls {@link build} with its own directory and changelog sink. Immutable:
 * every `with…` returns a new builder.
 *
 * Defaults follow Kafka Streams: persistent (LevelDB), logging on, caching on
 * (10 000 entries), metered. Window and session stores are built on the same
 * key-value stack (`KeyValueWindowStore(metered(caching(logging(inner))))`).
 *
 * @example
 * const counts = StoreBuilder.keyValueStore('counts').withCachingEnabled({ maxEntries: 1000 });
 * // per task:
 * const store = counts.build({ taskDirectory: join(stateDir, appId, taskId), changelogSink });
 * await store.open();
 */
export class StoreBuilder<S extends StateStore> {
  readonly #s: Settings;

  private constructor(settings: Settings) {
    this.#s = Object.freeze(settings);
    Object.freeze(this);
  }

  /** A key-value store recipe; `persistent: false` keeps it in memory. */
  static keyValueStore(name: string, options: { readonly persistent?: boolean } = {}): StoreBuilder<KeyValueStore> {
    requireStoreName('StoreBuilder.keyValueStore', name);
    return new StoreBuilder<KeyValueStore>(defaults(name, { type: 'key-value' }, options.persistent));
  }

  /** A window store recipe; retention as in {@link WindowStore}. */
  static windowStore(name: string, options: { readonly retentionMs: number; readonly persistent?: boolean }): StoreBuilder<WindowStore> {
    requireStoreName('StoreBuilder.windowStore', name);
    requireIntegerAtLeast('StoreBuilder.windowStore', 'options.retentionMs', options?.retentionMs, 0);
    return new StoreBuilder<WindowStore>(defaults(name, { type: 'window', retentionMs: options.retentionMs }, options.persistent));
  }

  /** A session store recipe; retention as in {@link SessionStore}. */
  static sessionStore(name: string, options: { readonly retentionMs: number; readonly persistent?: boolean }): StoreBuilder<SessionStore> {
    requireStoreName('StoreBuilder.sessionStore', name);
    requireIntegerAtLeast('StoreBuilder.sessionStore', 'options.retentionMs', options?.retentionMs, 0);
    return new StoreBuilder<SessionStore>(defaults(name, { type: 'session', retentionMs: options.retentionMs }, options.persistent));
  }

  get name(): string {
    return this.#s.name;
  }

  /** Whether the built store keeps data on disk (from the supplier when one was given). */
  get persistent(): boolean {
    return this.#s.persistent;
  }

  get loggingEnabled(): boolean {
    return this.#s.logging;
  }

  get cachingEnabled(): boolean {
    return this.#s.caching;
  }

  withLoggingEnabled(): StoreBuilder<S> {
    return new StoreBuilder<S>({ ...this.#s, logging: true });
  }

  /** No changelog: the store cannot be restored on another instance (in-memory ones come back empty). */
  withLoggingDisabled(): StoreBuilder<S> {
    return new StoreBuilder<S>({ ...this.#s, logging: false });
  }

  withCachingEnabled(options: { readonly maxEntries?: number } = {}): StoreBuilder<S> {
    const maxEntries = options.maxEntries ?? this.#s.maxCacheEntries;
    requireIntegerAtLeast('StoreBuilder.withCachingEnabled', 'options.maxEntries', maxEntries, 1);
    return new StoreBuilder<S>({ ...this.#s, caching: true, maxCacheEntries: maxEntries });
  }

  /** Every write goes straight down (and to the changelog); downstream sees every update. */
  withCachingDisabled(): StoreBuilder<S> {
    return new StoreBuilder<S>({ ...this.#s, caching: false });
  }

  withMeteringDisabled(): StoreBuilder<S> {
    return new StoreBuilder<S>({ ...this.#s, metered: false });
  }

  /** Replaces the innermost store (LevelDB or in-memory) with `supplier`'s, e.g. a test double. */
  withInnerStore(supplier: KeyValueStoreSupplier, options: { readonly persistent: boolean }): StoreBuilder<S> {
    if (typeof supplier !== 'function') {
      throw invalidArgument('StoreBuilder.withInnerStore', 'supplier', 'be a function (name, location) => KeyValueStore', describeValue(supplier));
    }
    return new StoreBuilder<S>({ ...this.#s, supplier, persistent: options.persistent });
  }

  /** Builds a new, closed store for one task. */
  build(context: StoreBuildContext): S {
    const s = this.#s;
    if (typeof context?.taskDirectory !== 'string' || context.taskDirectory === '') {
      throw invalidArgument('StoreBuilder.build', 'context.taskDirectory', 'be a non-empty path', describeValue(context?.taskDirectory));
    }
    if (s.logging && typeof (context.changelogSink as { append?: unknown } | undefined)?.append !== 'function') {
      throw new StateError(
        StateErrorCode.MISCONFIGURED,
        `StoreBuilder.build: context.changelogSink must be a ChangelogSink when logging is enabled (store "${s.name}", got ${describeValue(context.changelogSink)}); pass the task's sink or call withLoggingDisabled()`,
      );
    }
    const location = join(context.taskDirectory, s.name);
    const supplier = s.supplier ?? (s.persistent ? levelSupplier : memorySupplier);
    const stack = layerKeyValueStore(supplier(s.name, location), {
      logging: s.logging ? (context.changelogSink as ChangelogSink) : false,
      caching: s.caching ? { maxEntries: s.maxCacheEntries } : false,
      metrics: s.metered ? (context.metrics ?? createStoreMetrics()) : false,
    });
    switch (s.kind.type) {
      case 'key-value':
        return stack as unknown as S;
      case 'window':
        return new KeyValueWindowStore(stack, { retentionMs: s.kind.retentionMs }) as unknown as S;
      case 'session':
        return new KeyValueSessionStore(stack, { retentionMs: s.kind.retentionMs }) as unknown as S;
    }
  }
}

function defaults(name: string, kind: Kind, persistent: boolean | undefined): Settings {
  return { name, kind, persistent: persistent ?? true, supplier: undefined, logging: true, caching: true, maxCacheEntries: DEFAULT_CACHE_MAX_ENTRIES, metered: true };
}

const levelSupplier: KeyValueStoreSupplier = (name, location) => new LevelKeyValueStore(name, location);
const memorySupplier: KeyValueStoreSupplier = (name) => new InMemoryKeyValueStore(name);
