import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, expectTypeOf, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { TimeWindows, SessionWindows } from '../../../src/dsl/windows.js';
import { StateError } from '../../../src/errors.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import type { Logger } from '../../../src/runtime/streams-config.js';
import { QueryableStoreTypes } from '../../../src/state/queryable-store-types.js';
import type { ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore } from '../../../src/state/store-api.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, produceJson } from '../../support/embedded-io.js';

const broker = new EmbeddedBroker();
const dir = mkdtempSync(join(tmpdir(), 'rivulet-qst-'));
afterAll(() => {
  broker.close();
  rmSync(dir, { recursive: true, force: true });
});
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function topology() {
  const b = new StreamsBuilder();
  const grouped = b.stream<string, number>('qst-in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).groupByKey();
  grouped.count({ storeName: 'counts' });
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10_000)).count({ storeName: 'per-window' });
  grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5_000)).count({ storeName: 'sessions' });
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10_000)).stats((v) => v, { storeName: 'stats' });
  return b.build();
}

it('store(name, QueryableStoreTypes.x()) returns the typed read-only store of that kind; the wrong kind is RIVULET_STATE_INVALID_STORE_TYPE', async () => {
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: 'qst-in', partitions: 2 }]);
  const app = new KafkaStreams(topology(), { applicationId: 'qst', stateDir: dir, embeddedBroker: broker, commitIntervalMs: 50, logger: quiet });

  const counts = app.store('counts', QueryableStoreTypes.keyValueStore<string, number>());
  const windows = app.store('per-window', QueryableStoreTypes.windowStore<string, number>());
  const sessions = app.store('sessions', QueryableStoreTypes.sessionStore<string, number>());
  expectTypeOf(counts).toEqualTypeOf<ReadOnlyKeyValueStore<string, number>>();
  expectTypeOf(windows).toEqualTypeOf<ReadOnlyWindowStore<string, number>>();
  expectTypeOf(sessions).toEqualTypeOf<ReadOnlySessionStore<string, number>>();
  // Views hold only their kind's methods.
  expect(Object.keys(counts).sort()).toEqual(['all', 'approximateNumEntries', 'get', 'name', 'prefixScan', 'range', 'reverseRange']);
  expect(Object.keys(windows).sort()).toEqual(['all', 'fetch', 'fetchAll', 'fetchRange', 'name']);
  expect(Object.keys(sessions).sort()).toEqual(['all', 'fetchSession', 'findSessions', 'name']);

  const wrong = (f: () => unknown): StateError => {
    try {
      f();
    } catch (e) {
      return e as StateError;
    }
    throw new Error('expected a throw');
  };
  const w1 = wrong(() => app.store('counts', QueryableStoreTypes.windowStore<string, number>()));
  expect(w1).toBeInstanceOf(StateError);
  expect(w1.code).toBe('RIVULET_STATE_INVALID_STORE_TYPE');
  expect(w1.message).toBe('KafkaStreams.store: store "counts" is a key-value store, not a window store; query it with QueryableStoreTypes.keyValueStore()');
  expect(wrong(() => app.store('per-window', QueryableStoreTypes.keyValueStore())).message).toContain('QueryableStoreTypes.windowStore()');
  expect(wrong(() => app.store('sessions', QueryableStoreTypes.windowStore())).message).toContain('QueryableStoreTypes.sessionStore()');
  const w4 = wrong(() => app.store('stats', QueryableStoreTypes.windowStore()));
  expect(w4.code).toBe('RIVULET_STATE_INVALID_STORE_TYPE');
  expect(w4.message).toContain('read the results from the output topic');
  expect(wrong(() => app.store('nope', QueryableStoreTypes.keyValueStore())).code).toBe('RIVULET_STATE_UNKNOWN_STORE');

  // The typed views answer over the instance's tasks, and the untyped form still works.
  await produceJson(admin, 'qst-in', [
    { key: 'a', value: 1, timestamp: 1_000 },
    { key: 'a', value: 2, timestamp: 2_000 },
    { key: 'b', value: 3, timestamp: 3_000 },
  ]);
  const app2 = new KafkaStreams(topologyWithoutStats(), { applicationId: 'qst2', stateDir: dir, embeddedBroker: broker, commitIntervalMs: 50, logger: quiet });
  await app2.start();
  const c2 = app2.store('counts', QueryableStoreTypes.keyValueStore<string, number>());
  await eventually(() => c2.get('a') === 2 && c2.get('b') === 1, 20_000, 'counts a=2, b=1');
  expect(app2.store('per-window', QueryableStoreTypes.windowStore<string, number>()).fetch('a', 0)).toBe(2);
  expect(app2.store('sessions', QueryableStoreTypes.sessionStore<string, number>()).findSessions('a', 0, 10_000).map((s) => s.value)).toEqual([2]);
  expect(app2.store<string, number>('counts').get('a')).toBe(2);
  await app2.close();
  await admin.close();
}, 60_000);

/** The same stores without the WASM one, so the test runs without a built kernel. */
function topologyWithoutStats() {
  const b = new StreamsBuilder();
  const grouped = b.stream<string, number>('qst-in', { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() }).groupByKey();
  grouped.count({ storeName: 'counts' });
  grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(10_000)).count({ storeName: 'per-window' });
  grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(5_000)).count({ storeName: 'sessions' });
  return b.build();
}
