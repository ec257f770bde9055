import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// KTable semantics: latest value per key, tombstones delete, filter turns failing
// values into deletions, and re-grouping subtracts the old row before adding the new.

const str = Serdes.string();
const num = Serdes.json<number>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

describe('builder.table()', () => {
  it('keeps the latest value per key; a tombstone deletes the key and is forwarded as null', () => {
    const b = new StreamsBuilder();
    b.table<string, number>('prices', { keySerde: str, valueSerde: num }, { storeName: 'prices-store' }).toStream().to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('prices', str, num);
    input.pipeInput('apple', 3, 1);
    input.pipeInput('pear', 5, 2);
    input.pipeInput('apple', 4, 3); // update
    input.pipeInput('pear', null, 4); // tombstone: pear deleted
    input.pipeInput('kiwi', null, 5); // tombstone for an absent key: nothing to delete, nothing emitted
    expect(d.createOutputTopic('out', str, num).readRecordsToList().map((r) => [r.key, r.value, r.timestamp])).toEqual([
      ['apple', 3, 1],
      ['pear', 5, 2],
      ['apple', 4, 3],
      ['pear', null, 4],
    ]);
    const store = d.getKeyValueStore<string, number>('prices-store');
    expect(store.get('apple')).toBe(4);
    expect(store.get('pear')).toBeUndefined();
    expect(store.all()).toEqual([{ key: 'apple', value: 4 }]);
  });

  it('drops table records without a key and counts them', () => {
    const b = new StreamsBuilder();
    b.table<string, number>('t', { keySerde: str, valueSerde: num }, { storeName: 's' }).toStream().to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    d.createInputTopic('t', str, num).pipeInput(null, 1, 1);
    expect(d.createOutputTopic('out', str, num).isEmpty()).toBe(true);
    expect(d.metrics().dropped['null-key']).toBe(1);
  });
});

describe('KTable.filter / mapValues / toStream', () => {
  it('filter forwards deletions for rows that stop passing and nothing for rows that never passed', () => {
    const b = new StreamsBuilder();
    const t = b.table<string, number>('scores', { keySerde: str, valueSerde: num }, { storeName: 'scores' });
    t.filter((_k, v) => v >= 50).toStream().to('passing', { keySerde: str, valueSerde: num });
    t.filterNot((_k, v) => v >= 50).toStream().to('failing', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('scores', str, num);
    input.pipeInput('ann', 70, 1); // passes
    input.pipeInput('bob', 20, 2); // fails; bob was absent: filter emits nothing
    input.pipeInput('ann', 40, 3); // ann 70 -> 40: stops passing -> deletion of ann
    input.pipeInput('bob', 30, 4); // bob 20 -> 30: still failing, neither old nor new passes -> nothing
    input.pipeInput('bob', 90, 5); // bob passes now
    input.pipeInput('bob', null, 6); // bob deleted: deletion downstream
    // filter (>= 50): ann=70, ann=null, bob=90, bob=null.
    expect(d.createOutputTopic('passing', str, num).readKeyValuesToList()).toEqual([
      { key: 'ann', value: 70 },
      { key: 'ann', value: null },
      { key: 'bob', value: 90 },
      { key: 'bob', value: null },
    ]);
    // filterNot (< 50): ann 70 never passes -> nothing; bob=20; ann 70 -> 40 starts passing -> ann=40;
    // bob=30; bob 30 -> 90 stops passing -> bob=null; the tombstone at t=6 deletes a row (90) that
    // did not pass: old and new both absent -> nothing.
    expect(d.createOutputTopic('failing', str, num).readKeyValuesToList()).toEqual([
      { key: 'bob', value: 20 },
      { key: 'ann', value: 40 },
      { key: 'bob', value: 30 },
      { key: 'bob', value: null },
    ]);
  });

  it('mapValues maps every update and passes deletions through', () => {
    const b = new StreamsBuilder();
    b.table<string, number>('celsius', { keySerde: str, valueSerde: num }, { storeName: 'c' })
      .mapValues((c, k) => `${k}:${c * 1.8 + 32}F`)
      .toStream()
      .to('fahrenheit', { keySerde: str, valueSerde: str });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('celsius', str, num);
    input.pipeInput('oslo', 10, 1); // 10 * 1.8 + 32 = 50
    input.pipeInput('rome', 25, 2); // 25 * 1.8 + 32 = 77
    input.pipeInput('oslo', null, 3);
    expect(d.createOutputTopic('fahrenheit', str, str).readKeyValuesToList()).toEqual([
      { key: 'oslo', value: 'oslo:50F' },
      { key: 'rome', value: 'rome:77F' },
      { key: 'oslo', value: null },
    ]);
  });
});

describe('KTable.groupBy re-aggregation', () => {
  /** user -> region; counts users per region. */
  function usersPerRegion() {
    const b = new StreamsBuilder();
    const users = b.table<string, string>('user-regions', { keySerde: str, valueSerde: str }, { storeName: 'user-regions' });
    const byRegion = users.groupBy((user, region) => ({ key: region, value: user }), { name: 'by-region', keySerde: str, valueSerde: str });
    byRegion.count({ storeName: 'region-counts' }).toStream().to('region-counts', { keySerde: str, valueSerde: num });
    byRegion
      .reduce(
        (acc, user) => [...acc.split(','), user].filter((u) => u.length > 0).sort().join(','),
        (acc, user) => acc.split(',').filter((u) => u !== user).join(','),
        { storeName: 'region-users' },
      )
      .toStream()
      .to('region-users', { keySerde: str, valueSerde: str });
    byRegion
      .aggregate(
        () => 0,
        (_region, user, total: number) => total + user.length,
        (_region, user, total: number) => total - user.length,
        { storeName: 'region-name-chars' },
      )
      .toStream()
      .to('region-chars', { keySerde: str, valueSerde: num });
    return b.build();
  }

  it('moving a user between regions decrements the old region and increments the new one', () => {
    const d = (driver = new TopologyTestDriver(usersPerRegion()));
    const input = d.createInputTopic('user-regions', str, str);
    input.pipeInput('alice', 'eu', 1); // eu: +alice
    input.pipeInput('bob', 'eu', 2); //   eu: +bob
    input.pipeInput('carol', 'us', 3); // us: +carol
    input.pipeInput('alice', 'us', 4); // alice moves: eu -alice, us +alice
    input.pipeInput('bob', null, 5); //   bob deleted: eu -bob

    // count: eu 1, eu 2, us 1, then the move: eu 2-1 = 1 (subtract first), us 1+1 = 2; delete bob: eu 0.
    expect(d.createOutputTopic('region-counts', str, num).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 1 },
      { key: 'eu', value: 2 },
      { key: 'us', value: 1 },
      { key: 'eu', value: 1 },
      { key: 'us', value: 2 },
      { key: 'eu', value: 0 },
    ]);
    // reduce (sorted user list): eu "alice", "alice,bob"; us "carol"; move: eu "bob", us "alice,carol";
    // delete bob: eu "" (the reducer's result; Kafka Streams keeps non-null reduce results).
    expect(d.createOutputTopic('region-users', str, str).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 'alice' },
      { key: 'eu', value: 'alice,bob' },
      { key: 'us', value: 'carol' },
      { key: 'eu', value: 'bob' },
      { key: 'us', value: 'alice,carol' },
      { key: 'eu', value: '' },
    ]);
    // aggregate of name lengths: alice 5, bob 3, carol 5.
    // eu 5, eu 8, us 5; move: eu 8-5 = 3, us 5+5 = 10; delete bob: eu 3-3 = 0.
    expect(d.createOutputTopic('region-chars', str, num).readKeyValuesToList()).toEqual([
      { key: 'eu', value: 5 },
      { key: 'eu', value: 8 },
      { key: 'us', value: 5 },
      { key: 'eu', value: 3 },
      { key: 'us', value: 10 },
      { key: 'eu', value: 0 },
    ]);
    expect(d.getKeyValueStore<string, number>('region-counts').get('us')).toBe(2);
    expect(d.getKeyValueStore<string, number>('region-counts').get('eu')).toBe(0);
  });

  it('an update within the same group yields one update of that group (subtract then add, coalesced at commit)', () => {
    const b = new StreamsBuilder();
    b.table<string, number>('balances', { keySerde: str, valueSerde: num }, { storeName: 'balances' })
      .groupBy((account, balance) => ({ key: account.slice(0, 1), value: balance }), { keySerde: str, valueSerde: num })
      .aggregate(
        () => 0,
        (_k, v, sum: number) => sum + v,
        (_k, v, sum: number) => sum - v,
        { storeName: 'by-letter' },
      )
      .toStream()
      .to('sums', { keySerde: str, valueSerde: num });
    const topology = b.build();
    // The re-grouping goes through a repartition topic: two sub-topologies.
    expect(topology.subTopologies()).toHaveLength(2);
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('balances', str, num);
    input.pipeInput('a1', 10, 1); // a: 10
    input.pipeInput('a2', 5, 2); //  a: 15
    input.pipeInput('a1', 12, 3); // a: 15 - 10 + 12 = 17, emitted once
    expect(d.createOutputTopic('sums', str, num).readKeyValuesToList()).toEqual([
      { key: 'a', value: 10 },
      { key: 'a', value: 15 },
      { key: 'a', value: 17 },
    ]);
  });
});
