import { describe, expect, it } from 'vitest';
import { ChangeLoggingKeyValueStore } from '../../../src/state/change-logging-key-value-store.js';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { RecordingChangelogSink } from '../../../src/state/recording-changelog-sink.js';
import { describeKeyValueStore, expectStateError, hex, thrown, u8 } from '../../support/store-contracts.js';

describeKeyValueStore('ChangeLoggingKeyValueStore(InMemoryKeyValueStore)', ({ name }) => new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore(name), new RecordingChangelogSink()));

async function logged() {
  const sink = new RecordingChangelogSink();
  const inner = new InMemoryKeyValueStore('counts');
  const store = new ChangeLoggingKeyValueStore(inner, sink);
  await store.open();
  const log = () => sink.records.map((r) => [r.storeName, hex(r.key), r.value === null ? null : hex(r.value)]);
  return { sink, inner, store, log };
}

describe('ChangeLoggingKeyValueStore', () => {
  it('appends exactly one record per change, tombstones as null, in write order', async () => {
    const { store, log } = await logged();
    await store.put(u8(1), u8(10));
    await store.put(u8(1), u8(11));
    await store.putAll([
      { key: u8(2), value: u8(20) },
      { key: u8(3), value: u8(30) },
    ]);
    expect(await store.putIfAbsent(u8(2), u8(99))).toEqual(u8(20)); // not written: not logged
    expect(await store.putIfAbsent(u8(4), u8(40))).toBeUndefined();
    expect(await store.delete(u8(3))).toEqual(u8(30));
    expect(await store.delete(u8(7))).toBeUndefined(); // absent: still a tombstone
    expect(log()).toEqual([
      ['counts', '01', '0a'],
      ['counts', '01', '0b'],
      ['counts', '02', '14'],
      ['counts', '03', '1e'],
      ['counts', '04', '28'],
      ['counts', '03', null],
      ['counts', '07', null],
    ]);
  });

  it('logs nothing for reads, flushes, failed writes or restores', async () => {
    const { store, log } = await logged();
    await store.put(u8(1), u8(1));
    await store.get(u8(1));
    for await (const _ of store.all());
    await store.flush();
    await store.put(u8(1), 'x' as unknown as Uint8Array).catch(() => undefined);
    await store.restoreBatch([
      { key: u8(5), value: u8(5) },
      { key: u8(1), value: null },
    ]);
    expect(log()).toEqual([['counts', '01', '01']]);
    expect(await store.get(u8(5))).toEqual(u8(5));
    expect(await store.get(u8(1))).toBeUndefined();
  });

  it('hands the sink private copies, immune to the caller reusing its buffers', async () => {
    const { store, sink } = await logged();
    const buf = u8(1, 2, 3);
    await store.put(buf, buf);
    buf.fill(0);
    expect(hex(sink.records[0]?.key as Uint8Array)).toBe('010203');
    expect(hex(sink.records[0]?.value as Uint8Array)).toBe('010203');
  });

  it('logs after the inner write, so a failed write logs nothing', async () => {
    const { store, inner, sink } = await logged();
    await inner.close(); // the inner write will fail
    await expect(store.put(u8(1), u8(1))).rejects.toMatchObject({ code: 'RIVULET_STATE_CLOSED' });
    expect(sink.records).toEqual([]);
  });

  it('rejects a sink without append', () => {
    expectStateError(
      thrown(() => new ChangeLoggingKeyValueStore(new InMemoryKeyValueStore('s'), {} as RecordingChangelogSink)),
      'RIVULET_STATE_INVALID_ARGUMENT',
      'ChangeLoggingKeyValueStore: sink must have an append(storeName, key, value) method (got Object)',
    );
  });
});
