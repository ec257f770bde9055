import { TransportError } from '../errors.js';
import type { Topology } from '../topology/topology.js';
import { changelogTopic } from '../topology/store-definition.js';
import type { ConsumerRecord, GroupConsumer, Producer, ProducerRecord, TopicPartition, TopicPartitionOffset, Transport } from '../transport/transport.js';
import { OutputPipeline } from './output-pipeline.js';
import { headerBytes, type RecordCollector } from './record-collector.js';
import type { TaskEnvironment } from './stream-task.js';
import type { ResolvedConfig } from './streams-config.js';
import { processInTimestampOrder } from './task-interleaving.js';
import { decodeAssignment, type StreamsAssignmentInfo } from './streams-assignor.js';
import { TaskManager, type RestoreProgress } from './task-manager.js';

/**
 * Most records processed between two yields to the event loop. The client's
 * fetches and sends progress only while the loop yields: with rounds of
 * `maxPollRecords` (10 000) records the producer got a turn every ~80 ms, and
 * most outputs were still unsent when the commit came and waited for them
 * (broker bench: 13,214 → 26,935 readings/s at 1 000).
 */
const PROCESS_SLICE_RECORDS = 1000;

/** Callbacks from the loop to its owner. */
export interface ThreadEvents {
  rebalancing(): void;
  running(): void;
  restoring(p: RestoreProgress): void;
  /** The group's assignment took effect (`undefined`: revoked, or no assignment info came). */
  assigned(info: StreamsAssignmentInfo | undefined): void;
}

/**
 * Kafka Streams' StreamThread: poll a batch, process it task by task, run
 * punctuations, and every `commitIntervalMs` commit — flush processors and
 * stores, send outputs and changelog records, then commit input offsets
 * (atomically in one transaction under exactly-once).
 */
export class StreamThread {
  readonly tasks: TaskManager;
  /**
   * Sink, repartition and dead-letter records go out while processing continues;
   * each commit flushes them before it writes changelogs and offsets.
   */
  private readonly outputs: OutputPipeline;
  /** Partitions this loop paused because their task buffers `maxPollRecords` records (`topic\u0000partition`). */
  private readonly bufferPaused = new Map<string, TopicPartition>();
  /** `runUntilCaughtUp`: partitions that reached their end offset of the run; they count as caught up. */
  private readonly stopped = new Set<string>();
  /** The last round stopped at its record budget with records left: poll without waiting. */
  private moreBuffered = false;
  private lastCommit = Date.now();
  private stopping = false;
  private inTransaction = false;
  /**
   * `runUntilCaughtUp`: per source partition (`topic\u0000partition`), the end
   * offset when the run began; records at or past it are left for a later run.
   */
  stopAt: Map<string, number> | undefined;
  private partitionCounts = new Map<string, number>();
  /**
   * The offsets this thread's commits made the group's (`topic\u0000partition`). Under
   * exactly-once a commit returns once the broker decided it, possibly before
   * `committedOffsets` shows it, so a recovery never starts behind these.
   */
  private readonly lastCommitted = new Map<string, number>();
  readonly env: TaskEnvironment;
  /** Where store changes go; commits send them after the outputs. */
  private readonly changelogTopics: Set<string>;

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedConfig,
    private readonly transport: Transport,
    private readonly consumer: GroupConsumer,
    private producer: Producer,
    private readonly events: ThreadEvents,
    partitionCounts: Map<string, number>,
    /** Opens a new producer after this one was fenced. */
    private readonly newProducer: () => Promise<Producer>,
    /** The instance's global stores, readable from every task. */
    globalStore: (name: string) => unknown = () => undefined,
  ) {
    this.partitionCounts = partitionCounts;
    this.changelogTopics = new Set(topology.stores().filter((st) => st.changelog).map((st) => changelogTopic(config.applicationId, st.name)));
    this.outputs = new OutputPipeline((records) => this.sendInTransaction(records));
    const collector: RecordCollector = {
      send: (r) => {
        this.outputs.push({
          topic: r.topic,
          ...(r.partition === undefined ? {} : { partition: r.partition }),
          key: r.key,
          value: r.value,
          timestamp: r.timestamp,
          headers: headerBytes(r.headers),
        });
      },
      partitionsFor: (topic) => this.partitionCounts.get(topic),
    };
    const appId = config.applicationId;
    this.env = {
      config,
      collector,
      topicName: (t, internal) => (internal ? `${appId}-${t}` : t),
      now: () => Date.now(),
      globalStore,
    };
    this.tasks = new TaskManager(topology, config, this.env, transport, (p) => events.restoring(p));
  }

  get groupId(): string {
    return this.config.applicationId;
  }

  /** Subscribes and runs until `stop()`; rejects if processing fails for good. */
  async run(): Promise<void> {
    const topics = new Set<string>();
    for (const n of this.topology.nodes()) if (n.kind === 'source') for (const t of n.topics) topics.add(this.env.topicName(t, n.internal));
    await this.consumer.subscribe([...topics], {
      onPartitionsRevoked: async () => {
        this.events.rebalancing();
        this.events.assigned(undefined);
        await this.commit();
        await this.tasks.closeAll(true);
        this.forgetPauses();
      },
      onPartitionsLost: async () => {
        this.events.rebalancing();
        this.events.assigned(undefined);
        await this.abandon();
        this.forgetPauses();
      },
      onPartitionsAssigned: async (partitions) => {
        this.forgetPauses();
        const info = decodeAssignment(this.consumer.assignmentUserData());
        this.events.assigned(info);
        await this.tasks.assign(partitions, info?.standby ?? []);
        this.events.running();
      },
    });
    let failingSince: number | undefined;
    while (!this.stopping) {
      try {
        await this.runOnce();
        failingSince = undefined;
      } catch (e) {
        if (!StreamThread.isMigration(e) && !StreamThread.isRetriable(e)) throw e;
        failingSince ??= Date.now();
        await this.recover(e, failingSince);
      }
      // Yield so timers and I/O callbacks of the embedding service keep running.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * One poll → process → (maybe) commit round. Polled records wait in their
   * task's record queues; tasks then process in timestamp order across
   * partitions (see {@link processInTimestampOrder}), and a partition whose task
   * buffers `maxPollRecords` records is paused until half of them are processed.
   */
  private async runOnce(): Promise<void> {
    const records = await this.consumer.poll({ maxRecords: this.config.maxPollRecords, timeoutMs: this.moreBuffered ? 0 : 100 });
    if (this.stopping) return;
    this.buffer(records);
    const owned = new Set(this.consumer.assignment().map((tp) => `${tp.topic}\u0000${tp.partition}`));
    // A partition that reached its run's end, or that this consumer does not own (a source topic
    // with fewer partitions than the task number), has nothing coming: it counts as caught up.
    const lagOf = (topic: string, partition: number): number | undefined => {
      const key = `${topic}\u0000${partition}`;
      return this.stopped.has(key) || !owned.has(key) ? 0 : this.consumer.currentLag({ topic, partition });
    };
    const tasks = [...this.tasks.tasks.values()].map((m) => m.task);
    // A failed send fails the round at once: the work since the last commit is redone.
    const failed = this.outputs.failure;
    if (failed !== undefined) throw failed.error;
    const round = await processInTimestampOrder(tasks, { now: Date.now(), lagOf, budget: Math.min(this.config.maxPollRecords, PROCESS_SLICE_RECORDS) });
    this.moreBuffered = round.budgetExhausted;
    for (const task of round.touched) task.endBatch();
    this.pauseFullPartitions();
    const now = Date.now();
    for (const m of this.tasks.tasks.values()) m.task.punctuate('wall-clock', now);
    // Standbys follow their changelogs between rounds, without waiting for records.
    if (this.tasks.standbys.size > 0) await this.tasks.standbys.poll(this.config.maxPollRecords);
    if (now - this.lastCommit >= this.config.commitIntervalMs || this.outputs.unacknowledged >= 50_000) await this.commit();
    else this.outputs.pump();
  }

  /** Hands polled records to their tasks' queues, one run of a partition at a time. */
  private buffer(records: readonly ConsumerRecord[]): void {
    let i = 0;
    while (i < records.length) {
      const first = records[i] as ConsumerRecord;
      let j = i + 1;
      while (j < records.length && (records[j] as ConsumerRecord).topic === first.topic && (records[j] as ConsumerRecord).partition === first.partition) j++;
      let run = records.slice(i, j);
      i = j;
      const m = this.tasks.taskFor(first.topic, first.partition);
      if (m === undefined) continue;
      const key = `${first.topic}\u0000${first.partition}`;
      const limit = this.stopAt?.get(key);
      if (limit !== undefined) {
        const keep = run.findIndex((r) => r.offset >= limit);
        if (keep !== -1) {
          run = run.slice(0, keep);
          this.consumer.pause([{ topic: first.topic, partition: first.partition }]);
          this.stopped.add(key);
        }
      }
      if (run.length > 0) m.task.addRecords(first.topic, first.partition, run);
    }
  }

  /** Bounded buffering: pause partitions whose queue is full, resume those drained to half. */
  private pauseFullPartitions(): void {
    const bound = this.config.maxPollRecords;
    for (const m of this.tasks.tasks.values()) {
      for (const q of m.task.partitions.queues) {
        const key = `${q.topic}\u0000${q.partition}`;
        const tp = { topic: q.topic, partition: q.partition };
        if (q.size >= bound && !this.bufferPaused.has(key)) {
          this.consumer.pause([tp]);
          this.bufferPaused.set(key, tp);
        } else if (q.size <= bound / 2 && this.bufferPaused.has(key)) {
          this.bufferPaused.delete(key);
          if (!this.stopped.has(key)) this.consumer.resume([tp]);
        }
      }
    }
  }

  /** The consumer forgets pauses when partitions move; so does the loop. */
  private forgetPauses(): void {
    this.bufferPaused.clear();
    this.stopped.clear();
  }

  /**
   * Runs {@link migrate} until it succeeds. While the broker is down the
   * recovery itself fails, retriably: back off and try again, until the failures
   * have lasted `taskTimeoutMs`.
   */
  private async recover(first: unknown, failingSince: number): Promise<void> {
    let e = first;
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.migrate(e);
        return;
      } catch (next) {
        if (!StreamThread.isMigration(next) && !StreamThread.isRetriable(next)) throw next;
        if (Date.now() - failingSince >= this.config.taskTimeoutMs) throw next;
        e = next;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
      }
    }
  }

  /**
   * Another instance owns our partitions now (our producer was fenced, or the
   * group moved on without us), or a call failed retriably (the broker went
   * away mid-commit, so what reached it is unknown): drop the tasks and the work
   * since the last commit, replace a fenced or failed producer, and let the
   * consumer rejoin on its next poll.
   */
  private async migrate(e: unknown): Promise<void> {
    const fenced = e instanceof TransportError && e.code === 'RIVULET_TRANSPORT_FENCED';
    const failed = !StreamThread.isMigration(e);
    this.config.logger.warn(failed ? 'transport failed; dropping uncommitted work and resuming from the last commit' : 'tasks migrated to another instance; dropping uncommitted work and rejoining', {
      error: e instanceof Error ? e.message : String(e),
    });
    this.events.rebalancing();
    await this.abandon();
    // A producer whose send or commit failed may hold a transaction or sequence
    // numbers the broker never saw; a new one (same transactionalId) aborts
    // whatever the broker has of the old transaction.
    if (fenced || failed) {
      await this.producer.close().catch(() => undefined);
      this.producer = await this.newProducer();
    }
    // Still a member of the current generation (only the producer was fenced, e.g. by the
    // transaction timeout): take the partitions up again from their committed offsets, with
    // restored state. Otherwise the next poll's rebalance hands out new ones.
    const assigned = this.consumer.generation() === undefined ? [] : this.consumer.assignment();
    // The dropped tasks' buffered records are read again from the committed offsets.
    // Partitions paused at their run's end are resumed too: they pause again once they reach it.
    const paused = [...this.bufferPaused.keys(), ...this.stopped];
    const resume = assigned.filter((tp) => paused.includes(`${tp.topic}\u0000${tp.partition}`));
    this.forgetPauses();
    if (resume.length > 0) this.consumer.resume(resume);
    if (assigned.length === 0) return;
    for (const tp of assigned) {
      const fetched = (await this.transport.committedOffsets(this.groupId, tp.topic)).find((c) => c.partition === tp.partition)?.offset;
      const ours = this.lastCommitted.get(`${tp.topic}\u0000${tp.partition}`);
      const committed = fetched === null || fetched === undefined ? ours : Math.max(fetched, ours ?? fetched);
      const start = committed ?? (await this.transport.listOffsets(tp.topic)).find((o) => o.partition === tp.partition)?.earliest ?? 0;
      this.consumer.seek(tp, start);
    }
    await this.tasks.assign(assigned, this.tasks.standbys.names());
    this.events.running();
  }

  stop(): void {
    this.stopping = true;
  }

  /**
   * Flushes processors and stores, sends everything, and commits offsets. Under
   * exactly-once the outputs, changelog records and offsets form one transaction.
   */
  /** Commits made and their durations, for `KafkaStreams.metrics()`. */
  readonly commitStats = { count: 0, totalMs: 0, maxMs: 0, lastMs: 0, changelogRecords: 0, changelogBytes: 0 };

  async commit(): Promise<void> {
    const started = performance.now();
    try {
      await this.commitOnce();
      // Standbys checkpoint on the commit interval too, also when no active task had work.
      await this.tasks.standbys.checkpoint();
    } finally {
      const ms = performance.now() - started;
      this.commitStats.count++;
      this.commitStats.totalMs += ms;
      this.commitStats.maxMs = Math.max(this.commitStats.maxMs, ms);
      this.commitStats.lastMs = ms;
    }
  }

  /** Where a partition of this instance is read up to (for lag). */
  positions(): { topic: string; partition: number; position: number | undefined }[] {
    return this.consumer.assignment().map((tp) => ({ topic: tp.topic, partition: tp.partition, position: this.consumer.position(tp) }));
  }

  private async commitOnce(): Promise<void> {
    this.lastCommit = Date.now();
    const eos = this.config.processingGuarantee === 'exactly_once';
    const storeWrites: { persist: () => Promise<void> }[] = [];
    const changelogs: ProducerRecord[] = [];
    const changelogIndex: { task: string; store: string; index: number }[] = [];
    // Records still in asynchronous operators would be committed without their outputs.
    for (const m of this.tasks.tasks.values()) if (m.task.hasAsyncWork) await m.task.settle();
    for (const m of this.tasks.tasks.values()) {
      m.task.endBatch();
      m.task.flush();
      // Batch sinks (foreachBatch) start writing at flush; the commit covers their result.
      if (m.task.hasAsyncWork) await m.task.settle();
      for (const [storeName, state] of m.task.stores) {
        const def = this.topology.store(storeName);
        const changes = state.drainChanges();
        if (changes.length === 0 || def === undefined) continue;
        if (def.changelog) {
          const topic = changelogTopic(this.config.applicationId, storeName);
          for (const c of changes) {
            changelogs.push({ topic, partition: m.task.id.partition, key: c.key, value: c.value });
            this.commitStats.changelogBytes += c.key.length + (c.value?.length ?? 0);
          }
          this.commitStats.changelogRecords += changes.length;
          changelogIndex.push({ task: m.task.name, store: storeName, index: changelogs.length - 1 });
        }
        const p = m.persistence.get(storeName);
        if (p !== undefined) storeWrites.push({ persist: () => p.write(changes) });
      }
    }
    const offsets: TopicPartitionOffset[] = [];
    for (const m of this.tasks.tasks.values()) offsets.push(...m.task.takeConsumedOffsets());
    if (this.outputs.unacknowledged === 0 && changelogs.length === 0 && offsets.length === 0) {
      // Nothing new, but a failed send of records already processed must still fail the commit.
      await this.outputs.flush();
      return;
    }
    // Outputs go out before the changelog records of the state they came from: a send
    // can be cut short between requests (a crash), and at-least-once may then repeat
    // outputs but must never have state that already counts records whose outputs are lost.
    // Most outputs are on their way already; this waits for the rest and for their acks.
    await this.outputs.flush();
    const meta = changelogs.length > 0 ? await this.sendInTransaction(changelogs) : [];
    for (const c of changelogIndex) {
      const md = meta[c.index];
      if (md !== undefined) this.tasks.tasks.get(c.task)?.changelogOffsets.set(c.store, md.offset + 1);
    }
    if (eos) {
      const generation = this.consumer.generation();
      if (offsets.length > 0) {
        // Without a generation the broker could not reject offsets of a member the group dropped.
        if (generation === undefined) throw new TransportError('RIVULET_TRANSPORT_COMMIT_FAILED', `StreamThread.commit: not a member of group '${this.groupId}' any more; its partitions may belong to another instance`);
        await this.beginTransactionIfNone();
        await this.producer.sendOffsets(this.groupId, offsets, generation);
      }
      if (this.inTransaction) {
        await this.producer.commitTransaction();
        this.inTransaction = false;
      }
    } else if (offsets.length > 0) {
      await this.consumer.commit(offsets);
    }
    for (const o of offsets) this.lastCommitted.set(`${o.topic}\u0000${o.partition}`, o.offset);
    for (const m of this.tasks.tasks.values()) m.task.committed();
    for (const w of storeWrites) await w.persist();
    // Under both guarantees: what LevelDB holds now is committed, so a task that moves or
    // an instance that dies restores only the changelog tail after this point.
    for (const m of this.tasks.tasks.values()) await this.tasks.writeCheckpoint(m);
  }

  /** Under exactly-once every send belongs to the open transaction; the first send opens it. */
  private async sendInTransaction(records: ProducerRecord[]) {
    await this.beginTransactionIfNone();
    return this.producer.send(records);
  }

  private async beginTransactionIfNone(): Promise<void> {
    if (this.config.processingGuarantee !== 'exactly_once' || this.inTransaction) return;
    await this.producer.beginTransaction();
    this.inTransaction = true;
  }

  /** Drops all tasks without committing: their partitions are gone (fenced or lost). */
  async abandon(): Promise<void> {
    // Waits for a send in flight: it must not land in the transaction after the abort.
    await this.outputs.reset();
    if (this.inTransaction) {
      await this.producer.abortTransaction().catch(() => undefined);
      this.inTransaction = false;
    }
    await this.tasks.closeAll(false);
  }

  /** Whether an error is a transient broker failure (unreachable, leader moving, timeout) worth retrying. */
  static isRetriable(e: unknown): boolean {
    return e instanceof TransportError && e.retriable;
  }

  /** Whether an error means another instance now owns our work (we must rejoin, not crash). */
  static isMigration(e: unknown): boolean {
    return e instanceof TransportError && (e.code === 'RIVULET_TRANSPORT_FENCED' || e.code === 'RIVULET_TRANSPORT_COMMIT_FAILED');
  }
}
