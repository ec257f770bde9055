/**
 * Standby replicas on Apache Kafka: two instances (child processes) count 4,000
 * keys under exactly-once; the one holding half the tasks is killed with
 * SIGKILL. With `numStandbyReplicas: 1` the survivor kept those tasks warm and
 * restores only the tail; with 0 it restores their whole changelog. Both
 * measure the time from the kill to the first output of a moved task
 * (printed; `RIVULET_STANDBY_RESULTS=1` also writes bench/results/standby-failover.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RestoreProgress } from '../../src/runtime/task-manager.js';
import { Checkpoint } from '../../src/state/checkpoint.js';
import { createKafkaTransport } from '../../src/transport/kafkajs/kafkajs-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, latestByKey, produceJson, readAll } from '../support/embedded-io.js';
import type { StandbyRunnerConfig } from '../support/standby-runner.js';

const brokers = process.env['KAFKA_BROKERS']?.split(',').map((b) => b.trim()).filter((b) => b.length > 0) ?? [];
const runner = fileURLToPath(new URL('../support/standby-runner.ts', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) killGroup(c);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Status {
  state: string;
  tasks: number;
  active: string[];
  restores: RestoreProgress[];
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function launch(config: StandbyRunnerConfig): { status: () => Status; kill: () => Promise<void>; close: () => Promise<void> } {
  const child = spawn('npx', ['vite-node', runner, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  children.push(child);
  let last: Status = { state: 'CREATED', tasks: 0, active: [], restores: [] };
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      last = JSON.parse(line) as Status;
    } catch {
      // not a status line
    }
  });
  return {
    status: () => (exited ? { ...last, state: 'DEAD', tasks: 0 } : last),
    kill: async () => {
      killGroup(child);
      await exit;
    },
    close: async () => {
      if (exited) return;
      child.stdin!.write('close\n');
      const t = setTimeout(() => killGroup(child), 60_000);
      await exit;
      clearTimeout(t);
    },
  };
}

/** Total restored per task after `from`: the last report of each task's `counts` store. */
function restoredByTask(restores: readonly RestoreProgress[], from: number): Map<string, number> {
  const last = new Map<string, number>();
  for (const p of restores.slice(from)) if (p.store === 'counts') last.set(p.task, p.total);
  return last;
}

async function failover(admin: Transport, numStandbyReplicas: number) {
  const id = `standby-${numStandbyReplicas}-${randomUUID().slice(0, 8)}`;
  const input = `${id}-in`;
  const output = `${id}-out`;
  await admin.createTopics([{ topic: input, partitions: 4 }, { topic: output, partitions: 4 }]);
  const stateDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'rivulet-standby-'));
    dirs.push(d);
    return d;
  };
  const base = { brokers, applicationId: id, input, output, numStandbyReplicas, sessionTimeoutMs: 6_000, transactionTimeoutMs: 10_000 };
  const bDir = stateDir();
  const a = launch({ ...base, stateDir: stateDir() });
  const b = launch({ ...base, stateDir: bDir });
  const keys = Array.from({ length: 4000 }, (_, i) => `k${i}`);
  const rounds = 4;
  try {
    await eventually(() => a.status().state === 'RUNNING' && b.status().state === 'RUNNING' && a.status().tasks === 2 && b.status().tasks === 2, 120_000, 'a and b sharing 4 tasks');
    for (let r = 1; r <= rounds; r++) {
      await produceJson(admin, input, keys.map((key) => ({ key, value: {} })));
      await eventually(async () => {
        const c = latestByKey(await readAll(admin, output, 'read_committed'));
        return keys.every((k) => c.get(k) === r);
      }, 120_000, `round ${r} counted`);
    }
    const moved = a.status().active;
    expect(moved).toHaveLength(2);
    const changelog = `${id}-counts-changelog`;
    const ends = await admin.listOffsets(changelog);
    const changelogOfMoved = moved.reduce((n, t) => n + ends[Number(t.split('_')[1])]!.latest, 0);
    if (numStandbyReplicas > 0) {
      await eventually(async () => {
        for (const t of moved) {
          const p = Number(t.split('_')[1]);
          const cp = await new Checkpoint(join(bDir, id, t)).read().catch(() => new Map<string, number>());
          if ((cp.get(Checkpoint.key(changelog, p)) ?? 0) < ends[p]!.latest) return false;
        }
        return true;
      }, 60_000, "b's standbys caught up with a's changelog partitions");
    }
    const outEnds = await admin.listOffsets(output, { isolation: 'read_committed' });
    const restoresBefore = b.status().restores.length;

    const killedAt = Date.now();
    await a.kill();
    await produceJson(admin, input, keys.map((key) => ({ key, value: {} })));
    // The first output of a moved task: a new committed record on its output partition.
    const reader = await admin.reader({ isolation: 'read_committed' });
    let firstOutputMs = -1;
    try {
      reader.assign(moved.map((t) => ({ topic: output, partition: Number(t.split('_')[1]), offset: outEnds[Number(t.split('_')[1])]!.latest })));
      const deadline = Date.now() + 120_000;
      while (firstOutputMs < 0 && Date.now() < deadline) {
        if ((await reader.poll({ timeoutMs: 100 })).length > 0) firstOutputMs = Date.now() - killedAt;
      }
    } finally {
      await reader.close();
    }
    expect(firstOutputMs, 'a moved task produced output after the kill').toBeGreaterThan(0);
    await eventually(async () => {
      const c = latestByKey(await readAll(admin, output, 'read_committed'));
      return keys.every((k) => c.get(k) === rounds + 1);
    }, 120_000, 'round 5 counted exactly by b alone');
    const restored = [...restoredByTask(b.status().restores, restoresBefore)].filter(([t]) => moved.includes(t)).reduce((n, [, total]) => n + total, 0);
    return { numStandbyReplicas, changelogOfMoved, restored, firstOutputMs };
  } finally {
    await Promise.allSettled([a.close(), b.close()]);
  }
}

describe.skipIf(brokers.length === 0)('standby replicas on Apache Kafka', () => {
  it('after SIGKILL of the active, the standby takes over restoring only the tail; without standbys the whole changelog', async () => {
    const admin = createKafkaTransport({ brokers });
    await admin.connect();
    try {
      const withStandby = await failover(admin, 1);
      const without = await failover(admin, 0);
      const results = { withStandby, without };
      process.stdout.write(`standby failover: ${JSON.stringify(results)}\n`);
      if (process.env['RIVULET_STANDBY_RESULTS'] === '1') {
        mkdirSync('bench/results', { recursive: true });
        writeFileSync('bench/results/standby-failover.json', `${JSON.stringify({ measuredAt: new Date().toISOString(), ...results }, null, 2)}\n`);
      }
      // Thousands of changelog records behind the moved tasks.
      expect(withStandby.changelogOfMoved).toBeGreaterThan(4000);
      expect(withStandby.restored).toBeLessThan(withStandby.changelogOfMoved / 20);
      expect(without.restored).toBeGreaterThan(without.changelogOfMoved / 2);
    } finally {
      await admin.close();
    }
  }, 600_000);
});
