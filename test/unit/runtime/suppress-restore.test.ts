import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Suppressed } from '../../../src/dsl/suppressed.js';
import { TimeWindows, type Windowed } from '../../../src/dsl/windows.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, produceJson, readAll } from '../../support/embedded-io.js';

// A restart in the middle of open windows: what the suppression buffer held back
// comes back from its changelog, so each window's final count is emitted once,
// counting the records from before and after the restart.

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dec = new TextDecoder();
let seq = 0;

async function setup() {
  const id = `suppress-restore-${++seq}-${Date.now()}`;
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: `${id}-in`, partitions: 1 }]);
  const newApp = (stateDir: string, options: Partial<KafkaStreamsOptions> = {}) => {
    const b = new StreamsBuilder();
    b.stream<string, { boom?: boolean }>(`${id}-in`, { valueSerde: Serdes.json() })
      .peek((_k, v) => {
        if (v.boom === true) throw new Error('poison record');
      })
      .groupByKey()
      .windowedBy(TimeWindows.ofSizeAndGrace(10_000, 1_000).advanceBy(5_000))
      .count()
      .suppress(Suppressed.untilWindowCloses(), { name: 'final' })
      .toStream()
      .to(`${id}-out`, { keySerde: Serdes.json<Windowed<string>>(), valueSerde: Serdes.json<number>() });
    return new KafkaStreams(b.build(), { applicationId: id, stateDir, embeddedBroker: broker, commitIntervalMs: 30, ...options });
  };
  const finals = async () =>
    (await readAll(admin, `${id}-out`, 'read_committed')).map((r) => {
      const k = JSON.parse(dec.decode(r.key ?? new Uint8Array())) as Windowed<string>;
      return `${k.key}@${k.window.start}=${dec.decode(r.value ?? new Uint8Array())}`;
    });
  const changelog = async () => (await readAll(admin, `${id}-final-store-changelog`)).length;
  /** One record per key every 10 ms over [from, to). */
  const produce = (keys: number, from: number, to: number) =>
    produceJson(
      admin,
      `${id}-in`,
      Array.from({ length: (keys * (to - from)) / 10 }, (_, i) => ({ key: `k${i % keys}`, value: {}, timestamp: from + 10 * Math.floor(i / keys) })),
    );
  return { id, admin, newApp, finals, changelog, produce };
}

const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-suppress-'));
  dirs.push(d);
  return d;
};

/** Every window of 20 keys over [0, 12000): [0, 10000), [5000, 15000), [10000, 20000) (no negative starts, as Kafka Streams). */
function expected(perKeyIn: (start: number) => number): string[] {
  const out: string[] = [];
  for (const start of [0, 5000, 10_000]) for (let k = 0; k < 20; k++) out.push(`k${k}@${start}=${perKeyIn(start)}`);
  return out.sort();
}

describe('suppression buffer across restarts', () => {
  for (const how of ['a clean close', 'a failure, on a new instance with an empty state directory'] as const) {
    it(`a restart mid-window (${how}) emits each final window exactly once, with every record counted`, async () => {
      const { admin, id, newApp, finals, changelog, produce } = await setup();
      const guarantee = { processingGuarantee: 'exactly_once' as const };
      const aDir = newDir();
      const a = newApp(aDir, { ...guarantee, processingErrorHandling: 'fail' });
      await a.start();
      // 20 keys over [0, 4000) and then [4000, 5500): every window still open.
      await produce(20, 0, 4000);
      // A key with no record after the restart: its final window can only come from the restored buffer.
      await produceJson(admin, `${id}-in`, Array.from({ length: 100 }, (_, i) => ({ key: 'quiet', value: {}, timestamp: 10 * i })));
      await produce(20, 4000, 5500);
      // The buffer reached the changelog: 20 keys x windows 0 and 5000, some updated across commits.
      await eventually(async () => (await changelog()) >= 60, 20_000, 'the suppression buffer committed');
      expect(await finals()).toEqual([]);
      if (how === 'a clean close') await a.close();
      else {
        await produceJson(admin, `${id}-in`, [{ key: 'k0', value: { boom: true }, timestamp: 5500 }]);
        await eventually(() => a.state() === 'ERROR', 10_000, 'the first instance failed');
        await a.close();
      }
      // A clean close restarts from its own LevelDB and checkpoint; a failed instance's successor starts empty and restores from the changelog.
      const b = newApp(how === 'a clean close' ? aDir : newDir(), { ...guarantee, processingErrorHandling: 'skip' });
      await b.start();
      await produce(20, 5500, 12_000);
      // Stream time 21_000 closes every window up to [10000, 20000) (end + grace = 21_000).
      await produceJson(admin, `${id}-in`, [{ key: 'other', value: {}, timestamp: 21_000 }]);
      await eventually(async () => (await finals()).length >= 61, 20_000, '61 final windows');
      await new Promise((r) => setTimeout(r, 300)); // room for duplicates to show up
      await b.close();
      const got = (await finals()).filter((f) => !f.startsWith('other@')).sort();
      // Records per key: [0, 10000) 1000, [5000, 15000) 700 (t < 12000), [10000, 20000) 200.
      expect(got).toEqual([...expected((start) => (start === 0 ? 1000 : start === 5000 ? 700 : 200)), 'quiet@0=100'].sort());
    }, 90_000);
  }
});
