import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../../src/runtime/kafka-streams.js';
import type { RestoreProgress } from '../../../src/runtime/task-manager.js';
import { StorePersistence } from '../../../src/runtime/store-persistence.js';
import { StreamsAssignor } from '../../../src/runtime/streams-assignor.js';
import { decodeAssignment, encodeInfo } from '../../../src/runtime/streams-assignor.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { Checkpoint } from '../../../src/state/checkpoint.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, latestByKey, produceJson, readAll } from '../../support/embedded-io.js';

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const newStateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-standby-'));
  dirs.push(d);
  return d;
};

describe('StreamsAssignor placement', () => {
  const subs = [{ id: 0, topics: ['in'], stateful: true }];
  const member = (memberId: string, instanceId: string, offsets: Record<string, number> = {}) => ({
    memberId,
    topics: ['in'],
    userData: encodeInfo({ version: 1, instanceId, host: `${instanceId}:1`, offsets }),
  });
  const assign = (standbys: number, members: ReturnType<typeof member>[]) => {
    const a = new StreamsAssignor({ subTopologies: () => subs, numStandbyReplicas: standbys, subscription: () => ({ version: 1, instanceId: 'x', offsets: {} }) });
    const out = a.assign(members, () => 4);
    return new Map([...out].map(([id, x]) => [id, { active: x.partitions.map((tp) => tp.partition), standby: decodeAssignment(x.userData)!.standby }]));
  };

  it('without standbys splits tasks in ranges, as the range assignor', () => {
    const out = assign(0, [member('m2', 'b'), member('m1', 'a')]);
    expect(out.get('m1')).toEqual({ active: [0, 1], standby: [] });
    expect(out.get('m2')).toEqual({ active: [2, 3], standby: [] });
  });

  it('puts each standby on another instance than its active, and prefers the most caught-up state for actives', () => {
    // m1 holds tasks 2 and 3 fully (e.g. as standby), m2 holds nothing: the range split would move them.
    const out = assign(1, [member('m1', 'a', { '0_2': 500, '0_3': 500 }), member('m2', 'b'), member('m3', 'c', { '0_0': 10 })]);
    expect(out.get('m1')!.active.sort()).toEqual([2, 3]);
    expect(out.get('m3')!.active).toContain(0);
    const actives = new Map<number, string>();
    for (const [id, x] of out) for (const p of x.active) actives.set(p, id);
    expect([...actives.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const [id, x] of out) for (const t of x.standby) expect(actives.get(Number(t.split('_')[1])), `standby ${t} on ${id}`).not.toBe(id);
    expect([...out.values()].flatMap((x) => x.standby).sort()).toEqual(['0_0', '0_1', '0_2', '0_3']);
  });

  it('never places a standby on the instance of its active, even with more replicas asked than instances', () => {
    const out = assign(3, [member('m1', 'a'), member('m2', 'b')]);
    for (const x of out.values()) for (const t of x.standby) expect(x.active).not.toContain(Number(t.split('_')[1]));
    expect([...out.values()].flatMap((x) => x.standby)).toHaveLength(4);
  });
});

describe('standby replicas (embedded broker)', () => {
  it('the instance taking over a task it kept as standby takes its working stores over (no LevelDB load), restores only the tail, and counts stay exact', async () => {
    const id = `standby-${Date.now()}`;
    const admin = broker.transport();
    await admin.connect();
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    const apps: KafkaStreams[] = [];
    try {
      await admin.createTopics([{ topic: `${id}-in`, partitions: 4 }]);
      const newApp = (name: string, options: Partial<KafkaStreamsOptions> = {}) => {
        const b = new StreamsBuilder();
        b.stream<string, unknown>(`${id}-in`, { valueSerde: Serdes.json() }).groupByKey().count({ storeName: 'counts' }).toStream().to(`${id}-out`, { valueSerde: Serdes.json<number>() });
        const app = new KafkaStreams(b.build(), {
          applicationId: id,
          embeddedBroker: broker,
          stateDir: newStateDir(),
          commitIntervalMs: 100,
          processingGuarantee: 'exactly_once',
          numStandbyReplicas: 1,
          applicationServer: `${name}.local:80`,
          ...options,
        });
        apps.push(app);
        return app;
      };
      const counts = async () => latestByKey(await readAll(admin, `${id}-out`, 'read_committed'));
      const a = newApp('a');
      const b = newApp('b');
      const restoresB: RestoreProgress[] = [];
      b.onRestore((p) => restoresB.push(p));
      await a.start();
      await b.start();
      await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks === 2 && b.metrics().tasks === 2, 20_000, 'a and b sharing 4 tasks');
      for (let round = 1; round <= 3; round++) {
        await produceJson(admin, `${id}-in`, keys.map((key) => ({ key, value: {} })));
        await eventually(async () => {
          const c = await counts();
          return keys.every((k) => c.get(k) === round);
        }, 30_000, `round ${round} counted`);
      }
      // Every key has a standby on the other instance.
      for (const k of keys.slice(0, 50)) {
        const meta = b.queryMetadataForKey('counts', k, Serdes.string());
        expect(meta.standbyHosts).toHaveLength(1);
        expect(meta.standbyHosts[0]!.host).not.toBe(meta.activeHost.host);
      }
      const aTasks = a.metadataForAllStreamsClients().find((m) => m.hostInfo.host === 'a.local')!.topicPartitions.map((tp) => tp.partition);
      const bStandby = b.metadataForAllStreamsClients().find((m) => m.hostInfo.host === 'b.local')!.standbyTopicPartitions.map((tp) => tp.partition);
      expect(bStandby.sort()).toEqual(aTasks.sort());
      // The local view agrees: b runs its two tasks and keeps a's two as standbys.
      const [thread] = b.metadataForLocalThreads();
      expect(thread!.activeTasks.map((t) => t.taskId)).toHaveLength(2);
      expect(thread!.standbyTasks.map((t) => t.taskId)).toEqual(aTasks.sort().map((p) => `0_${p}`));
      expect(thread!.standbyTasks.flatMap((t) => t.topicPartitions)).toEqual(aTasks.sort().map((partition) => ({ topic: `${id}-in`, partition })));
      // B's standbys have checkpointed up to the end of A's changelog partitions.
      const changelog = `${id}-counts-changelog`;
      const ends = await admin.listOffsets(changelog);
      const bDir = b.config.stateDir;
      await eventually(async () => {
        for (const p of aTasks) {
          const cp = await new Checkpoint(join(bDir, id, `0_${p}`)).read().catch(() => new Map<string, number>());
          if ((cp.get(Checkpoint.key(changelog, p)) ?? 0) < ends[p]!.latest) return false;
        }
        return true;
      }, 20_000, "b's standbys caught up");

      const before = restoresB.length;
      const loads = vi.spyOn(StorePersistence.prototype, 'loadInto');
      await a.close();
      await eventually(() => b.state() === 'RUNNING' && b.metrics().tasks === 4, 20_000, 'b owning all 4 tasks');
      // The standbys kept the stores in memory: the moved tasks load nothing from LevelDB (b's own
      // tasks reopen from theirs: revoking closes every task).
      const loaded = loads.mock.contexts.map((p) => (p as StorePersistence).location);
      expect(loaded.filter((l) => aTasks.some((p) => l.includes(`${join(id, `0_${p}`)}`)))).toEqual([]);
      expect(loaded).toHaveLength(2);
      loads.mockRestore();
      await produceJson(admin, `${id}-in`, keys.map((key) => ({ key, value: {} })));
      await eventually(async () => {
        const c = await counts();
        return keys.every((k) => c.get(k) === 4);
      }, 30_000, 'round 4 counted by b alone, exactly');
      const moved = restoresB.slice(before).filter((p) => aTasks.includes(Number(p.task.split('_')[1])));
      const restored = moved.reduce((n, p) => Math.max(n, p.total), 0);
      const changelogOfMoved = aTasks.reduce((n, p) => n + ends[p]!.latest, 0);
      // Thousands of changelog records; the standby leaves a tail of (next to) nothing.
      expect(changelogOfMoved).toBeGreaterThan(2000);
      expect(restored).toBeLessThan(changelogOfMoved / 20);
    } finally {
      await Promise.allSettled(apps.map((x) => x.close()));
      await admin.close();
    }
  }, 120_000);
});
