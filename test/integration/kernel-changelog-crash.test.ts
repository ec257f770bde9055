import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { changelogTopic } from '../../src/topology/store-definition.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, readAll } from '../support/embedded-io.js';
import type { KernelCrashConfig } from '../support/kernel-crash-runner.js';

// A stats() topology holding 200,000 keys on real Kafka commits (one changelog record per
// key, each far below max.message.bytes; the old single-record changelog was refused with
// MESSAGE_TOO_LARGE from about 12,000 keys), is SIGKILLed in the middle of its input,
// restores from the changelog in a new process with an empty state directory, and
// finishes with every key's window exactly right and emitted exactly once (exactly-once).

const brokers = process.env['KAFKA_BROKERS'];
const KEYS = Number(process.env['KERNEL_CRASH_KEYS'] ?? 200_000);
const WINDOW_MS = 10_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const runner = fileURLToPath(new URL('../support/kernel-crash-runner.ts', import.meta.url));

interface Status {
  state: string;
  processed: number;
  commits: number;
  restores: { store: string; restored: number; total: number; recordsPerSec: number; bytesPerSec?: number }[];
}

interface Child {
  status: () => Status;
  kill: () => Promise<void>;
  close: () => Promise<void>;
}

function launch(config: KernelCrashConfig): Child {
  const child: ChildProcess = spawn('npx', ['vite-node', runner, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  let last: Status = { state: 'CREATED', processed: 0, commits: 0, restores: [] };
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as Status;
    } catch {
      // not a status line
    }
  });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    status: () => (exited ? { ...last, state: 'DEAD' } : last),
    kill: async () => {
      killGroup();
      await exit;
    },
    close: async () => {
      if (exited) return;
      child.stdin!.write('close\n');
      const t = setTimeout(killGroup, 60_000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Phase 1: every key once in window 0; phase 2: half of the keys again, later in window 0. */
function phase(p: 1 | 2): { key: string; value: { v: number }; timestamp: number }[] {
  return Array.from({ length: p === 1 ? KEYS : KEYS / 2 }, (_, i) => {
    const k = p === 1 ? i : (i * 7919) % KEYS;
    return { key: `k${k}`, value: { v: p === 1 ? k % 101 : (i * 3) % 97 }, timestamp: T0 + (p === 1 ? i % 5000 : 5000 + (i % 5000)) };
  });
}

/** One producer, large sends (the producer splits them into batches). */
async function produce(t: Transport, topic: string, records: readonly { key: string; value: unknown; timestamp: number }[]): Promise<void> {
  const enc = new TextEncoder();
  const p = await t.producer();
  for (let i = 0; i < records.length; i += 20_000) {
    await p.send(records.slice(i, i + 20_000).map((r) => ({ topic, key: enc.encode(r.key), value: enc.encode(JSON.stringify(r.value)), timestamp: r.timestamp })));
  }
  await p.close();
}

if (brokers === undefined || brokers === '') {
  describe('kernel changelog on Apache Kafka', () => {
    it.skip('needs KAFKA_BROKERS (run with scripts/kafka/with-kafka.sh)', () => undefined);
  });
} else {
  describe(`kernel changelog on Apache Kafka (${brokers})`, () => {
    const dirs: string[] = [];
    const children: Child[] = [];
    let admin: Transport | undefined;
    afterAll(async () => {
      for (const c of children) await c.kill();
      await admin?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it(`a stats() topology with ${KEYS} keys commits, is SIGKILLed, restores and continues exactly`, async () => {
      const id = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
      const config = (stateDir: string): KernelCrashConfig => ({ brokers: brokers.split(','), applicationId: `kernel-crash-${id}`, input: `kc-in-${id}`, output: `kc-out-${id}`, stateDir });
      const dir = () => {
        const d = mkdtempSync(join(tmpdir(), 'rivulet-kernel-crash-'));
        dirs.push(d);
        return d;
      };
      admin = await createBrokerTransport({ brokers: brokers.split(',') });
      await admin.connect();
      const first = config(dir());
      await admin.createTopics([
        { topic: first.input, partitions: 1 },
        { topic: first.output, partitions: 1 },
      ]);
      const t0 = Date.now();
      const step = (what: string) => console.log(`[kernel-crash] +${Date.now() - t0} ms ${what}`);
      await produce(admin, first.input, phase(1));
      step('phase 1 produced');

      // First instance: processes phase 1 and commits it (200,000 changelog records).
      const a = launch(first);
      children.push(a);
      await eventually(() => a.status().processed >= KEYS, 90_000, `instance A processing ${KEYS} records`);
      const commitsAt = a.status().commits;
      await eventually(() => a.status().commits > commitsAt + 1, 60_000, 'instance A committing phase 1');
      step(`instance A committed phase 1 (${JSON.stringify({ ...a.status(), restores: undefined })})`);
      const changelog = changelogTopic(first.applicationId, 'kernel-stats');
      const afterCommit = (await admin.listOffsets(changelog))[0]?.latest ?? 0;
      expect(afterCommit).toBeGreaterThanOrEqual(KEYS);

      // Phase 2 arrives; the instance is killed part-way through it.
      const producing = produce(admin, first.input, phase(2));
      await eventually(() => a.status().processed >= KEYS + KEYS / 8 || a.status().state === 'DEAD', 90_000, 'instance A in the middle of phase 2');
      await a.kill();
      const killedAt = a.status().processed;
      step(`instance A killed after ${killedAt} records`);
      await producing;
      step('phase 2 produced');

      // Second instance, empty state directory: the whole state comes from the changelog.
      const restoreStart = Date.now();
      const b = launch(config(dir()));
      children.push(b);
      await eventually(() => b.status().state === 'RUNNING' && b.status().restores.length > 0, 120_000, 'instance B restoring');
      const restored = b.status().restores.find((r) => r.store === 'kernel-stats');
      step(`instance B running, restored ${JSON.stringify(restored)}`);
      // A record far ahead closes the window of every key.
      await produce(admin, first.input, [{ key: 'end', value: { v: 0 }, timestamp: T0 + 6 * WINDOW_MS }]);
      let out: Awaited<ReturnType<typeof readAll>> = [];
      await eventually(async () => {
        out = await readAll(admin!, first.output, 'read_committed');
        return out.length >= KEYS;
      }, 240_000, `${KEYS} final windows`);
      step('final windows read');
      await b.close();

      // Every window of every key exactly once, with the statistics of exactly its records.
      const want = new Map<string, { count: number; sum: number; min: number; max: number }>();
      for (const p of [1, 2] as const) {
        for (const r of phase(p)) {
          const k = `${r.key}@${T0}`;
          const w = want.get(k) ?? { count: 0, sum: 0, min: Infinity, max: -Infinity };
          want.set(k, { count: w.count + 1, sum: w.sum + r.value.v, min: Math.min(w.min, r.value.v), max: Math.max(w.max, r.value.v) });
        }
      }
      const dec = new TextDecoder();
      const got = new Map<string, unknown>();
      let duplicates = 0;
      for (const r of out) {
        const k = dec.decode(r.key!);
        if (got.has(k)) duplicates++;
        got.set(k, JSON.parse(dec.decode(r.value!)));
      }
      expect(duplicates).toBe(0);
      expect(got.size).toBe(KEYS);
      let wrong = 0;
      for (const [k, w] of want) if (JSON.stringify(got.get(k)) !== JSON.stringify(w)) wrong++;
      expect(wrong).toBe(0);
      const changelogEnd = (await admin.listOffsets(changelog))[0]?.latest ?? 0;
      console.log(
        `kernel changelog crash: ${KEYS} keys; changelog ${afterCommit} records after phase 1, ${changelogEnd} at the end; killed after ${killedAt} records; ` +
          `restored ${restored?.restored ?? '?'} records at ${Math.round(restored?.recordsPerSec ?? 0)} records/s (${((restored?.bytesPerSec ?? 0) / 1e6).toFixed(1)} MB/s; the reader's group join included), running ${Date.now() - restoreStart} ms after launch incl. the final windows; total ${Date.now() - t0} ms`,
      );
    }, 400_000);
  });
}
