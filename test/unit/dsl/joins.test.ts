import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { JoinWindows } from '../../../src/dsl/windows.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// Expected outputs below are worked out by hand from the join definitions in the
// comments, not from the code under test.

const str = Serdes.string();
const json = Serdes.json<unknown>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

/** Everything written to `topic` so far, as `key@timestamp=value`. */
const rows = (d: TopologyTestDriver, topic: string) => d.createOutputTopic(topic, str, json).readRecordsToList().map((r) => `${r.key}@${r.timestamp}=${JSON.stringify(r.value)}`);

describe('KStream.join / leftJoin(KTable)', () => {
  function topology(left: boolean) {
    const b = new StreamsBuilder();
    const customers = b.table<string, string>('customers', { keySerde: str, valueSerde: Serdes.json<string>() }, { storeName: 'customers' });
    const orders = b.stream<string, number>('orders', { keySerde: str, valueSerde: Serdes.json<number>() });
    const joiner = (amount: number, name: string | undefined) => `${name ?? '?'}:${amount}`;
    (left ? orders.leftJoin(customers, joiner) : orders.join(customers, joiner)).to('out', { keySerde: str, valueSerde: Serdes.json<string>() });
    return b.build();
  }

  it('joins each order with the customer row current at its arrival; table updates emit nothing', () => {
    const d = (driver = new TopologyTestDriver(topology(false)));
    const customers = d.createInputTopic('customers', str, Serdes.json<string>());
    const orders = d.createInputTopic('orders', str, Serdes.json<number>());
    orders.pipeInput('c1', 10, 1); // no row yet: the inner join emits nothing
    customers.pipeInput('c1', 'ann', 2);
    orders.pipeInput('c1', 20, 3); // ann:20
    customers.pipeInput('c1', 'anne', 4); // nothing by itself
    orders.pipeInput('c1', 30, 5); // anne:30
    customers.pipeInput('c1', null, 6); // deleted
    orders.pipeInput('c1', 40, 7); // nothing
    expect(rows(d, 'out')).toEqual(['c1@3="ann:20"', 'c1@5="anne:30"']);
  });

  it('leftJoin emits orders without a customer with undefined', () => {
    const d = (driver = new TopologyTestDriver(topology(true)));
    const orders = d.createInputTopic('orders', str, Serdes.json<number>());
    orders.pipeInput('c1', 10, 1);
    d.createInputTopic('customers', str, Serdes.json<string>()).pipeInput('c1', 'ann', 2);
    orders.pipeInput('c1', 20, 3);
    expect(rows(d, 'out')).toEqual(['c1@1="?:10"', 'c1@3="ann:20"']);
  });

  it('repartitions the stream when its key changed, and joins with a table that is not materialized yet', () => {
    const b = new StreamsBuilder();
    const names = b.table<string, string>('customers', { keySerde: str, valueSerde: Serdes.json<string>() }).mapValues((n) => n.toUpperCase());
    b.stream<string, { customer: string; amount: number }>('orders', { keySerde: str, valueSerde: Serdes.json() })
      .selectKey((_k, o) => o.customer)
      .join(names, (o, n) => `${n}:${o.amount}`)
      .to('out', { keySerde: str, valueSerde: Serdes.json<string>() });
    const topology = b.build();
    expect(topology.describe().toString()).toMatch(/KSTREAM-JOIN-\d+-repartition-sink/);
    const d = (driver = new TopologyTestDriver(topology));
    d.createInputTopic('customers', str, Serdes.json<string>()).pipeInput('c7', 'bo', 1);
    d.createInputTopic('orders', str, Serdes.json<{ customer: string; amount: number }>()).pipeInput('o1', { customer: 'c7', amount: 5 }, 2);
    expect(rows(d, 'out')).toEqual(['c7@2="BO:5"']);
  });
});

describe('KTable.join / leftJoin / outerJoin(KTable)', () => {
  function topology(mode: 'join' | 'leftJoin' | 'outerJoin') {
    const b = new StreamsBuilder();
    const l = b.table<string, string>('l', { keySerde: str, valueSerde: Serdes.json<string>() });
    const r = b.table<string, string>('r', { keySerde: str, valueSerde: Serdes.json<string>() });
    const joiner = (a: string | undefined, x: string | undefined) => `${a ?? '-'}+${x ?? '-'}`;
    const joined = mode === 'join' ? l.join(r, joiner) : mode === 'leftJoin' ? l.leftJoin(r, joiner) : l.outerJoin(r, joiner);
    joined.toStream().to('out', { keySerde: str, valueSerde: Serdes.json<string>() });
    // Rows of the joined table, counted downstream: retractions must take rows away again.
    joined
      .groupBy((_k, v) => ({ key: 'rows', value: v }))
      .count({ storeName: 'rows' })
      .toStream()
      .to('count', { keySerde: str, valueSerde: Serdes.json<number>() });
    return b.build();
  }

  function run(mode: 'join' | 'leftJoin' | 'outerJoin') {
    const d = (driver = new TopologyTestDriver(topology(mode)));
    const l = d.createInputTopic('l', str, Serdes.json<string>());
    const r = d.createInputTopic('r', str, Serdes.json<string>());
    l.pipeInput('k1', 'a', 1);
    r.pipeInput('k1', 'x', 2);
    l.pipeInput('k1', 'b', 3);
    r.pipeInput('k1', null, 4);
    r.pipeInput('k3', 'z', 5);
    l.pipeInput('k1', null, 6);
    return d;
  }

  it('inner: a row exists while both sides have one; updates replace it, a deletion on either side removes it', () => {
    const d = run('join');
    expect(rows(d, 'out')).toEqual(['k1@2="a+x"', 'k1@3="b+x"', 'k1@4=null']);
    expect(d.getKeyValueStore<string, number>('rows').get('rows')).toBe(0);
  });

  it('left: every left row, with the right row or undefined', () => {
    const d = run('leftJoin');
    // k1=a -> a+-; r k1=x -> a+x; l k1=b -> b+x; r k1 deleted -> b+-; r k3 alone: nothing; l k1 deleted -> gone.
    expect(rows(d, 'out')).toEqual(['k1@1="a+-"', 'k1@2="a+x"', 'k1@3="b+x"', 'k1@4="b+-"', 'k1@6=null']);
    expect(d.getKeyValueStore<string, number>('rows').get('rows')).toBe(0);
  });

  it('outer: rows of either side; the count downstream follows additions and retractions', () => {
    const d = run('outerJoin');
    expect(rows(d, 'out')).toEqual(['k1@1="a+-"', 'k1@2="a+x"', 'k1@3="b+x"', 'k1@4="b+-"', 'k3@5="-+z"', 'k1@6=null']);
    // k3's row remains.
    expect(d.getKeyValueStore<string, number>('rows').get('rows')).toBe(1);
  });
});

describe('KStream.join / leftJoin / outerJoin(KStream, JoinWindows)', () => {
  function topology(mode: 'join' | 'leftJoin' | 'outerJoin', windows: JoinWindows) {
    const b = new StreamsBuilder();
    const impressions = b.stream<string, string>('impressions', { keySerde: str, valueSerde: Serdes.json<string>() });
    const clicks = b.stream<string, string>('clicks', { keySerde: str, valueSerde: Serdes.json<string>() });
    const joiner = (i: string | undefined, c: string | undefined) => `${i ?? '-'}|${c ?? '-'}`;
    const joined = mode === 'join' ? impressions.join(clicks, joiner, windows, { name: 'ad-join' }) : mode === 'leftJoin' ? impressions.leftJoin(clicks, joiner, windows, { name: 'ad-join' }) : impressions.outerJoin(clicks, joiner, windows, { name: 'ad-join' });
    joined.to('out', { keySerde: str, valueSerde: Serdes.json<string>() });
    return b.build();
  }

  it('inner: pairs within [t - before, t + after] join in both arrival orders, duplicates included; the result carries the later timestamp', () => {
    // before = after = 10, no grace.
    const d = (driver = new TopologyTestDriver(topology('join', JoinWindows.ofTimeDifferenceWithNoGrace(10))));
    const imp = d.createInputTopic('impressions', str, Serdes.json<string>());
    const clk = d.createInputTopic('clicks', str, Serdes.json<string>());
    imp.pipeInput('a', 'i10', 10);
    clk.pipeInput('a', 'c5', 5); //   5 in [0, 20]: i10|c5 at 10
    clk.pipeInput('a', 'c25', 25); // left records in [15, 35]: none
    imp.pipeInput('a', 'i20', 20); // right records in [10, 30]: c25 -> i20|c25 at 25
    imp.pipeInput('a', 'i20b', 20); // the same again for a second record at 20
    clk.pipeInput('b', 'c20', 20); // other key: nothing
    expect(rows(d, 'out')).toEqual(['a@10="i10|c5"', 'a@25="i20|c25"', 'a@25="i20b|c25"']);
  });

  it('left (impressions ⨝ clicks up to 10 s later): unmatched impressions are emitted once nothing can join them any more; late records are dropped', () => {
    // before(0): a click joins impressions in [t' - 10, t']. Grace 5.
    // Unmatched impression at t is final when t + before + after + grace = t + 15 < stream time.
    // An impression is late when t + 10 + 5 < stream time; a click when t' + 0 + 5 < stream time.
    const d = (driver = new TopologyTestDriver(topology('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(10, 5).before(0))));
    const imp = d.createInputTopic('impressions', str, Serdes.json<string>());
    const clk = d.createInputTopic('clicks', str, Serdes.json<string>());
    imp.pipeInput('a', 'ia0', 0);
    imp.pipeInput('b', 'ib2', 2);
    clk.pipeInput('a', 'ca5', 5); //   ia0 in [-5, 5] -> ia0|ca5 at 5
    imp.pipeInput('c', 'ic6', 6);
    clk.pipeInput('b', 'cb20', 20); // impressions of b in [10, 20]: none. Stream time 20: ib2 (2 + 15 < 20) is final -> ib2|- at 2
    imp.pipeInput('a', 'ia3', 3); //  3 + 15 < 20: late
    clk.pipeInput('c', 'cc12', 12); // 12 + 5 < 20: late (ic6 stays unmatched)
    expect(rows(d, 'out')).toEqual(['a@5="ia0|ca5"', 'b@2="ib2|-"']);
    imp.pipeInput('d', 'id30', 30); // stream time 30: ic6 (6 + 15 < 30) final -> ic6|-; ia0 was matched
    expect(rows(d, 'out')).toEqual(['a@5="ia0|ca5"', 'b@2="ib2|-"', 'c@6="ic6|-"']);
    expect(d.metrics().dropped.late).toBe(2);
  });

  it('left: a match arriving within grace prevents the unmatched result', () => {
    const d = (driver = new TopologyTestDriver(topology('leftJoin', JoinWindows.ofTimeDifferenceAndGrace(10, 5).before(0))));
    const imp = d.createInputTopic('impressions', str, Serdes.json<string>());
    const clk = d.createInputTopic('clicks', str, Serdes.json<string>());
    imp.pipeInput('a', 'ia0', 0);
    imp.pipeInput('x', 'ix14', 14); // stream time 14; ia0 not final (0 + 15 >= 14)
    clk.pipeInput('a', 'ca9', 9); //    9 + 5 >= 14: on time; ia0 in [-1, 9] -> ia0|ca9
    imp.pipeInput('x', 'ix40', 40); // stream time 40: ia0 was matched, ix14 is final and unmatched
    expect(rows(d, 'out')).toEqual(['a@9="ia0|ca9"', 'x@14="ix14|-"']);
  });

  it('outer: unmatched records of both sides are emitted after their windows close, in timestamp order', () => {
    // before = after = 5, grace 0: final when t + 10 < stream time.
    const d = (driver = new TopologyTestDriver(topology('outerJoin', JoinWindows.ofTimeDifferenceWithNoGrace(5))));
    const imp = d.createInputTopic('impressions', str, Serdes.json<string>());
    const clk = d.createInputTopic('clicks', str, Serdes.json<string>());
    clk.pipeInput('a', 'ca1', 1);
    imp.pipeInput('b', 'ib2', 2);
    imp.pipeInput('a', 'ia4', 4); // ca1 in [-1, 9] -> ia4|ca1 at 4
    clk.pipeInput('z', 'cz13', 13); // stream time 13: t < 3 final -> ib2 (ca1 matched)
    imp.pipeInput('z', 'iz30', 30); // stream time 30: ia4 matched, cz13 unmatched -> -|cz13; iz30 stays open
    expect(rows(d, 'out')).toEqual(['a@4="ia4|ca1"', 'b@2="ib2|-"', 'z@13="-|cz13"']);
  });

  it('a stream–stream join needs JoinWindows', () => {
    const b = new StreamsBuilder();
    const s1 = b.stream('s1');
    const s2 = b.stream('s2');
    expect(() => (s1.join as (...a: unknown[]) => unknown)(s2, (x: unknown) => x)).toThrow(/joining two streams needs JoinWindows/);
  });
});

describe('KTable.join / leftJoin(KTable, foreignKey, joiner): foreign-key joins', () => {
  interface Order {
    readonly customer: string;
    readonly amount: number;
  }
  function topology(left: boolean) {
    const b = new StreamsBuilder();
    const orders = b.table<string, Order>('orders', { keySerde: str, valueSerde: Serdes.json<Order>() });
    const customers = b.table<string, string>('customers', { keySerde: str, valueSerde: Serdes.json<string>() });
    const joiner = (o: Order, name: string | undefined) => `${name ?? '?'}:${o.amount}`;
    const joined = left ? orders.leftJoin(customers, (o) => o.customer, joiner) : orders.join(customers, (o) => o.customer, joiner);
    joined.toStream().to('out', { keySerde: str, valueSerde: Serdes.json<string>() });
    return b.build();
  }

  function run(left: boolean) {
    const d = (driver = new TopologyTestDriver(topology(left)));
    const orders = d.createInputTopic('orders', str, Serdes.json<Order>());
    const customers = d.createInputTopic('customers', str, Serdes.json<string>());
    customers.pipeInput('c1', 'ann', 1);
    orders.pipeInput('o1', { customer: 'c1', amount: 10 }, 2);
    orders.pipeInput('o2', { customer: 'c2', amount: 5 }, 3);
    customers.pipeInput('c2', 'bob', 4);
    customers.pipeInput('c1', 'anne', 5);
    orders.pipeInput('o1', { customer: 'c2', amount: 11 }, 6); // the foreign key moves from c1 to c2
    customers.pipeInput('c1', 'x', 7); // nobody points at c1 any more
    customers.pipeInput('c2', null, 8);
    orders.pipeInput('o2', null, 9);
    return d.createOutputTopic('out', str, Serdes.json<string | null>()).readKeyValuesToList().map((r) => `${r.key}=${r.value}`);
  }

  it('inner: results follow changes of both tables and of the foreign key; a deleted row on either side removes the result', () => {
    expect(run(false)).toEqual(['o1=ann:10', 'o2=bob:5', 'o1=anne:10', 'o1=bob:11', 'o1=null', 'o2=null']);
  });

  it('left: rows without a match join with undefined', () => {
    expect(run(true)).toEqual(['o1=ann:10', 'o2=?:5', 'o2=bob:5', 'o1=anne:10', 'o1=bob:11', 'o1=?:11', 'o2=?:5', 'o2=null']);
  });
});
