import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CachingKeyValueStore } from '../../../src/state/caching-key-value-store.js';
import { ChangeLoggingKeyValueStore } from '../../../src/state/change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { KeyValueWindowStore } from '../../../src/state/key-value-window-store.js';
import { LevelKeyValueStore } from '../../../src/state/level-key-value-store.js';
import { createStoreMetrics, MeteredKeyValueStore } from '../../../src/state/metered-key-value-store.js';
import { RecordingChangelogSink } from '../../../src/state/recording-changelog-sink.js';
import { StoreBuilder } from '../../../src/state/store-builder.js';
import { WindowKeySchema } from '../../../src/state/window-key-schema.js';
import { describeKeyValueStore, describeSessionStore, describeWindowStore, expectStateError, thrown, u8, utf8 } from '../../support/store-contracts.js';

// The full default stack, metered(caching(change-logging(LevelDB))), with a
// cache small enough that the suite exercises eviction.
describeKeyValueStore('StoreBuilder.keyValueStore (full LevelDB stack)', ({ directory, name }) =>
  StoreBuilder.keyValueStore(name).withCachingEnabled({ maxEntries: 100 }).build({ taskDirectory: directory, changelogSink: new RecordingChangelogSink() }),
);
describeKeyValueStore('StoreBuilder.keyValueStore (in-memory, no cache, no logging)', ({ directory, name }) =>
  StoreBuilder.keyValueStore(name, { persistent: false }).withCachingDisabled().withLoggingDisabled().build({ taskDirectory: directory }),
);
describeWindowStore('StoreBuilder.windowStore (full LevelDB stack)', ({ directory, name, retentionMs }) =>
  StoreBuilder.windowStore(name, { retentionMs }).withCachingEnabled({ maxEntries: 3 }).build({ taskDirectory: directory, changelogSink: new RecordingChangelogSink() }),
);
describeSessionStore('StoreBuilder.sessionStore (full in-memory stack)', ({ directory, name, retentionMs }) =>
  StoreBuilder.sessionStore(name, { retentionMs, persistent: false }).build({ taskDirectory: directory, changelogSink: new RecordingChangelogSink() }),
);

describe('StoreBuilder', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-builder-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('composes metered(caching(change-logging(level))) by default, at taskDirectory/name', () => {
    const sink = new RecordingChangelogSink();
    const metrics = createStoreMetrics();
    const store = StoreBuilder.keyValueStore('counts').build({ taskDirectory: join(dir, 'app', '0_0'), changelogSink: sink, metrics });
    expect(store).toBeInstanceOf(MeteredKeyValueStore);
    const metered = store as MeteredKeyValueStore;
    expect(metered.metrics).toBe(metrics);
    const caching = metered.inner as CachingKeyValueStore;
    expect(caching).toBeInstanceOf(CachingKeyValueStore);
    expect(caching.maxEntries).toBe(10_000);
    const logging = caching.inner as ChangeLoggingKeyValueStore;
    expect(logging).toBeInstanceOf(ChangeLoggingKeyValueStore);
    expect(logging.sink).toBe(sink);
    const level = logging.inner as LevelKeyValueStore;
    expect(level).toBeInstanceOf(LevelKeyValueStore);
    expect(level.location).toBe(join(dir, 'app', '0_0', 'counts'));
    expect(store.name).toBe('counts');
    expect(store.supports.persistent).toBe(true);
  });

  it('leaves out disabled layers and is immutable', () => {
    const base = StoreBuilder.keyValueStore('s', { persistent: false });
    const bare = base.withCachingDisabled().withLoggingDisabled().withMeteringDisabled();
    expect(bare.build({ taskDirectory: dir })).toBeInstanceOf(InMemoryKeyValueStore);
    expect(base.cachingEnabled && base.loggingEnabled).toBe(true);
    expect(bare.cachingEnabled || bare.loggingEnabled).toBe(false);
    const logged = base.withCachingDisabled().withMeteringDisabled().build({ taskDirectory: dir, changelogSink: new RecordingChangelogSink() });
    expect(logged).toBeInstanceOf(ChangeLoggingKeyValueStore);
    expect(Object.isFrozen(base)).toBe(true);
  });

  it('builds window stores on the same stack and accepts a custom inner store', async () => {
    const made: string[] = [];
    const builder = StoreBuilder.windowStore('w', { retentionMs: 100 }).withInnerStore(
      (name, location) => {
        made.push(`${name}@${location}`);
        return new InMemoryKeyValueStore(name);
      },
      { persistent: false },
    );
    const sink = new RecordingChangelogSink();
    const store = builder.build({ taskDirectory: dir, changelogSink: sink });
    expect(store).toBeInstanceOf(KeyValueWindowStore);
    expect(made).toEqual([`w@${join(dir, 'w')}`]);
    await store.open();
    const flushed: number[] = [];
    expect((store as KeyValueWindowStore).setFlushListener((e) => void flushed.push(WindowKeySchema.decode(e.key).windowStart))).toBe(true);
    await store.put(utf8('k'), utf8('a'), 10);
    await store.put(utf8('k'), utf8('b'), 10);
    await store.flush();
    expect(flushed).toEqual([10]);
    expect(sink.records.map((r) => [r.storeName, WindowKeySchema.decode(r.key).windowStart])).toEqual([['w', 10]]);
    await store.close();
  });

  it('refuses to build a logged store without a changelog sink', () => {
    expectStateError(
      thrown(() => StoreBuilder.keyValueStore('counts').build({ taskDirectory: dir })),
      'RIVULET_STATE_MISCONFIGURED',
      'StoreBuilder.build: context.changelogSink must be a ChangelogSink when logging is enabled (store "counts", got undefined); pass the task\'s sink or call withLoggingDisabled()',
    );
  });

  it('validates names and options', () => {
    expectStateError(thrown(() => StoreBuilder.keyValueStore('')), 'RIVULET_STATE_INVALID_ARGUMENT', /^StoreBuilder.keyValueStore: store name must be/);
    expectStateError(
      thrown(() => StoreBuilder.windowStore('w', { retentionMs: 1.5 })),
      'RIVULET_STATE_INVALID_ARGUMENT',
      'StoreBuilder.windowStore: options.retentionMs must be an integer >= 0 (got number 1.5)',
    );
    expectStateError(
      thrown(() => StoreBuilder.keyValueStore('s').withCachingEnabled({ maxEntries: 0 })),
      'RIVULET_STATE_INVALID_ARGUMENT',
      'StoreBuilder.withCachingEnabled: options.maxEntries must be an integer >= 1 (got number 0)',
    );
    expectStateError(thrown(() => StoreBuilder.keyValueStore('s').build({ taskDirectory: '' })), 'RIVULET_STATE_INVALID_ARGUMENT', 'StoreBuilder.build: context.taskDirectory must be a non-empty path (got string)');
  });

  it('gives each task its own directory', async () => {
    const builder = StoreBuilder.keyValueStore('s').withLoggingDisabled();
    const a = builder.build({ taskDirectory: join(dir, '0_0') });
    const b = builder.build({ taskDirectory: join(dir, '0_1') });
    await a.open();
    await b.open();
    await a.put(u8(1), u8(1));
    await a.flush();
    expect(await b.get(u8(1))).toBeUndefined();
    await a.close();
    await b.close();
  });
});
