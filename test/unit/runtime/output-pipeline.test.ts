import { describe, expect, it } from 'vitest';
import { OutputPipeline } from '../../../src/runtime/output-pipeline.js';
import type { ProducerRecord } from '../../../src/transport/transport.js';

const rec = (partition: number, n: number): ProducerRecord => ({ topic: 't', partition, key: null, value: new Uint8Array([n]) });

/** A send whose calls the test resolves or rejects one by one. */
function manualSend() {
  const calls: { records: ProducerRecord[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send = (records: ProducerRecord[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      calls.push({ records, resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) });
    });
  return { send, calls, maxInFlight: () => maxInFlight };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('OutputPipeline', () => {
  it('sends while records keep arriving, one send at a time, each partition in push order', async () => {
    const s = manualSend();
    const p = new OutputPipeline(s.send);
    const pushed: ProducerRecord[] = [];
    const push = (r: ProducerRecord) => (pushed.push(r), p.push(r));
    for (let i = 0; i < 3; i++) push(rec(i % 2, i));
    p.pump();
    expect(s.calls).toHaveLength(1);
    // Records pushed while the first send is in flight wait for it, then go out together.
    for (let i = 3; i < 10; i++) push(rec(i % 2, i));
    p.pump();
    expect(s.calls).toHaveLength(1);
    expect(p.unacknowledged).toBe(10);
    s.calls[0]?.resolve();
    await tick();
    expect(s.calls).toHaveLength(2);
    expect(s.calls[1]?.records).toHaveLength(7);
    const flushed = p.flush();
    let done = false;
    void flushed.then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    s.calls[1]?.resolve();
    await flushed;
    expect(p.unacknowledged).toBe(0);
    expect(s.maxInFlight()).toBe(1);
    const sent = s.calls.flatMap((c) => c.records);
    for (const part of [0, 1]) expect(sent.filter((r) => r.partition === part)).toEqual(pushed.filter((r) => r.partition === part));
  });

  it('a failed send fails every flush until reset, and nothing queued after it goes out', async () => {
    const s = manualSend();
    const p = new OutputPipeline(s.send);
    p.push(rec(0, 1));
    p.pump();
    p.push(rec(0, 2));
    const flushed = p.flush();
    s.calls[0]?.reject(new Error('broker gone'));
    await expect(flushed).rejects.toThrow('broker gone');
    // The record behind the failed one must not be written ahead of it.
    expect(s.calls).toHaveLength(1);
    expect(p.failure).toBeDefined();
    p.pump();
    expect(s.calls).toHaveLength(1);
    await expect(p.flush()).rejects.toThrow('broker gone');
    await p.reset();
    expect(p.failure).toBeUndefined();
    expect(p.unacknowledged).toBe(0);
    p.push(rec(0, 3));
    const again = p.flush();
    expect(s.calls).toHaveLength(2);
    s.calls[1]?.resolve();
    await again;
  });

  it('reset waits for the send in flight, and its late failure does not fail the work after the reset', async () => {
    const s = manualSend();
    const p = new OutputPipeline(s.send);
    p.push(rec(0, 1));
    p.pump();
    const reset = p.reset();
    let resetDone = false;
    void reset.then(() => (resetDone = true));
    await tick();
    expect(resetDone).toBe(false);
    s.calls[0]?.reject(new Error('late'));
    await reset;
    expect(p.failure).toBeUndefined();
    p.push(rec(0, 2));
    const f = p.flush();
    s.calls[1]?.resolve();
    await f;
  });

  it('a send that throws synchronously is a failed send, not an exception out of pump', async () => {
    const p = new OutputPipeline(() => {
      throw new Error('invalid');
    });
    p.push(rec(0, 1));
    expect(() => p.pump()).not.toThrow();
    await expect(p.flush()).rejects.toThrow('invalid');
  });

  it('pump waits for minBatch records; flush sends whatever waits', async () => {
    const s = manualSend();
    const p = new OutputPipeline(s.send, 3);
    p.push(rec(0, 1));
    p.pump();
    expect(s.calls).toHaveLength(0);
    const f = p.flush();
    expect(s.calls).toHaveLength(1);
    s.calls[0]?.resolve();
    await f;
  });
});
