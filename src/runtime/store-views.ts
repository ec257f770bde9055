import { StateError } from '../errors.js';
import { queryableKind, type QueryableStoreType } from '../state/queryable-store-types.js';
import type { KeyValueEntry, ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore, SessionEntry, WindowEntry } from '../state/store-api.js';
import type { StoreType } from '../topology/store-definition.js';

type AnyStore = ReadOnlyKeyValueStore<unknown, unknown> & ReadOnlyWindowStore<unknown, unknown> & ReadOnlySessionStore<unknown, unknown>;

const FACTORY = { 'key-value': 'keyValueStore', window: 'windowStore', session: 'sessionStore' } as const;

/**
 * Interactive queries over one store of every task of an instance: a read-only
 * view of the kind `type` asks for (all kinds at once without a type), reading
 * the tasks' stores as they are at each call (tasks move on rebalances).
 * Throws `RIVULET_STATE_INVALID_STORE_TYPE` when the store is of another kind.
 */
export function storeView(name: string, storeType: StoreType, type: QueryableStoreType<unknown> | undefined, local: () => unknown[]): unknown {
  const kind = queryableKind(storeType);
  if (type !== undefined) {
    if (kind === undefined) {
      throw new StateError('RIVULET_STATE_INVALID_STORE_TYPE', `KafkaStreams.store: store "${name}" holds the WASM kernel's window statistics, which interactive queries cannot read; read the results from the output topic, or aggregate() into a window store to query them`);
    }
    if (type.kind !== kind) {
      throw new StateError('RIVULET_STATE_INVALID_STORE_TYPE', `KafkaStreams.store: store "${name}" is a ${kind} store, not a ${type.kind} store; query it with QueryableStoreTypes.${FACTORY[kind]}()`);
    }
  }
  const parts = () => local() as AnyStore[];
  const first = <T>(f: (s: AnyStore) => T | undefined): T | undefined => {
    for (const s of parts()) {
      const v = f(s);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const all = <T>(f: (s: AnyStore) => T[]): T[] => parts().flatMap(f);
  const keyValue: ReadOnlyKeyValueStore<unknown, unknown> = {
    name,
    get: (key) => first((s) => s.get(key)),
    range: (from, to) => all((s) => s.range(from, to)),
    reverseRange: (from, to) => all((s) => s.reverseRange(from, to)),
    all: () => all((s) => s.all() as KeyValueEntry<unknown, unknown>[]),
    prefixScan: (prefix) => all((s) => s.prefixScan(prefix)),
    approximateNumEntries: () => parts().reduce((n, s) => n + s.approximateNumEntries(), 0),
  };
  const window: ReadOnlyWindowStore<unknown, unknown> = {
    name,
    fetch: (key, start) => first((s) => s.fetch(key, start)),
    fetchRange: (key, from, to) => all((s) => s.fetchRange(key, from, to)),
    fetchAll: (from, to) => all((s) => s.fetchAll(from, to)),
    all: () => all((s) => s.all() as WindowEntry<unknown, unknown>[]),
  };
  const session: ReadOnlySessionStore<unknown, unknown> = {
    name,
    findSessions: (key, a, b) => all((s) => s.findSessions(key, a, b)),
    fetchSession: (key, a, b) => first((s) => s.fetchSession(key, a, b)),
    all: () => all((s) => s.all() as SessionEntry<unknown, unknown>[]),
  };
  if (type?.kind === 'key-value') return keyValue;
  if (type?.kind === 'window') return window;
  if (type?.kind === 'session') return session;
  return { ...session, ...window, ...keyValue, all: () => all((s) => s.all() as (KeyValueEntry<unknown, unknown> & WindowEntry<unknown, unknown> & SessionEntry<unknown, unknown>)[]) };
}
