import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
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

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Per device and window: the readings' count, mean, min, max and sample stddev. */
interface WindowFigures {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly stddev: number;
}

/**
 * The plain computation: every reading in its tumbling window, and the windows
 * that end at least `grace` before the largest timestamp are final.
 */
function plainWindows(readings: readonly { key: string; value: number; timestamp: number }[], size: number, grace: number): Map<string, WindowFigures> {
  const values = new Map<string, number[]>();
  let streamTime = -Infinity;
  for (const r of readings) {
    streamTime = Math.max(streamTime, r.timestamp);
    const start = Math.floor(r.timestamp / size) * size;
    const k = `${r.key}@${start}`;
    values.set(k, [...(values.get(k) ?? []), r.value]);
  }
  const out = new Map<string, WindowFigures>();
  for (const [k, v] of values) {
    const start = Number(k.split('@')[1]);
    if (start + size + grace > streamTime) continue;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const stddev = v.length < 2 ? Number.NaN : Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1));
    out.set(k, { count: v.length, mean, min: Math.min(...v), max: Math.max(...v), stddev });
  }
  return out;
}

/**
 * Runs examples/quick-start/quick-start.mjs itself, with its topic created with
 * `partitions` partitions, rivulet imported from the sources, and two lines added to
 * hand the test what it produced and the application's metrics. Fresh modules per
 * run, so each run has its own default embedded broker.
 */
async function runQuickStart(partitions: number): Promise<{ printed: string[]; readings: { key: string; value: number; timestamp: number }[]; late: number; processed: number }> {
  let code = readFileSync(join(root, 'examples/quick-start/quick-start.mjs'), 'utf8');
  const substitute = (anchor: string, replacement: string) => {
    expect(code.split(anchor).length, `the quick start contains ${anchor} once`).toBe(2);
    code = code.replace(anchor, replacement);
  };
  substitute("await broker.createTopic('sensor-readings', { partitions: 1 });", `await broker.createTopic('sensor-readings', { partitions: ${partitions} });`);
  substitute("from 'rivulet';", `from ${JSON.stringify(pathToFileURL(join(root, 'src/index.ts')).href)};`);
  substitute('await producer.send(readings);', 'globalThis.quickStartRun.readings = readings;\nawait producer.send(readings);');
  substitute('await app.close();', 'globalThis.quickStartRun.metrics = app.metrics();\nawait app.close();');
  const dir = mkdtempSync(join(root, 'test/unit/runtime/.quick-start-'));
  const file = join(dir, `quick-start-${partitions}.mjs`);
  writeFileSync(file, code);
  const run: { readings?: { value: { device_id: string; value: number }; timestamp: number }[]; metrics?: { processed: number; dropped: { late: number } } } = {};
  (globalThis as { quickStartRun?: unknown }).quickStartRun = run;
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
  try {
    vi.resetModules();
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
  const readings = (run.readings ?? []).map((r) => ({ key: r.value.device_id, value: r.value.value, timestamp: r.timestamp }));
  return { printed, readings, late: run.metrics?.dropped.late ?? -1, processed: run.metrics?.processed ?? -1 };
}

describe('the README quick start over several input partitions', () => {
  for (const partitions of [1, 2, 4, 8]) {
    it(`${partitions} partition(s): the windows of a plain computation over its readings, none dropped as late`, async () => {
      const { printed, readings, late } = await runQuickStart(partitions);
      const t0 = Date.UTC(2025, 0, 1);
      const want = plainWindows(readings, 10_000, 5_000);
      expect(want.size).toBe(18);
      const got = new Map<string, string>();
      for (const line of printed.slice(0, -1)) {
        const m = /^(d\d) \[(\d+)s, (\d+)s\) (.*)$/.exec(line);
        expect(m, line).not.toBeNull();
        const [, device, start, , figures] = m as RegExpExecArray;
        got.set(`${device}@${t0 + Number(start) * 1000}`, figures as string);
      }
      const expected = new Map([...want].map(([k, w]) => [k, `count=${w.count} mean=${w.mean.toFixed(2)} min=${w.min} max=${w.max} stddev=${w.stddev.toFixed(3)}`]));
      expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...expected].sort()));
      expect(printed.at(-1)).toBe('18 final windows');
      expect(late).toBe(0);
    }, 60_000);
  }
});

describe('the IoT demo data over several input partitions', () => {
  /**
   * The demo's generator (examples/iot-anomaly) with its readings kept only while their
   * disorder stays below the grace (its 1 % of readings up to 10 s late are left out),
   * sent without a key so they spread over the partitions, and without a record timestamp:
   * event time is the reading's own field, read by the timestamp extractor.
   */
  async function run(partitions: number): Promise<void> {
    const { EmbeddedBroker, KafkaStreams, Serdes, StreamsBuilder, Suppressed, TimeWindows } = await import('../../../src/index.js');
    const { readings: generate } = await import('../../../examples/iot-anomaly/generator.js');
    const { validateReading } = await import('../../../examples/iot-anomaly/topology.js');
    type Reading = { device_id: string; value: number; timestamp: string };
    const grace = 5_000;
    const kept: Reading[] = [];
    let maxSoFar = -Infinity;
    for (const g of generate({ count: 6_000, devices: 4, startMs: Date.parse('2025-01-01T00:00:00Z'), stepMs: 25, jitterMs: 1_500, seed: 4 })) {
      const t = Date.parse(g.reading?.timestamp ?? '');
      if (g.reading === undefined || t <= maxSoFar - (grace - 1_000)) continue;
      maxSoFar = Math.max(maxSoFar, t);
      kept.push(g.reading);
    }
    // One reading per device past the last window's end plus the grace, so every window with data closes.
    for (const device of new Set(kept.map((r) => r.device_id))) kept.push({ device_id: device, value: 0, timestamp: new Date(maxSoFar + 15_000).toISOString() });

    const broker = new EmbeddedBroker();
    await broker.createTopic('iot-readings', { partitions });
    const b = new StreamsBuilder();
    b.stream<string, Reading>('iot-readings', {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<Reading>({ validate: validateReading }),
      timestampExtractor: (r) => Date.parse((r.value as Reading).timestamp),
    })
      .groupBy((_k, r) => r.device_id, { keySerde: Serdes.string() })
      .windowedBy(TimeWindows.ofSizeAndGrace('10s', '5s'))
      .stats((r) => r.value, { storeName: 'iot-stats' })
      .suppress(Suppressed.untilWindowCloses())
      .toStream()
      .to('iot-windows');
    const stateDir = mkdtempSync(join(root, 'test/unit/runtime/.iot-state-'));
    // A small poll size, so partitions arrive a few hundred records at a time and queues fill up and pause.
    const app = new KafkaStreams(b.build(), { applicationId: `iot-order-${partitions}`, stateDir, maxPollRecords: 300, embeddedBroker: broker });
    const want = plainWindows(kept.map((r) => ({ key: r.device_id, value: r.value, timestamp: Date.parse(r.timestamp) })), 10_000, grace);
    try {
      await app.start();
      const producer = broker.producer({ valueSerde: Serdes.json<Reading>() });
      await producer.send(kept.map((r) => ({ topic: 'iot-readings', value: r })));
      await producer.close();
      const consumer = broker.consumer({ groupId: 'iot-order-reader', keySerde: Serdes.json<{ key: string; window: { start: number } }>(), valueSerde: Serdes.json<WindowFigures>() });
      await consumer.subscribe(['iot-windows']);
      const got = new Map<string, WindowFigures>();
      for (const deadline = Date.now() + 40_000; got.size < want.size && Date.now() < deadline; ) {
        for (const r of await consumer.poll({ timeoutMs: 500 })) got.set(`${r.key?.key}@${r.key?.window.start}`, r.value as WindowFigures);
      }
      await consumer.close();
      expect(want.size).toBeGreaterThan(50);
      expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [k, w] of want) {
        const g = got.get(k) as WindowFigures;
        expect(g.count, k).toBe(w.count);
        expect(g.min, k).toBe(w.min);
        expect(g.max, k).toBe(w.max);
        expect(g.mean, k).toBeCloseTo(w.mean, 9);
        // JSON has no NaN: a one-reading window's stddev arrives as null.
        if (w.count < 2) expect(g.stddev, k).toBeNull();
        else expect(g.stddev, k).toBeCloseTo(w.stddev, 9);
      }
      expect(app.metrics().dropped.late).toBe(0);
    } finally {
      await app.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }

  for (const partitions of [3, 8]) {
    it(`${partitions} partitions: the windows of a plain computation, none dropped as late`, () => run(partitions), 90_000);
  }
});
