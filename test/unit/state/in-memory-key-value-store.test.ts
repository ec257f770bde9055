import { describe, expect, it } from 'vitest';
import { InMemoryKeyValueStore } from '../../../src/state/in-memory-key-value-store.js';
import { describeKeyValueStore, u8 } from '../../support/store-contracts.js';

describeKeyValueStore('InMemoryKeyValueStore', ({ name }) => new InMemoryKeyValueStore(name));

describe('InMemoryKeyValueStore', () => {
  it('declares itself not persistent', () => {
    expect(new InMemoryKeyValueStore('s').supports).toEqual({ persistent: false, ordered: true });
  });

  it('counts entries exactly without scanning', async () => {
    const store = new InMemoryKeyValueStore('s');
    await store.open();
    await store.putAll([{ key: u8(1), value: u8(1) }, { key: u8(2), value: u8(2) }]);
    await store.delete(u8(1));
    expect(await store.approximateNumEntries()).toBe(1);
  });
});
