import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { TimeWindows, type Windowed } from '../../../src/dsl/windows.js';
import type { WindowStatistics } from '../../../src/processors/window-stats.js';
import { DLQ_HEADERS, DLQ_MAX_RECORD_BYTES, type ProductionFailure } from '../../../src/runtime/error-handling.js';
import { TaskFailure } from '../../../src/runtime/stream-task.js';
import type { Logger } from '../../../src/runtime/streams-config.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver, type TestDriverConfig } from '../../../src/testing/topology-test-driver.js';

// Bad data at scale is never fatal and never silent: a far-future timestamp does not move
// stream time, values stats() cannot use are dead-lettered with a reason, late drops are
// logged (rate-limited) and reach the late-records topic with their own bytes, and output
// the broker would refuse goes to the production error handling.

interface Reading {
  readonly v: unknown;
}

const text = (h: Uint8Array | string | undefined) => (typeof h === 'string' ? h : h === undefined ? undefined : new TextDecoder().decode(h));
const str = Serdes.string();
const readings = Serdes.json<Reading>();
const wkey = Serdes.msgpack<Windowed<string>>();
const statsSerde = Serdes.msgpack<WindowStatistics>();
const T0 = Date.UTC(2026, 0, 1);

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

/** readings -> stats over tumbling 10 s windows, grace 0; also a plain copy to `raw` (a sibling branch). */
function statsTopology() {
  const b = new StreamsBuilder();
  const s = b.stream<string, Reading>('readings', { keySerde: str, valueSerde: readings });
  s.to('raw', { keySerde: str, valueSerde: readings });
  s.groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(10_000, 0))
    .stats((r) => r.v as number, { storeName: 'stats' })
    .toStream()
    .to('stats', { keySerde: wkey, valueSerde: statsSerde });
  return b.build();
}

function counts(d: TopologyTestDriver): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of d.createOutputTopic('stats', wkey, statsSerde).readRecordsToList()) out.set(`${r.key?.key}@${(r.key?.window.start ?? 0) - T0}`, r.value?.count ?? -1);
  return out;
}

function capture(): { logger: Logger; warnings: { message: string; fields: Record<string, unknown> | undefined }[] } {
  const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
  const noop = () => undefined;
  return { warnings, logger: { debug: noop, info: noop, warn: (message, fields) => warnings.push({ message, fields }), error: noop } };
}

describe('a record stamped far in the future', () => {
  const run = (config: TestDriverConfig) => {
    const d = (driver = new TopologyTestDriver(statsTopology(), { initialWallClockTimeMs: T0 + 30_000, ...config }));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('d', { v: 1 }, T0 + 1_000);
    input.pipeInput('d', { v: 2 }, T0 + 2_000);
    input.pipeInput('d', { v: 9 }, Date.UTC(3000, 0, 1)); // a producer with a broken clock
    input.pipeInput('d', { v: 3 }, T0 + 3_000);
    input.pipeInput('d', { v: 4 }, T0 + 12_000);
    return d;
  };

  it('is dead-lettered (RIVULET_SERDE_TIMESTAMP_AHEAD) and stream time stays put: no good record is dropped as late', () => {
    const d = run({ maxTimestampAheadMs: 60_000 });
    const dlq = d.createOutputTopic('test-dlq', str, readings).readRecordsToList();
    expect(dlq.map((r) => [r.value, text(r.headers[DLQ_HEADERS.stage]), text(r.headers[DLQ_HEADERS.code])])).toEqual([[{ v: 9 }, 'deserialization', 'RIVULET_SERDE_TIMESTAMP_AHEAD']]);
    expect(text(dlq[0]?.headers[DLQ_HEADERS.reason])).toMatch(/ahead of wall-clock time, more than maxTimestampAheadMs 60000; fix the producer's clock/);
    expect(d.metrics().dropped.late).toBe(0);
    expect(counts(d)).toEqual(new Map([['d@0', 3], ['d@10000', 1]]));
  });

  it('without the bound it moves stream time to the year 3000 and the good records after it are lost as late (the failure the bound prevents)', () => {
    const d = run({ maxTimestampAheadMs: Number.POSITIVE_INFINITY });
    expect(d.metrics().dropped.late).toBe(2);
    expect(counts(d).get('d@0')).toBe(2);
  });

  it('is bounded by default at one day ahead in a running application', async () => {
    const { resolveConfig } = await import('../../../src/runtime/streams-config.js');
    expect(resolveConfig({ applicationId: 'a' }).maxTimestampAheadMs).toBe(86_400_000);
    expect(() => resolveConfig({ applicationId: 'a', maxTimestampAheadMs: -1 })).toThrow(/maxTimestampAheadMs must be a number of ms > 0, or Infinity to turn the check off \(got -1\)/);
  });
});

describe('values stats() cannot use', () => {
  it('are dead-lettered with the reason, the other branches still get the record, and the windows hold only numbers', () => {
    const d = (driver = new TopologyTestDriver(statsTopology()));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('d', { v: 1 }, 1_000);
    input.pipeInput('d', { v: 'twelve' }, 2_000);
    input.pipeInput('d', { v: { nested: 1 } }, 3_000);
    input.pipeInput('d', { v: Number.MAX_VALUE }, 4_000);
    input.pipeInput('d', { v: 5 }, 5_000);
    const dlq = d.createOutputTopic('test-dlq', str, readings).readRecordsToList();
    expect(dlq.map((r) => [r.value, text(r.headers[DLQ_HEADERS.stage]), text(r.headers[DLQ_HEADERS.code]), text(r.headers[DLQ_HEADERS.reason])])).toEqual([
      [{ v: 'twelve' }, 'processing', 'RIVULET_KERNEL_INVALID_VALUE', 'stats: the value extractor returned the string "twelve"; stats() needs a finite number'],
      [{ v: { nested: 1 } }, 'processing', 'RIVULET_KERNEL_INVALID_VALUE', 'stats: the value extractor returned object; stats() needs a finite number'],
    ]);
    expect(d.metrics().dropped['invalid-value']).toBe(2);
    expect(d.metrics().deadLettered).toBe(2);
    // The sibling branch is not cut short by the rejection.
    expect(d.createOutputTopic('raw', str, readings).readValuesToList()).toHaveLength(5);
    const last = d.createOutputTopic('stats', wkey, statsSerde).readRecordsToList().at(-1)?.value;
    expect(last?.count).toBe(3);
    expect(last?.max).toBe(Number.MAX_VALUE);
  });

  it("with processingErrorHandling 'fail' stop the task with the reason", () => {
    const d = (driver = new TopologyTestDriver(statsTopology(), { processingErrorHandling: 'fail' }));
    const input = d.createInputTopic('readings', str, readings);
    expect(() => input.pipeInput('d', { v: 'x' }, 1_000)).toThrow(TaskFailure);
  });
});

describe('late records', () => {
  it('reach the late-records topic with their own bytes, even when the kernel judges them at batch end', () => {
    const d = (driver = new TopologyTestDriver(statsTopology(), { lateRecordsTopic: 'late' }));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('a', { v: 1 }, 25_000);
    input.pipeInput('b', { v: 2 }, 1_000); // window [0, 10 s) closed at stream time 25 s
    input.pipeInput('c', { v: 3 }, 26_000);
    const late = d.createOutputTopic('late', str, readings).readRecordsToList();
    expect(late.map((r) => [r.key, r.value, r.timestamp])).toEqual([['b', { v: 2 }, 1_000]]);
    expect(text(late[0]?.headers[DLQ_HEADERS.reason])).toMatch(/every window containing timestamp 1000 closed/);
    expect(d.metrics().dropped.late).toBe(1);
  });

  it('are logged at warn level, at most once per 10 s per task, with the count since the last line', () => {
    const { logger, warnings } = capture();
    const d = (driver = new TopologyTestDriver(statsTopology(), { logger, initialWallClockTimeMs: 0 }));
    const input = d.createInputTopic('readings', str, readings);
    input.pipeInput('a', { v: 1 }, 100_000);
    for (let i = 0; i < 50; i++) input.pipeInput('a', { v: 1 }, i);
    const late = () => warnings.filter((w) => /late record/.test(w.message));
    expect(late().map((w) => w.message)).toEqual(['1 late record dropped (metric dropped.late; set lateRecordsTopic to keep them, or widen the grace)']);
    d.advanceWallClockTime(10_000);
    input.pipeInput('a', { v: 1 }, 60);
    expect(late().map((w) => w.message.split(' (')[0])).toEqual(['1 late record dropped', '50 late records dropped']);
    expect(late()[1]?.fields?.['latest']).toMatch(/timestamp 60/);
    expect(d.metrics().dropped.late).toBe(51);
  });
});

describe('output the broker would refuse (production errors)', () => {
  function bigOutput() {
    const b = new StreamsBuilder();
    b.stream<string, string>('in', { keySerde: str, valueSerde: str })
      .mapValues((v) => (v === 'big' ? 'x'.repeat(1_200_000) : v))
      .to('out', { keySerde: str, valueSerde: str });
    return b.build();
  }

  it('is dead-lettered by default as a cut copy with the input coordinates, and processing goes on', () => {
    const d = (driver = new TopologyTestDriver(bigOutput()));
    const input = d.createInputTopic('in', str, str);
    input.pipeInput('k1', 'small', 1);
    input.pipeInput('k2', 'big', 2);
    input.pipeInput('k3', 'after', 3);
    expect(d.createOutputTopic('out', str, str).readValuesToList()).toEqual(['small', 'after']);
    const dlq = d.createOutputTopic('test-dlq', str, Serdes.bytes()).readRecordsToList();
    expect(dlq).toHaveLength(1);
    const h = dlq[0]?.headers ?? {};
    expect([text(h[DLQ_HEADERS.stage]), text(h[DLQ_HEADERS.code]), text(h[DLQ_HEADERS.topic]), text(h[DLQ_HEADERS.offset]), text(h[DLQ_HEADERS.valueSize])]).toEqual(['production', 'RIVULET_TRANSPORT_RECORD_TOO_LARGE', 'in', '1', '1200000']);
    expect(text(h[DLQ_HEADERS.reason])).toMatch(/a record for topic "out" is 1200095 bytes with its framing, over the 1048576 a Kafka producer sends/);
    expect((dlq[0]?.value as Uint8Array).length).toBeLessThanOrEqual(DLQ_MAX_RECORD_BYTES);
    expect(d.metrics().dropped.unproducible).toBe(1);
  });

  it("'fail' stops the task; a function decides per record and sees the error and the source", () => {
    const failing = (driver = new TopologyTestDriver(bigOutput(), { productionErrorHandling: 'fail' }));
    expect(() => failing.createInputTopic('in', str, str).pipeInput('k', 'big', 1)).toThrow(TaskFailure);
    failing.close();
    const seen: ProductionFailure[] = [];
    const d = (driver = new TopologyTestDriver(bigOutput(), {
      productionErrorHandling: (f) => {
        seen.push(f);
        return 'skip';
      },
    }));
    d.createInputTopic('in', str, str).pipeInput('k', 'big', 1);
    expect(seen.map((f) => [f.error.code, f.topic, f.source?.topic, f.source?.offset, f.value?.length])).toEqual([['RIVULET_TRANSPORT_RECORD_TOO_LARGE', 'out', 'in', 0, 1_200_000]]);
    expect(d.recordsOf('test-dlq')).toEqual([]);
    expect(d.recordsOf('out')).toEqual([]);
    expect(d.metrics().dropped.unproducible).toBe(1);
  });
});
