import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

const str = Serdes.string();
const num = Serdes.json<number>();

let driver: TopologyTestDriver | undefined;
afterEach(() => {
  driver?.close();
  driver = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('KStream.mapValuesAsync', () => {
  it('concurrency 16 with random latencies: output in input order, never more than 16 calls in flight', async () => {
    const rand = seededRandom(16);
    let inFlight = 0;
    let peak = 0;
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num })
      .mapValuesAsync(
        async (v) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          await sleep(Math.floor(rand() * 20));
          inFlight--;
          return v * 10;
        },
        { concurrency: 16 },
      )
      .to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    for (let i = 0; i < 300; i++) input.pipeInput(`k${i % 7}`, i, i);
    await d.settle();
    const out = d.createOutputTopic('out', str, num).readRecordsToList();
    expect(out.map((r) => r.value)).toEqual(Array.from({ length: 300 }, (_, i) => i * 10));
    expect(out.map((r) => r.key)).toEqual(Array.from({ length: 300 }, (_, i) => `k${i % 7}`));
    expect(out.map((r) => r.timestamp)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(peak).toBe(16);
  });

  it('retries a failing call, aborts attempts that time out, and dead-letters a record that never succeeds; later records still flow in order', async () => {
    const attempts = new Map<number, number>();
    let aborted = 0;
    const b = new StreamsBuilder();
    b.stream<string, number>('in', { keySerde: str, valueSerde: num })
      .mapValuesAsync(
        async (v, _k, call) => {
          attempts.set(v, (attempts.get(v) ?? 0) + 1);
          if (v === 1 && call.attempt === 0) throw new Error('flaky service');
          if (v === 2) {
            // Hangs until its timeout aborts it.
            await new Promise<void>((resolve) => call.signal.addEventListener('abort', () => ((aborted++), resolve())));
          }
          if (v === 3) throw new Error('geocoder says no');
          return v;
        },
        { concurrency: 4, timeoutMs: 30, retries: 2, backoffMs: 1 },
      )
      .to('out', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('in', str, num);
    for (const v of [0, 1, 2, 3, 4]) input.pipeInput('k', v, v);
    await d.settle();
    expect(d.createOutputTopic('out', str, num).readValuesToList()).toEqual([0, 1, 4]);
    expect(attempts.get(1)).toBe(2);
    expect(attempts.get(2)).toBe(3);
    expect(aborted).toBe(3);
    expect(attempts.get(3)).toBe(3);
    const dlq = d.createOutputTopic('test-dlq', str, num).readRecordsToList();
    expect(dlq.map((r) => r.value)).toEqual([2, 3]);
    const reason = (h: Uint8Array | string | undefined) => (typeof h === 'string' ? h : new TextDecoder().decode(h));
    expect(reason(dlq[0]?.headers['rivulet.error.code'])).toBe('RIVULET_ASYNC_TIMEOUT');
    expect(reason(dlq[1]?.headers['rivulet.error.reason'])).toBe('geocoder says no');
    expect(d.metrics().deadLettered).toBe(2);
  });
});

describe('KStream.flatMapAsync', () => {
  it('emits every record a call returns, in input order, with the new keys', async () => {
    const b = new StreamsBuilder();
    b.stream<string, string>('lines', { keySerde: str, valueSerde: Serdes.json<string>() })
      .flatMapAsync(async (_k, line) => {
        await sleep(line.length % 3);
        return line.split(' ').map((w) => ({ key: w, value: 1 }));
      })
      .to('words', { keySerde: str, valueSerde: num });
    const d = (driver = new TopologyTestDriver(b.build()));
    const input = d.createInputTopic('lines', str, Serdes.json<string>());
    input.pipeInput(null, 'a bb');
    input.pipeInput(null, 'ccc');
    input.pipeInput(null, 'a');
    await d.settle();
    expect(d.createOutputTopic('words', str, num).readKeyValuesToList().map((r) => r.key)).toEqual(['a', 'bb', 'ccc', 'a']);
  });
});
