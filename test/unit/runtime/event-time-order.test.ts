import { describe, expect, it } from 'vitest';
import { PartitionGroup } from '../../../src/runtime/partition-group.js';
import { RecordQueue } from '../../../src/runtime/record-queue.js';
import type { IncomingRecord } from '../../../src/runtime/stream-task.js';

const rec = (topic: string, offset: number, timestamp: number): IncomingRecord => ({ topic, partition: 0, offset, key: null, value: null, timestamp, headers: {} });
/** A queue that stamps with the record timestamp, except records stamped -1, which fail (reported and skipped). */
const queue = (topic: string, skipped: IncomingRecord[] = []) =>
  new RecordQueue(topic, 0, (r) => {
    if (r.timestamp < 0) {
      skipped.push(r);
      return undefined;
    }
    return { raw: r, key: r.key, value: r.value, timestamp: r.timestamp };
  });
const lags = (m: Record<string, number | undefined>) => (topic: string) => m[topic];

describe('PartitionGroup', () => {
  it('takes the head with the lowest timestamp across partitions', () => {
    const a = queue('a');
    const b = queue('b');
    const g = new PartitionGroup([a, b], 0);
    a.add([rec('a', 0, 5), rec('a', 1, 20), rec('a', 2, 21)]);
    b.add([rec('b', 0, 10), rec('b', 1, 15), rec('b', 2, 30)]);
    const order: string[] = [];
    for (let r = g.nextRecord(); r !== undefined; r = g.nextRecord()) order.push(`${r.raw.topic}${r.timestamp}`);
    expect(order).toEqual(['a5', 'b10', 'b15', 'a20', 'a21', 'b30']);
  });

  it('skips a record that cannot be stamped and orders by the next one', () => {
    const skipped: IncomingRecord[] = [];
    const a = queue('a', skipped);
    const b = queue('b', skipped);
    const g = new PartitionGroup([a, b], 0);
    a.add([rec('a', 0, -1), rec('a', 1, 40)]);
    b.add([rec('b', 0, 30)]);
    expect(a.size).toBe(1);
    expect(g.headTimestamp).toBe(30);
    expect(g.nextRecord()?.raw.topic).toBe('b');
    expect(skipped.map((r) => r.offset)).toEqual([0]);
  });

  it('waits for an empty partition whose records are still on the broker, however long', () => {
    const a = queue('a');
    const g = new PartitionGroup([a, queue('b')], 0);
    a.add([rec('a', 0, 5)]);
    expect(g.readyToProcess(0, lags({ b: 3 }))).toBe(false);
    expect(g.readyToProcess(60_000, lags({ b: 3 }))).toBe(false);
    // Not fetched yet: the lag is unknown, which could hide older records.
    expect(g.readyToProcess(60_000, lags({ b: undefined }))).toBe(false);
    expect(g.readyToProcess(60_000, lags({ b: 0 }))).toBe(true);
  });

  it('caught-up partitions do not block with maxTaskIdleMs 0', () => {
    const a = queue('a');
    const g = new PartitionGroup([a, queue('b'), queue('c')], 0);
    a.add([rec('a', 0, 5)]);
    expect(g.readyToProcess(0, lags({ b: 0, c: 0 }))).toBe(true);
    expect(g.nextRecord()?.timestamp).toBe(5);
  });

  it('waits maxTaskIdleMs for a caught-up empty partition, counted from when it was first seen empty', () => {
    const a = queue('a');
    const b = queue('b');
    const g = new PartitionGroup([a, b], 100);
    a.add([rec('a', 0, 5), rec('a', 1, 50)]);
    const caughtUp = lags({ b: 0 });
    expect(g.readyToProcess(1_000, caughtUp)).toBe(false);
    expect(g.readyToProcess(1_099, caughtUp)).toBe(false);
    expect(g.readyToProcess(1_100, caughtUp)).toBe(true);
    // Records of b arrive: ordered with a's again, and a new idle period starts once b is empty.
    b.add([rec('b', 0, 7)]);
    expect(g.readyToProcess(1_200, caughtUp)).toBe(true);
    expect(g.nextRecord()?.timestamp).toBe(5);
    expect(g.nextRecord()?.timestamp).toBe(7);
    expect(g.readyToProcess(1_200, caughtUp)).toBe(false);
    expect(g.readyToProcess(1_300, caughtUp)).toBe(true);
  });

  it('maxTaskIdleMs -1 never waits', () => {
    const a = queue('a');
    const g = new PartitionGroup([a, queue('b')], -1);
    a.add([rec('a', 0, 5)]);
    expect(g.readyToProcess(0, lags({ b: 100 }))).toBe(true);
  });
});

describe('StreamsConfig.maxTaskIdleMs', () => {
  it('defaults to 0 and accepts -1; anything else below 0 or fractional is a config error naming it', async () => {
    const { resolveConfig } = await import('../../../src/runtime/streams-config.js');
    expect(resolveConfig({ applicationId: 'a' }).maxTaskIdleMs).toBe(0);
    expect(resolveConfig({ applicationId: 'a', maxTaskIdleMs: -1 }).maxTaskIdleMs).toBe(-1);
    for (const bad of [-2, 1.5, Number.NaN]) {
      expect(() => resolveConfig({ applicationId: 'a', maxTaskIdleMs: bad })).toThrow(
        expect.objectContaining({ code: 'RIVULET_CONFIG_INVALID_VALUE', message: expect.stringContaining(`maxTaskIdleMs must be a whole number of ms >= 0, or -1`) }),
      );
    }
  });
});
