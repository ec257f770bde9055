import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Topology, SubTopology } from '../topology/topology.js';
import { changelogTopic } from '../topology/store-definition.js';
import type { Reader, Transport, TopicPartition } from '../transport/transport.js';
import { Checkpoint } from '../state/checkpoint.js';
import { StandbyTasks, type WarmStore } from './standby-tasks.js';
import { restoreChangelog, type RestoreCount } from './changelog-restore.js';
import { StorePersistence } from './store-persistence.js';
import { StreamTask, type TaskEnvironment } from './stream-task.js';
import type { ResolvedConfig } from './streams-config.js';
import { taskIdString } from './task-id.js';
import type { RestoreProgress } from '../metrics/instance-metrics.js';

export type { RestoreProgress };

function progress(task: string, store: string, restored: number, total: number, bytes: number, ms: number): RestoreProgress {
  const secs = Math.max(0.001, ms / 1000);
  return { task, store, restored, total, recordsPerSec: restored / secs, bytesPerSec: bytes / secs };
}

/** A running task with its local persistence. */
export interface ManagedTask {
  readonly task: StreamTask;
  readonly persistence: Map<string, StorePersistence>;
  readonly checkpoint: Checkpoint;
  /** Next changelog offset per store, as far as this instance wrote or restored. */
  readonly changelogOffsets: Map<string, number>;
}

/**
 * Creates, restores and closes tasks as partitions come and go. A task's
 * stores are rebuilt before it processes: from LevelDB up to the checkpoint,
 * then from the changelog tail (or the whole changelog without a checkpoint).
 */
export class TaskManager {
  readonly tasks = new Map<string, ManagedTask>();
  /**
   * Per task id, the sum of the changelog offsets its local state is known to be at (its
   * latest checkpoint or restore), kept after the task moves away: its stores stay on disk.
   * Members announce it when they join so the assignor can prefer caught-up state.
   */
  readonly localOffsets = new Map<string, number>();
  /** Tasks active elsewhere whose changelogs this instance follows. */
  readonly standbys: StandbyTasks;
  private readonly subByTopic = new Map<string, SubTopology>();

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedConfig,
    private readonly env: TaskEnvironment,
    private readonly transport: Transport,
    private readonly onRestore: (p: RestoreProgress) => void,
  ) {
    for (const sub of topology.subTopologies()) {
      for (const n of sub.nodes) if (n.kind === 'source') for (const t of n.topics) this.subByTopic.set(env.topicName(t, n.internal), sub);
    }
    this.standbys = new StandbyTasks(topology, config, transport, (name) => this.taskDir(name), (task, offsets) => this.noteOffsets(task, offsets));
  }

  /** The task that processes records of this partition. */
  taskFor(topic: string, partition: number): ManagedTask | undefined {
    const sub = this.subByTopic.get(topic);
    return sub === undefined ? undefined : this.tasks.get(taskIdString({ subtopology: sub.id, partition }));
  }

  private taskDir(name: string): string {
    return join(this.config.stateDir, this.config.applicationId, name);
  }

  /**
   * Creates and restores the tasks for newly assigned partitions, and follows
   * `standbys` (task ids) from then on. Standbys that stop are checkpointed and
   * closed first, so the active restore finds their LevelDB free; a standby that
   * becomes active here hands its working stores over, so its restore reads only
   * the changelog tail after them.
   */
  async assign(partitions: readonly TopicPartition[], standbys: readonly string[] = []): Promise<void> {
    const promoted = [...this.wantedTasks(partitions).keys()].filter((name) => !this.tasks.has(name));
    const warm = await this.standbys.promote(promoted);
    try {
      await this.standbys.retain(standbys);
      await this.assignActive(partitions, warm);
    } finally {
      // Working stores of a task whose restore failed: its retry restores from LevelDB.
      for (const stores of warm.values()) for (const w of stores.values()) w.state.close?.();
    }
    await this.standbys.open(standbys.filter((name) => !this.tasks.has(name)));
  }

  private wantedTasks(partitions: readonly TopicPartition[]): Map<string, { sub: SubTopology; partition: number }> {
    const wanted = new Map<string, { sub: SubTopology; partition: number }>();
    for (const tp of partitions) {
      const sub = this.subByTopic.get(tp.topic);
      if (sub !== undefined) wanted.set(taskIdString({ subtopology: sub.id, partition: tp.partition }), { sub, partition: tp.partition });
    }
    return wanted;
  }

  /** `warm`: working stores of standbys promoted here, per task; those used are removed from it. */
  private async assignActive(partitions: readonly TopicPartition[], warm: Map<string, Map<string, WarmStore>>): Promise<void> {
    for (const [name, { sub, partition }] of this.wantedTasks(partitions)) {
      if (this.tasks.has(name)) continue;
      const task = new StreamTask({ subtopology: sub.id, partition }, sub, this.topology, this.env);
      const managed: ManagedTask = { task, persistence: new Map(), checkpoint: new Checkpoint(this.taskDir(name)), changelogOffsets: new Map() };
      try {
        await this.restore(managed, warm.get(name));
        warm.delete(name);
      } catch (e) {
        // Not yet in `tasks`, so closeAll would miss its stores: release their locks for the retry.
        for (const p of managed.persistence.values()) await p.close().catch(() => undefined);
        throw e;
      }
      task.init();
      this.tasks.set(name, managed);
      this.noteOffsets(name, managed.changelogOffsets);
    }
  }

  /**
   * Writes the task's changelog offsets as its checkpoint (keys `<changelog topic>:<partition>`),
   * after its LevelDB copies are on disk: a checkpoint ahead of its data would survive a power
   * loss the data did not, and the restore would skip the changelog records that were lost.
   */
  async writeCheckpoint(m: ManagedTask): Promise<void> {
    for (const p of m.persistence.values()) await p.flush();
    const offsets = new Map<string, number>();
    for (const [store, offset] of m.changelogOffsets) offsets.set(Checkpoint.key(changelogTopic(this.config.applicationId, store), m.task.id.partition), offset);
    await m.checkpoint.write(offsets);
    this.noteOffsets(m.task.name, m.changelogOffsets);
  }

  /**
   * Reads the checkpoints of every task directory under the state directory, so the first
   * join already reports state left by an earlier run (Kafka Streams reads them the same way).
   */
  async loadLocalOffsets(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(join(this.config.stateDir, this.config.applicationId));
    } catch {
      return;
    }
    for (const name of names) {
      if (!/^\d+_\d+$/.test(name) || this.localOffsets.has(name)) continue;
      try {
        const saved = await new Checkpoint(this.taskDir(name)).read();
        let sum = 0;
        for (const o of saved.values()) sum += o;
        if (saved.size > 0) this.localOffsets.set(name, sum);
      } catch {
        // No or unreadable checkpoint: the task's state counts as absent.
      }
    }
  }

  private noteOffsets(task: string, offsets: ReadonlyMap<string, number>): void {
    let sum = 0;
    for (const o of offsets.values()) sum += o;
    if (offsets.size > 0) this.localOffsets.set(task, sum);
  }

  private async readCheckpoint(m: ManagedTask): Promise<Map<string, number>> {
    const byStore = new Map<string, number>();
    let raw: Map<string, number>;
    try {
      raw = await m.checkpoint.read();
    } catch (e) {
      // A damaged checkpoint only costs a full restore from the changelog.
      this.config.logger.warn('ignoring unreadable checkpoint; restoring from the changelog', { task: m.task.name, error: String(e) });
      return byStore;
    }
    for (const store of m.task.stores.keys()) {
      const o = raw.get(Checkpoint.key(changelogTopic(this.config.applicationId, store), m.task.id.partition));
      if (o !== undefined) byStore.set(store, o);
    }
    return byStore;
  }

  private async restore(m: ManagedTask, warm?: Map<string, WarmStore>): Promise<void> {
    // LevelDB receives a commit's changes only after the commit (under exactly-once, after its
    // transaction committed), so a checkpoint never covers an aborted transaction's effects.
    const checkpoints = await this.readCheckpoint(m);
    const eos = this.config.processingGuarantee === 'exactly_once';
    let reader: Reader | undefined;
    try {
      for (const [storeName, fresh] of m.task.stores) {
        const def = this.topology.store(storeName);
        if (def === undefined) continue;
        let state = fresh;
        let from = 0;
        if (def.persistent) {
          const p = new StorePersistence(storeName, join(this.taskDir(m.task.name), storeName));
          await p.open();
          m.persistence.set(storeName, p);
          const cp = checkpoints.get(storeName);
          const w = warm?.get(storeName);
          if (w !== undefined && cp === w.offset) {
            // The standby's working store holds what LevelDB holds up to the checkpoint it just wrote.
            warm?.delete(storeName);
            fresh.close?.();
            m.task.stores.set(storeName, w.state);
            state = w.state;
            from = cp;
          } else if (cp !== undefined || !def.changelog) {
            await p.loadInto(state);
            from = cp ?? 0;
          } else {
            await p.wipe();
          }
        }
        if (!def.changelog) continue;
        const topic = changelogTopic(this.config.applicationId, storeName);
        const partition = m.task.id.partition;
        // The end is the high watermark even under exactly-once: a transaction a crashed instance
        // left open holds the last stable offset back, and committed records of the task's later
        // owners may follow it. Reading read_committed up to the high watermark waits until that
        // transaction ends (at the latest by the broker's transaction timeout).
        const offsets = await this.transport.listOffsets(topic, { isolation: 'read_uncommitted' });
        const end = offsets.find((o) => o.partition === partition);
        if (end === undefined) continue;
        from = Math.max(from, end.earliest);
        if (from >= end.latest) {
          m.changelogOffsets.set(storeName, end.latest);
          continue;
        }
        reader ??= await this.transport.reader({ isolation: eos ? 'read_committed' : 'read_uncommitted', clientId: `${this.config.applicationId}-restore` });
        const total = end.latest - from;
        const report = (c: RestoreCount) => this.onRestore(progress(m.task.name, storeName, c.restored, total, c.bytes, c.ms));
        report(await restoreChangelog(reader, { topic, partition, from, end: end.latest }, state, m.persistence.get(storeName), report));
        m.changelogOffsets.set(storeName, end.latest);
      }
    } finally {
      await reader?.close();
    }
  }

  /** Closes every task; with `clean`, writes checkpoints so a restart restores only the tail. */
  async closeAll(clean: boolean): Promise<void> {
    for (const m of this.tasks.values()) {
      m.task.close();
      if (clean) await this.writeCheckpoint(m);
      for (const p of m.persistence.values()) await p.close();
    }
    this.tasks.clear();
  }
}
