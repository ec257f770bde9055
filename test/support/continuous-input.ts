/**
 * Input that keeps coming while a broker fails, and the check that every
 * acknowledged record was counted: shared by the outage tests (one broker
 * restarted, a cluster node killed).
 */
import { expect } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import type { KafkaStreams, KafkaStreamsState } from '../../src/runtime/kafka-streams.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, latestByKey, readAll } from './embedded-io.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ContinuousInput {
  /** Sequence numbers the broker acknowledged. */
  readonly acked: Set<number>;
  failures(): number;
  stop(): Promise<void>;
}

/**
 * Produces batches of `{ seq }` records round-robin over `keys` keys every
 * `everyMs` until stopped, retrying a failed batch (the broker is down or its
 * leader moving) until it is acknowledged.
 */
export function startProducing(admin: Transport, topic: string, opts: { keys: number; batch: number; everyMs: number }): ContinuousInput {
  let stopped = false;
  let seq = 0;
  let failures = 0;
  const acked = new Set<number>();
  const done = (async () => {
    const producer = await admin.producer({ idempotent: true });
    try {
      while (!stopped) {
        const batch = Array.from({ length: opts.batch }, () => seq++);
        const records = batch.map((s) => ({ topic, key: enc.encode(`k-${s % opts.keys}`), value: enc.encode(JSON.stringify({ seq: s })) }));
        for (;;) {
          try {
            await producer.send(records);
            break;
          } catch {
            failures++;
            await sleep(200);
          }
        }
        for (const s of batch) acked.add(s);
        await sleep(opts.everyMs);
      }
    } finally {
      await producer.close().catch(() => undefined);
    }
  })();
  return {
    acked,
    failures: () => failures,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/**
 * Waits until the output counts cover every record of the input topic and stop
 * changing; checks that no acknowledged input record is missing from the input
 * topic. Returns the counts, the input size and how many records were counted
 * twice (a batch retried after a lost acknowledgement is in the input twice and
 * counts twice under either guarantee; beyond that, a duplicate is a record
 * processed again).
 */
export async function settledCounts(
  admin: Transport,
  input: string,
  output: string,
  acked: ReadonlySet<number>,
  isolation: 'read_committed' | 'read_uncommitted',
  waitMs: number,
): Promise<{ latest: Map<string, unknown>; want: Map<string, number>; inputRecords: number; duplicates: number }> {
  const inputRecords = await readAll(admin, input);
  const inputSeqs = new Set(inputRecords.map((r) => (JSON.parse(dec.decode(r.value!)) as { seq: number }).seq));
  let lostInput = [...acked].filter((s) => !inputSeqs.has(s));
  if (lostInput.length > 0) {
    // A second read tells a record the log lost from one the reader skipped.
    const again = new Set((await readAll(admin, input)).map((r) => (JSON.parse(dec.decode(r.value!)) as { seq: number }).seq));
    const skipped = lostInput.filter((s) => again.has(s)).length;
    lostInput = lostInput.filter((s) => !again.has(s));
    console.log(`continuous-input: the first read of ${input} missed ${skipped + lostInput.length} acknowledged records; a second read found ${skipped} of them`);
  }
  expect(lostInput, 'acknowledged input records missing from the input topic').toEqual([]);
  const want = new Map<string, number>();
  for (const r of inputRecords) {
    const k = dec.decode(r.key!);
    want.set(k, (want.get(k) ?? 0) + 1);
  }
  let latest = new Map<string, unknown>();
  await eventually(
    async () => {
      latest = latestByKey(await readAll(admin, output, isolation));
      return [...want].every(([k, n]) => ((latest.get(k) as number | undefined) ?? 0) >= n);
    },
    waitMs,
    'every input record counted',
  );
  // Duplicates may still be on their way: take the counts once they stop changing.
  await eventually(
    async () => {
      await sleep(1_000);
      const again = latestByKey(await readAll(admin, output, isolation));
      const stable = [...want.keys()].every((k) => again.get(k) === latest.get(k));
      latest = again;
      return stable;
    },
    waitMs,
    'the counts to settle',
  );
  let duplicates = 0;
  for (const [k, n] of want) duplicates += (latest.get(k) as number) - n;
  return { latest, want, inputRecords: inputRecords.length, duplicates };
}

/** The topology the outage tests run: counts per key of `{ seq }` records into store `counts`, emitted to `output`. */
export function countPerKey(input: string, output: string): Topology {
  const b = new StreamsBuilder();
  b.stream<string, { seq: number }>(input, { keySerde: Serdes.string(), valueSerde: Serdes.json() })
    .groupByKey()
    .count({ storeName: 'counts' })
    .toStream()
    .to(output, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
  return b.build();
}

/**
 * What an outage test asks of the application afterwards: its store agrees with the output,
 * it is RUNNING and never went to ERROR, and exactly-once counted nothing twice.
 */
export function expectOutageSurvived(
  app: KafkaStreams,
  states: readonly KafkaStreamsState[],
  guarantee: 'at_least_once' | 'exactly_once',
  { latest, want, duplicates }: { latest: Map<string, unknown>; want: Map<string, number>; duplicates: number },
): void {
  const counts = app.store<string, number>('counts');
  for (const k of want.keys()) expect(counts.get(k), `store count of ${k}`).toBe(latest.get(k));
  expect(app.state()).toBe('RUNNING');
  expect(states).not.toContain('ERROR');
  if (guarantee === 'exactly_once') expect(duplicates).toBe(0);
  else expect(duplicates).toBeGreaterThanOrEqual(0);
}
