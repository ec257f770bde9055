import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

// count / reduce / aggregate on grouped streams. The driver commits after every
// piped record, so each input record yields one updated aggregate per key it touched.

const str = Serdes.string();
const num = Serdes.json<number>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

interface Order {
  readonly customer: string;
  readonly item: string;
  readonly amount: number;
}
const orders = Serdes.json<Order>();

describe('groupByKey', () => {
  it('count, reduce and aggregate keep one running value per key, without a repartition topic', () => {
    const b = new StreamsBuilder();
    const grouped = b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey();
    grouped.count({ storeName: 'count' }).toStream().to('count', { keySerde: str, valueSerde: num });
    grouped.reduce((a, v) => Math.max(a, v), { storeName: 'max' }).toStream().to('max', { keySerde: str, valueSerde: num });
    grouped
      .aggregate(() => '', (_k, v, agg: string) => `${agg}${v}`, { storeName: 'concat' })
      .toStream()
      .to('concat', { keySerde: str, valueSerde: str });
    const topology = b.build();
    expect(topology.subTopologies()).toHaveLength(1);
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 3, 1);
    input.pipeInput('b', 7, 2);
    input.pipeInput('a', 1, 3);
    input.pipeInput('a', 5, 4);
    // a: 3, 1, 5 -> counts 1, 2, 3; max 3, 3, 5; concat "3", "31", "315". b: 7 -> 1, 7, "7".
    expect(d.createOutputTopic('count', str, num).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 2 },
      { key: 'a', value: 3 },
    ]);
    expect(d.createOutputTopic('max', str, num).readValuesToList()).toEqual([3, 7, 3, 5]);
    expect(d.createOutputTopic('concat', str, str).readValuesToList()).toEqual(['3', '7', '31', '315']);
    // The aggregate record carries the timestamp of the record that updated it.
    expect(d.recordsOf('count').map((r) => r.timestamp)).toEqual([1, 2, 3, 4]);
    expect(d.getKeyValueStore<string, number>('count').get('a')).toBe(3);
    expect(d.getKeyValueStore<string, string>('concat').get('b')).toBe('7');
  });

  it('drops records with a null key or null value and counts them by reason', () => {
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num }).groupByKey().count({ storeName: 'c' }).toStream().to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    input.pipeInput('a', 1, 1);
    input.pipeInput(null, 2, 2); // null key: dropped
    input.pipeInput('a', null, 3); // null value: dropped (Kafka Streams skips null values in aggregations)
    input.pipeInput('a', 4, 4);
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'a', value: 1 },
      { key: 'a', value: 2 },
    ]);
    const m = d.metrics();
    expect(m.processed).toBe(4);
    expect(m.dropped['null-key']).toBe(1);
    expect(m.dropped['null-value']).toBe(1);
  });
});

describe('record cache (caching) and commits', () => {
  function build(cachingEnabled: boolean) {
    const b = new StreamsBuilder();
    b.stream<string, string>('in', { keySerde: str, valueSerde: str })
      .flatMapValues((line) => line.split(' '))
      .groupByKey()
      .count({ storeName: 'c', cachingEnabled })
      .toStream()
      .to('out', { keySerde: str, valueSerde: num });
    return b.build();
  }

  it('with caching (default), updates of one key within a commit are coalesced into one record', () => {
    const d = (driver = new TopologyTestDriver(build(true)));
    const input = d.createInputTopic('in', str, str);
    input.pipeInput('k', 'a b c', 1); // three updates of k in one commit -> k=3 once
    input.pipeInput('k', 'd', 2); //     k=4
    expect(d.createOutputTopic('out', str, num).readKeyValuesToList()).toEqual([
      { key: 'k', value: 3 },
      { key: 'k', value: 4 },
    ]);
  });

  it('without caching, every update is forwarded', () => {
    const d = (driver = new TopologyTestDriver(build(false)));
    const input = d.createInputTopic('in', str, str);
    input.pipeInput('k', 'a b c', 1);
    expect(d.createOutputTopic('out', str, num).readValuesToList()).toEqual([1, 2, 3]);
  });
});

describe('groupBy (re-keying: repartition first)', () => {
  function build() {
    const b = new StreamsBuilder();
    const byCustomer = b.stream<string, Order>('orders', { keySerde: str, valueSerde: orders }).groupBy((_k, o) => o.customer, { keySerde: str, valueSerde: orders });
    byCustomer.count({ storeName: 'order-count' }).toStream().to('counts', { keySerde: str, valueSerde: num });
    byCustomer
      .aggregate(() => 0, (_k, o, total: number) => total + o.amount, { storeName: 'order-total' })
      .toStream()
      .to('totals', { keySerde: str, valueSerde: num });
    byCustomer
      .reduce((a, o) => (o.amount > a.amount ? o : a), { storeName: 'largest' })
      .mapValues((o) => o.item)
      .toStream()
      .to('largest', { keySerde: str, valueSerde: str });
    return b.build();
  }

  it('routes through <app>-<store>-repartition and aggregates by the new key', () => {
    const topology = build();
    // The source sub-topology plus one per aggregation, each behind its own repartition topic
    // named after the store (Kafka Streams names it after Grouped's name, else the store).
    expect(topology.subTopologies().map((s) => s.sourceTopics)).toEqual([
      ['orders'],
      ['order-count-repartition'],
      ['order-total-repartition'],
      ['largest-repartition'],
    ]);
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('orders', str, orders);
    input.pipeInput('o1', { customer: 'ann', item: 'pen', amount: 5 }, 10);
    input.pipeInput('o2', { customer: 'bob', item: 'ink', amount: 20 }, 11);
    input.pipeInput('o3', { customer: 'ann', item: 'pad', amount: 12 }, 12);
    input.pipeInput('o4', { customer: 'ann', item: 'cap', amount: 1 }, 13);

    // The repartition topic holds the records re-keyed by customer, values unchanged.
    const repartition = d.createOutputTopic('test-order-count-repartition', str, orders).readRecordsToList();
    expect(repartition.map((r) => [r.key, r.value?.item, r.timestamp])).toEqual([
      ['ann', 'pen', 10],
      ['bob', 'ink', 11],
      ['ann', 'pad', 12],
      ['ann', 'cap', 13],
    ]);
    // ann: 1, 2, 3 orders; totals 5, 17, 18; largest pen(5), pad(12), pad(12 > 1).
    // bob: 1 order; total 20; largest ink.
    expect(d.createOutputTopic('counts', str, num).readKeyValuesToList()).toEqual([
      { key: 'ann', value: 1 },
      { key: 'bob', value: 1 },
      { key: 'ann', value: 2 },
      { key: 'ann', value: 3 },
    ]);
    expect(d.createOutputTopic('totals', str, num).readKeyValuesToList()).toEqual([
      { key: 'ann', value: 5 },
      { key: 'bob', value: 20 },
      { key: 'ann', value: 17 },
      { key: 'ann', value: 18 },
    ]);
    expect(d.createOutputTopic('largest', str, str).readKeyValuesToList()).toEqual([
      { key: 'ann', value: 'pen' },
      { key: 'bob', value: 'ink' },
      { key: 'ann', value: 'pad' },
      { key: 'ann', value: 'pad' },
    ]);
    expect(d.getKeyValueStore<string, number>('order-total').get('ann')).toBe(18);
  });

  it('uses Grouped.name for the repartition topic and drops records whose new key is null', () => {
    const b = new StreamsBuilder();
    b.stream<string, Order>('orders', { keySerde: str, valueSerde: orders })
      .groupBy((_k, o) => (o.customer === '' ? null : o.customer), { name: 'by-customer', keySerde: str, valueSerde: orders })
      .count({ storeName: 'n' })
      .toStream()
      .to('counts', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build(), { applicationId: 'shop' }));
    const input = d.createInputTopic('orders', str, orders);
    input.pipeInput('o1', { customer: '', item: 'x', amount: 1 }, 1); // new key null: dropped at the aggregation
    input.pipeInput('o2', { customer: 'cy', item: 'y', amount: 2 }, 2);
    expect(d.createOutputTopic('shop-by-customer-repartition', str, orders).getQueueSize()).toBe(2);
    expect(d.createOutputTopic('counts', str, num).readKeyValuesToList()).toEqual([{ key: 'cy', value: 1 }]);
    expect(d.metrics().dropped['null-key']).toBe(1);
  });

  it('aggregations of one grouping with a named Grouped share one repartition topic (as Kafka Streams)', () => {
    const b = new StreamsBuilder();
    const g = b.stream<string, Order>('orders', { keySerde: str, valueSerde: orders }).groupBy((_k, o) => o.customer, { name: 'by-customer', keySerde: str, valueSerde: orders });
    g.count({ storeName: 'n' }).toStream().to('counts', { keySerde: str, valueSerde: num });
    g.aggregate(() => 0, (_k, o, t: number) => t + o.amount, { storeName: 'total' }).toStream().to('totals', { keySerde: str, valueSerde: num });
    const topology = b.build();
    // One repartition topic; both aggregations read it in the second sub-topology.
    expect(topology.subTopologies().map((s) => [s.sourceTopics, s.stores])).toEqual([
      [['orders'], []],
      [['by-customer-repartition'], ['n', 'total']],
    ]);
    const d = (driver = new TopologyTestDriver(topology));
    const input = d.createInputTopic('orders', str, orders);
    input.pipeInput('o1', { customer: 'ann', item: 'a', amount: 2 }, 1);
    input.pipeInput('o2', { customer: 'ann', item: 'b', amount: 3 }, 2);
    // Each order is written to the repartition topic once: 2 records, not 4.
    expect(d.createOutputTopic('test-by-customer-repartition', str, orders).getQueueSize()).toBe(2);
    expect(d.createOutputTopic('counts', str, num).readValuesToList()).toEqual([1, 2]);
    expect(d.createOutputTopic('totals', str, num).readValuesToList()).toEqual([2, 5]);
  });
});
