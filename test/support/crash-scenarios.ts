import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Transport } from '../../src/transport/transport.js';
import { checkAggregatesAtLeastOnce, checkAggregatesExact, checkWindows, dataset, WINDOW_MS, type CrashTopics } from './crash-topology.js';
import { eventually, produceJson, readAll } from './embedded-io.js';
import type { RuntimeEnvironment } from './runtime-scenarios.js';

/**
 * Where in its life an instance dies. `now`: wherever it is (a timer fires and
 * the process is gone). The others need hooks inside the instance and are only
 * offered where the environment can hit them exactly (the embedded broker):
 * `after-send` dies with the transaction's records written but not committed,
 * `after-offsets` also with the input offsets added to it (pending offsets,
 * KIP-447).
 */
export type CrashMode = 'now' | 'after-send' | 'after-offsets';

/** What an instance runs; the topology is `crashTopology(topics)`. */
export interface LaunchOptions {
  readonly applicationId: string;
  readonly topics: CrashTopics;
  readonly processingGuarantee: 'at_least_once' | 'exactly_once';
  readonly stateDir: string;
  readonly commitIntervalMs: number;
}

/** One running `KafkaStreams` instance that can be killed. */
export interface CrashableInstance {
  readonly name: string;
  /** Last known lifecycle state. */
  state(): string;
  /** Tasks it owns now. */
  tasks(): number;
  /**
   * Kills it (no close, no leave, no abort). Resolves once it is dead, with
   * where it died (a point it did not reach in time falls back to `now`).
   */
  crash(mode: CrashMode): Promise<string>;
  /** Closes it cleanly. */
  close(): Promise<void>;
}

/** A {@link RuntimeEnvironment} that can also start instances and kill them. */
export interface CrashEnvironment extends RuntimeEnvironment {
  launch(options: LaunchOptions): Promise<CrashableInstance>;
  /** Crash modes used in rotation, one per crash. */
  readonly crashModes: readonly CrashMode[];
  /** Input records (≥ 20 000 on the embedded broker). */
  readonly records: number;
  /** Bound on each whole scenario. */
  readonly scenarioTimeoutMs: number;
  /** Whether a replacement reuses the crashed instance's state directory. */
  readonly reuseStateDir: boolean;
}

const PARTITIONS = 6;
const INSTANCES = 3;
const CRASHES = 3;

async function committedTotal(admin: Transport, groupId: string, topic: string): Promise<number> {
  return (await admin.committedOffsets(groupId, topic)).reduce((n, c) => n + (c.offset ?? 0), 0);
}

/**
 * Three instances of one application over a 6-partition input; one instance
 * is killed three times in rotation while input flows (each time the survivors
 * take over and make progress, then a replacement joins). The outputs, read
 * with read_committed, must be exact under exactly-once and complete under
 * at-least-once.
 */
export function describeCrashScenarios(name: string, env: CrashEnvironment): void {
  describe(`crashes on ${name}`, () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    const run = async (guarantee: 'at_least_once' | 'exactly_once') => {
      const started = Date.now();
      const id = randomUUID().slice(0, 8);
      const topics: CrashTopics = { input: `crash-in-${id}`, aggregates: `crash-agg-${id}`, windows: `crash-win-${id}` };
      const applicationId = `crash-app-${id}`;
      const admin = await env.admin();
      await admin.createTopics([
        { topic: topics.input, partitions: PARTITIONS },
        { topic: topics.aggregates, partitions: PARTITIONS },
        { topic: topics.windows, partitions: PARTITIONS },
      ]);
      const newDir = () => {
        const d = mkdtempSync(join(tmpdir(), 'rivulet-crash-'));
        dirs.push(d);
        return d;
      };
      const launch = (stateDir: string) => env.launch({ applicationId, topics, processingGuarantee: guarantee, stateDir, commitIntervalMs: 500 });
      const slots: { instance: CrashableInstance; dir: string }[] = [];
      const live = () => slots.map((s) => s.instance);
      const allRunning = (instances: CrashableInstance[]) =>
        instances.every((i) => i.state() === 'RUNNING') && instances.reduce((n, i) => n + i.tasks(), 0) === PARTITIONS;

      // Input: timestamps 25 ms apart, so a 5 s window holds ~200 records; produced in chunks between the steps below.
      const data = dataset(env.records, 97, Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 86_400_000, 25);
      const chunks: (typeof data)[] = [];
      const perChunk = Math.ceil(data.length / 12);
      for (let i = 0; i < data.length; i += perChunk) chunks.push(data.slice(i, i + perChunk));
      let produced = 0;
      const events: string[] = [];
      const produceNext = async () => {
        const c = chunks.shift();
        if (c === undefined) return;
        await produceJson(admin, topics.input, c);
        produced += c.length;
        events.push(`produced ${produced} (ts+${(c[c.length - 1]!.timestamp - data[0]!.timestamp)})`);
      };

      const crashes: { mode: string; victim: string; takeoverMs: number }[] = [];
      try {
        for (let i = 0; i < INSTANCES; i++) {
          const dir = newDir();
          slots.push({ instance: await launch(dir), dir });
        }
        await eventually(() => allRunning(live()), env.waitMs, 'three instances running with 2 tasks each');
        await produceNext();
        await produceNext();

        for (let c = 0; c < CRASHES; c++) {
          const slot = c % INSTANCES;
          const victim = slots[slot]!;
          const mode = env.crashModes[c % env.crashModes.length]!;
          events.push(`crash ${c + 1} ${mode}`);
          let died: string;
          if (mode === 'now') {
            await produceNext();
            // Land the crash somewhere inside a commit interval.
            await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 400)));
            died = await victim.instance.crash(mode);
          } else {
            // Armed first: the commit of the next chunk's work is where it dies.
            const dying = victim.instance.crash(mode);
            await produceNext();
            died = await dying;
          }
          events.push(`crashed ${c + 1} (${died})`);
          const crashedAt = Date.now();
          await produceNext();
          const survivors = live().filter((i) => i !== victim.instance);
          const before = await committedTotal(admin, applicationId, topics.input);
          await eventually(() => allRunning(survivors), env.waitMs, `survivors of crash ${c + 1} (${mode}) running with all ${PARTITIONS} tasks`);
          await eventually(async () => (await committedTotal(admin, applicationId, topics.input)) > before, env.waitMs, `survivors of crash ${c + 1} committing progress`);
          crashes.push({ mode: died, victim: victim.instance.name, takeoverMs: Date.now() - crashedAt });
          const dir = env.reuseStateDir ? victim.dir : newDir();
          slots[slot] = { instance: await launch(dir), dir };
          await produceNext();
          await eventually(() => allRunning(live()), env.waitMs, `replacement ${c + 1} running`);
        }
        while (chunks.length > 0) await produceNext();
        expect(produced).toBe(env.records);
        // Everything processed and committed: the group's offsets reach the end of the input.
        const inputEnd = (await admin.listOffsets(topics.input)).reduce((n, o) => n + o.latest, 0);
        await eventually(async () => (await committedTotal(admin, applicationId, topics.input)) >= inputEnd, env.waitMs, 'all input committed');
      } finally {
        for (const s of slots) await s.instance.close().catch(() => undefined);
      }

      // Transactions a crashed instance left open end by the broker's timeout; until then read_committed stops before them.
      for (const t of [topics.aggregates, topics.windows]) {
        await eventually(
          async () => {
            const stable = await admin.listOffsets(t, { isolation: 'read_committed' });
            const end = await admin.listOffsets(t);
            return stable.every((o, i) => o.latest === end[i]?.latest);
          },
          env.waitMs,
          `no open transactions on ${t}`,
        );
      }
      const input = await readAll(admin, topics.input, 'read_committed');
      const aggregates = await readAll(admin, topics.aggregates, 'read_committed');
      const windows = await readAll(admin, topics.windows, 'read_committed');
      await admin.close();
      return { input, aggregates, windows, crashes, events, seconds: (Date.now() - started) / 1000 };
    };

    it(
      'exactly_once: three crashes in rotation; read_committed outputs are exact (running aggregates in order, one final count per window)',
      async () => {
        const r = await run('exactly_once');
        expect(r.input.length).toBe(env.records);
        const agg = checkAggregatesExact(r.input, r.aggregates);
        const win = checkWindows(r.input, r.windows);
        console.log(
          `[crash ${name}] exactly_once: ${r.input.length} records, ${r.crashes.length} crashes (${r.crashes.map((c) => `${c.mode} → takeover ${c.takeoverMs} ms`).join('; ')}), ` +
            `${r.aggregates.length} aggregate records, ${r.windows.length}/${win.expected} window records, ${r.seconds.toFixed(1)} s`,
        );
        if (agg.length > 0 || win.missing.length + win.wrong.length + win.duplicates + win.unexpected.length > 0) console.log(`[crash ${name}] timeline: ${r.events.join('; ')}`);
        expect(agg).toEqual([]);
        expect({ missing: win.missing.slice(0, 5), wrong: win.wrong.slice(0, 5), duplicates: win.duplicates, unexpected: win.unexpected.slice(0, 5) }).toEqual({
          missing: [],
          wrong: [],
          duplicates: 0,
          unexpected: [],
        });
        expect(r.crashes.length).toBe(CRASHES);
      },
      env.scenarioTimeoutMs,
    );

    it(
      'at_least_once: three crashes in rotation; nothing is lost (every count emitted, final aggregates complete); duplicates counted',
      async () => {
        const r = await run('at_least_once');
        expect(r.input.length).toBe(env.records);
        const agg = checkAggregatesAtLeastOnce(r.input, r.aggregates);
        const win = checkWindows(r.input, r.windows);
        console.log(
          `[crash ${name}] at_least_once: ${r.input.length} records, ${r.crashes.length} crashes (${r.crashes.map((c) => `${c.mode} → takeover ${c.takeoverMs} ms`).join('; ')}), ` +
            `${r.aggregates.length} aggregate records = ${agg.duplicates} duplicates, ${agg.inflatedKeys}/${agg.keys} keys with reprocessed input in their final aggregate, ` +
            `windows: ${win.expected} expected, ${win.missing.length} missing, ${win.duplicates} duplicates, ${r.seconds.toFixed(1)} s`,
        );
        if (agg.lost.length > 0) console.log(`[crash ${name}] at_least_once: ${agg.lost.length} keys lost counts, e.g.\n${agg.lost.slice(0, 5).join('\n')}`);
        expect(agg.lost.slice(0, 5)).toEqual([]);
        expect(agg.duplicates).toBeGreaterThanOrEqual(0);
        expect(win.missing.slice(0, 5)).toEqual([]);
        expect(r.crashes.length).toBe(CRASHES);
      },
      env.scenarioTimeoutMs,
    );
  });
}
