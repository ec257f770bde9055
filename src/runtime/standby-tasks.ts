/**
 * Standby replicas (Kafka Streams' StandbyTask): this instance follows the
 * changelogs of tasks active elsewhere into its own LevelDB copies, under the
 * same task directories and checkpoint files an active task uses. When the
 * instance later takes such a task over, the ordinary restore finds a recent
 * checkpoint and reads only the changelog tail.
 *
 * Only persistent (LevelDB) stores are followed: an in-memory store has no
 * local copy that could outlive a standby, so it restores in full wherever
 * its task goes. Records go to LevelDB and to a working store kept in memory
 * (a hot standby): when the task becomes active on this instance it takes
 * those working stores over ({@link StandbyTasks.promote}) and reads only the
 * changelog tail, instead of loading the whole local copy from LevelDB. A
 * standby so costs the memory its stores take on the active instance, and no
 * processor is built.
 * @module
 */
import { join } from 'node:path';
import { Checkpoint } from '../state/checkpoint.js';
import { changelogTopic } from '../topology/store-definition.js';
import type { StoreDefinition } from '../topology/store-definition.js';
import type { Topology } from '../topology/topology.js';
import type { ConsumerRecord, Reader, TopicPartitionOffset, Transport } from '../transport/transport.js';
import { restoreRecords } from '../state/working-table.js';
import { createWorkingStore, type TaskStore } from './state-factory.js';
import { StorePersistence } from './store-persistence.js';
import type { ResolvedConfig } from './streams-config.js';

interface FollowedStore {
  readonly def: StoreDefinition;
  readonly name: string;
  readonly topic: string;
  readonly persistence: StorePersistence;
  readonly task: StandbyTask;
  /** The working store, up to date with LevelDB: what the task takes over when it becomes active here. */
  state: TaskStore;
  /** Next changelog offset to apply. */
  offset: number;
}

/** A standby's working store handed to the active task, and the changelog offset it holds up to (exclusive). */
export interface WarmStore {
  readonly state: TaskStore;
  readonly offset: number;
}

interface StandbyTask {
  readonly name: string;
  readonly partition: number;
  readonly checkpoint: Checkpoint;
  readonly stores: FollowedStore[];
  /** Records applied since the last checkpoint. */
  dirty: boolean;
}

export class StandbyTasks {
  readonly #tasks = new Map<string, StandbyTask>();
  /** `topic\u0000partition` → the store that changelog feeds. */
  readonly #byChangelog = new Map<string, FollowedStore>();
  #reader: Reader | undefined;
  #readerStale = false;
  /** Records applied over the instance's life (metrics, tests). */
  applied = 0;

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedConfig,
    private readonly transport: Transport,
    private readonly taskDir: (name: string) => string,
    /** A standby's changelog offsets moved (checkpointed): the assignor's view of this instance's state. */
    private readonly onOffsets: (task: string, offsets: ReadonlyMap<string, number>) => void,
  ) {}

  get size(): number {
    return this.#tasks.size;
  }

  names(): string[] {
    return [...this.#tasks.keys()].sort();
  }

  /**
   * Follows exactly `wanted` (task ids like `0_3`) from now on: closes the others (with a
   * checkpoint, so a task becoming active here restores only the tail) and opens new ones
   * from their checkpoints. Call before restoring active tasks (their LevelDB must be free).
   */
  async retain(wanted: readonly string[]): Promise<void> {
    const keep = new Set(wanted);
    for (const name of [...this.#tasks.keys()]) if (!keep.has(name)) await this.#close(name, true);
  }

  /** Opens the standby tasks of `wanted` not followed yet; call after the active tasks are restored. */
  async open(wanted: readonly string[]): Promise<void> {
    for (const name of wanted) {
      if (this.#tasks.has(name)) continue;
      const task = await this.#openTask(name);
      if (task !== undefined) {
        this.#tasks.set(name, task);
        this.#readerStale = true;
      }
    }
  }

  /** Applies what the changelogs hold beyond the standbys' positions (without waiting); returns how many records. */
  async poll(maxRecords: number): Promise<number> {
    if (this.#tasks.size === 0) return 0;
    try {
      return await this.#poll(maxRecords);
    } catch (e) {
      // A standby is a warm copy, never a reason to stop processing: start its reader over.
      this.config.logger.warn('standby replicas could not follow their changelogs; retrying', { error: e instanceof Error ? e.message : String(e) });
      await this.#reader?.close().catch(() => undefined);
      this.#reader = undefined;
      this.#readerStale = true;
      await this.#clampToLogs().catch(() => undefined);
      return 0;
    }
  }

  /** Positions outside their log (the changelog was deleted or truncated) start over from its beginning. */
  async #clampToLogs(): Promise<void> {
    for (const task of this.#tasks.values()) {
      for (const s of task.stores) {
        const ends = (await this.transport.listOffsets(s.topic)).find((o) => o.partition === task.partition);
        if (ends === undefined || (s.offset >= ends.earliest && s.offset <= ends.latest)) continue;
        await s.persistence.wipe();
        s.state.close?.();
        s.state = createWorkingStore(s.def);
        s.offset = ends.earliest;
        task.dirty = true;
      }
    }
  }

  async #poll(maxRecords: number): Promise<number> {
    const reader = await this.#assignedReader();
    const records: ConsumerRecord[] = await reader.poll({ maxRecords, timeoutMs: 0 });
    if (records.length === 0) return 0;
    // One LevelDB batch per store per poll.
    const changes = new Map<FollowedStore, { key: Uint8Array; value: Uint8Array | null }[]>();
    for (const r of records) {
      const store = this.#byChangelog.get(`${r.topic}\u0000${r.partition}`);
      if (store === undefined) continue;
      if (r.key !== null) {
        let list = changes.get(store);
        if (list === undefined) changes.set(store, (list = []));
        list.push({ key: r.key, value: r.value });
      }
      store.offset = r.offset + 1;
      store.task.dirty = true;
    }
    for (const [store, list] of changes) {
      restoreRecords(store.state, list);
      await store.persistence.write(list);
    }
    // Offsets also advance over transaction markers and aborted records.
    for (const store of this.#byChangelog.values()) {
      const position = reader.position({ topic: store.topic, partition: store.task.partition });
      if (position !== undefined && position > store.offset) {
        store.offset = position;
        store.task.dirty = true;
      }
    }
    this.applied += records.length;
    return records.length;
  }

  /**
   * Stops following `names` that are standbys here (they become active on this instance) and
   * hands over their working stores, per task and store, after checkpointing them: the active
   * restore then reads only the changelog after each store's offset.
   */
  async promote(names: readonly string[]): Promise<Map<string, Map<string, WarmStore>>> {
    const out = new Map<string, Map<string, WarmStore>>();
    for (const name of names) {
      const task = this.#tasks.get(name);
      if (task === undefined) continue;
      const stores = new Map<string, WarmStore>();
      for (const s of task.stores) stores.set(s.name, { state: s.state, offset: s.offset });
      try {
        await this.#close(name, true, true);
      } catch (e) {
        for (const w of stores.values()) w.state.close?.();
        throw e;
      }
      out.set(name, stores);
    }
    return out;
  }

  /** Writes the checkpoint of every standby that moved, after its LevelDB writes are durable. */
  async checkpoint(): Promise<void> {
    for (const task of this.#tasks.values()) if (task.dirty) await this.#writeCheckpoint(task);
  }

  async closeAll(): Promise<void> {
    for (const name of [...this.#tasks.keys()]) await this.#close(name, true).catch(() => undefined);
    await this.#reader?.close().catch(() => undefined);
    this.#reader = undefined;
  }

  async #writeCheckpoint(task: StandbyTask): Promise<void> {
    for (const s of task.stores) await s.persistence.flush();
    const offsets = new Map<string, number>();
    for (const s of task.stores) offsets.set(Checkpoint.key(s.topic, task.partition), s.offset);
    // Other stores' entries of an earlier active run stay valid: keep them.
    let previous = new Map<string, number>();
    try {
      previous = await task.checkpoint.read();
    } catch {
      // unreadable: rewritten below
    }
    for (const [k, v] of previous) if (!offsets.has(k)) offsets.set(k, v);
    await task.checkpoint.write(offsets);
    task.dirty = false;
    this.onOffsets(task.name, new Map(task.stores.map((s) => [s.name, s.offset])));
  }

  /** Stops following task `name`; its working stores are closed unless `keepStates` (handed over). */
  async #close(name: string, checkpoint: boolean, keepStates = false): Promise<void> {
    const task = this.#tasks.get(name);
    if (task === undefined) return;
    this.#tasks.delete(name);
    this.#readerStale = true;
    for (const s of task.stores) this.#byChangelog.delete(`${s.topic}\u0000${task.partition}`);
    try {
      if (checkpoint && task.dirty) await this.#writeCheckpoint(task);
    } finally {
      for (const s of task.stores) {
        if (!keepStates) s.state.close?.();
        await s.persistence.close();
      }
    }
  }

  async #openTask(name: string): Promise<StandbyTask | undefined> {
    const [subId, partition] = name.split('_').map(Number);
    const sub = this.topology.subTopologies().find((s) => s.id === subId);
    if (sub === undefined || partition === undefined || !Number.isInteger(partition)) return undefined;
    const defs = sub.stores.map((s) => this.topology.store(s)).filter((d) => d !== undefined && d.changelog && d.persistent);
    if (defs.length === 0) return undefined;
    const checkpoint = new Checkpoint(this.taskDir(name));
    let saved = new Map<string, number>();
    try {
      saved = await checkpoint.read();
    } catch (e) {
      this.config.logger.warn('ignoring unreadable checkpoint of a standby task; following its changelog from the start', { task: name, error: String(e) });
    }
    const task: StandbyTask = { name, partition, checkpoint, stores: [], dirty: false };
    try {
      for (const def of defs) {
        if (def === undefined) continue;
        const topic = changelogTopic(this.config.applicationId, def.name);
        const ends = (await this.transport.listOffsets(topic)).find((o) => o.partition === partition);
        if (ends === undefined) continue;
        const persistence = new StorePersistence(def.name, join(this.taskDir(name), def.name));
        await persistence.open();
        let from = saved.get(Checkpoint.key(topic, partition));
        // Without a checkpoint (or with one outside the log) the local copy is of unknown origin.
        if (from === undefined || from > ends.latest) {
          await persistence.wipe();
          from = ends.earliest;
          task.dirty = true;
        }
        from = Math.max(from, ends.earliest);
        const state = createWorkingStore(def);
        task.stores.push({ def, name: def.name, topic, persistence, task, state, offset: from });
        // The local copy up to the checkpoint goes into memory once, now, not at a failover.
        await persistence.loadInto(state);
      }
    } catch (e) {
      for (const s of task.stores) {
        s.state.close?.();
        await s.persistence.close().catch(() => undefined);
      }
      throw e;
    }
    if (task.stores.length === 0) return undefined;
    for (const s of task.stores) this.#byChangelog.set(`${s.topic}\u0000${partition}`, s);
    return task;
  }

  async #assignedReader(): Promise<Reader> {
    const eos = this.config.processingGuarantee === 'exactly_once';
    this.#reader ??= await this.transport.reader({ isolation: eos ? 'read_committed' : 'read_uncommitted', clientId: `${this.config.applicationId}-standby` });
    if (this.#readerStale) {
      const positions: TopicPartitionOffset[] = [];
      for (const task of this.#tasks.values()) for (const s of task.stores) positions.push({ topic: s.topic, partition: task.partition, offset: s.offset });
      this.#reader.assign(positions);
      this.#readerStale = false;
    }
    return this.#reader;
  }
}
