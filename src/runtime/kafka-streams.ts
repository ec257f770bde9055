import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { RivuletError, StateError, TopologyError } from '../errors.js';
import { addMetrics, newTaskMetrics, type TaskMetrics } from '../metrics/task-metrics.js';
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore, KeyValueEntry, WindowEntry, ReadOnlySessionStore, SessionEntry } from '../state/store-api.js';
import { changelogTopic } from '../topology/store-definition.js';
import type { Topology } from '../topology/topology.js';
import { EmbeddedBroker } from '../transport/embedded/embedded-broker.js';
import { connectionSettings } from '../transport/kafka-connection.js';
import type { NewTopic, Transport } from '../transport/transport.js';
import { deadLetterTopic } from './error-handling.js';
import { GlobalStateManager } from './global-state.js';
import { formatRestoreProgress, progressOf, type Progress } from './progress.js';
import { claimStateDirectory } from './state-directory.js';
import { StreamThread } from './stream-thread.js';
import { resolveConfig, type ResolvedConfig, type StreamsConfig } from './streams-config.js';
import type { RestoreProgress } from './task-manager.js';

/** Kafka Streams' lifecycle states. */
export type KafkaStreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

const TRANSITIONS: Readonly<Record<KafkaStreamsState, readonly KafkaStreamsState[]>> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN'],
};

/** Options beyond {@link StreamsConfig}: where the broker is. */
export interface KafkaStreamsOptions extends StreamsConfig {
  /** A transport to use instead of creating one (tests, custom clients). */
  readonly transport?: Transport;
  /** The embedded broker to join when no brokers are configured; default: the process-wide one. */
  readonly embeddedBroker?: EmbeddedBroker;
}

let processBroker: EmbeddedBroker | undefined;

/** The process-wide embedded broker every instance without `brokers` shares. */
export function defaultEmbeddedBroker(): EmbeddedBroker {
  processBroker ??= new EmbeddedBroker();
  return processBroker;
}

type Listener = (next: KafkaStreamsState, previous: KafkaStreamsState) => void;

/**
 * Runs a topology (Kafka Streams' `KafkaStreams`). Instances sharing an
 * `applicationId` form one consumer group and split the input partitions;
 * a task that moves rebuilds its stores from the changelog before processing.
 *
 * @example
 * const app = new KafkaStreams(builder.build(), { applicationId: 'iot' });
 * app.onStateChange((s) => console.log('state', s));
 * await app.start();
 * // ...
 * await app.close();
 */
/** Instance-wide metrics: the tasks' counters summed, plus what only the instance knows. */
export interface InstanceMetrics extends TaskMetrics {
  readonly tasks: number;
  readonly uptimeMs: number;
  /** Records processed per second since start. */
  readonly processRate: number;
  readonly commits: number;
  readonly commitLatencyAvgMs: number;
  readonly commitLatencyMaxMs: number;
  /** The latest progress of each store restore (task, store, records done and total, rate). */
  readonly restores: readonly RestoreProgress[];
}

/** Consumer lag of one partition. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly end: number;
  readonly position: number;
  readonly lag: number;
}

export class KafkaStreams {
  readonly config: ResolvedConfig;
  /** Unique per instance; names its consumer and transactional producer. */
  readonly instanceId = randomUUID();
  private current: KafkaStreamsState = 'CREATED';
  private readonly listeners = new Set<Listener>();
  private readonly restoreListeners = new Set<(p: RestoreProgress) => void>();
  private transport: Transport | undefined;
  private thread: StreamThread | undefined;
  private loop: Promise<void> | undefined;
  private global: GlobalStateManager | undefined;
  private startedAt: number | undefined;
  private readonly restores = new Map<string, RestoreProgress>();
  private failure: unknown;

  constructor(
    private readonly topology: Topology,
    private readonly options: KafkaStreamsOptions,
  ) {
    this.config = resolveConfig(options);
    for (const w of topology.warnings) this.config.logger.warn(w);
  }

  state(): KafkaStreamsState {
    return this.current;
  }

  /** Calls `listener(next, previous)` on every state change; returns an unsubscribe function. */
  onStateChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Restore progress of moved or restarted tasks (records done, total, rate). */
  onRestore(listener: (p: RestoreProgress) => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  private setState(next: KafkaStreamsState): void {
    const prev = this.current;
    if (prev === next && next !== 'REBALANCING') return;
    if (!TRANSITIONS[prev].includes(next)) return;
    this.current = next;
    for (const l of this.listeners) l(next, prev);
  }

  /** Resolves once the instance is in `state`, or rejects after `timeoutMs` (or when it fails). */
  async waitForState(state: KafkaStreamsState, timeoutMs = 30_000): Promise<void> {
    if (this.current === state) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RivuletError('RIVULET_TIMEOUT', `KafkaStreams.waitForState: still ${this.current} after ${timeoutMs} ms (waiting for ${state})`));
      }, timeoutMs);
      const off = this.onStateChange((next) => {
        if (next === state || next === 'ERROR' || next === 'NOT_RUNNING') {
          clearTimeout(timer);
          off();
          if (next === state) resolve();
          else reject(new RivuletError('RIVULET_STOPPED', `KafkaStreams.waitForState: instance went to ${next} while waiting for ${state}`, { cause: this.failure }));
        }
      });
    });
  }

  /** Connects, creates internal topics and starts processing in the background. */
  async start(): Promise<void> {
    if (this.current !== 'CREATED') {
      throw new StateError('RIVULET_STATE_ILLEGAL', `KafkaStreams.start: can only start once, from CREATED (now ${this.current}); create a new instance to restart`);
    }
    this.topology.seal();
    this.setState('REBALANCING');
    const transport = await this.connect().catch((e: unknown) => this.failedToConnect(e));
    const partitionCounts = await this.prepareTopics(transport);
    await claimStateDirectory(join(this.config.stateDir, this.config.applicationId), await transport.clusterId(), this.config.logger);
    const eos = this.config.processingGuarantee === 'exactly_once';
    const clientId = `${this.config.applicationId}-${this.instanceId}`;
    const consumer = await transport.consumer({
      groupId: this.config.applicationId,
      clientId,
      isolation: eos ? 'read_committed' : 'read_uncommitted',
      ...(this.config.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.config.sessionTimeoutMs }),
    });
    const newProducer = () => transport.producer(eos ? { transactionalId: clientId, clientId, transactionTimeoutMs: this.config.transactionTimeoutMs } : { idempotent: true, clientId });
    const producer = await newProducer();
    this.startedAt = Date.now();
    const restoring = (p: RestoreProgress) => {
      this.restores.set(`${p.task}/${p.store}`, p);
      this.config.logger.info(formatRestoreProgress(p), { ...p });
      for (const l of this.restoreListeners) l(p);
    };
    const global = new GlobalStateManager(this.topology, this.config);
    this.global = global;
    const thread = new StreamThread(
      this.topology,
      this.config,
      transport,
      consumer,
      producer,
      { rebalancing: () => this.setState('REBALANCING'), running: () => this.setState('RUNNING'), restoring },
      partitionCounts,
      newProducer,
      (name) => global.stores.get(name),
    );
    this.thread = thread;
    this.loop = (async () => {
      // Global tables are complete before any task processes a record (Kafka Streams' GlobalStreamThread).
      await global.bootstrap(transport, thread.env.collector, restoring);
      await Promise.all([thread.run(), this.followGlobalTopics(global)]);
    })().catch((e: unknown) => {
      thread.stop();
      this.failure = e;
      this.config.logger.error('stream thread failed', { error: e instanceof Error ? e.message : String(e) });
      this.setState('ERROR');
    });
  }

  /**
   * A start that cannot reach the brokers (refused credentials, an untrusted
   * certificate, no broker) ends in ERROR as a failed stream thread does, so
   * state listeners learn it too, not only the caller of start().
   */
  private failedToConnect(e: unknown): never {
    this.failure = e;
    this.config.logger.error('could not connect to the brokers', { error: e instanceof Error ? e.message : String(e) });
    this.setState('ERROR');
    throw e;
  }

  private connecting: Promise<Transport> | undefined;

  /** The transport, connected once (runUntilCaughtUp reads end offsets before start). */
  private connect(): Promise<Transport> {
    this.connecting ??= (async () => {
      const transport = this.options.transport ?? (await this.makeTransport());
      this.transport = transport;
      await transport.connect();
      return transport;
    })();
    return this.connecting;
  }

  /**
   * Processes every record that is in the source topics when it is called,
   * commits, and closes (Spark's `availableNow` trigger): for backfills and batch
   * jobs. Records that arrive meanwhile are left for the next run; repartition
   * topics are drained too. With several instances each processes its share and
   * all of them return once the group has committed everything.
   */
  async runUntilCaughtUp(options: { readonly timeoutMs?: number; /** Source records processed so far of those present at the call, about once a second and at the end. */ readonly onProgress?: (p: Progress) => void } = {}): Promise<void> {
    if (this.current !== 'CREATED') {
      throw new StateError('RIVULET_STATE_ILLEGAL', `KafkaStreams.runUntilCaughtUp: can only run from CREATED (now ${this.current}); create a new instance`);
    }
    const timeoutMs = options.timeoutMs ?? 3_600_000;
    const transport = await this.connect();
    const isolation = this.config.processingGuarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted';
    const appId = this.config.applicationId;
    const tp = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    /** The group's committed offsets of these topics, one request per topic. */
    const committedOf = async (topics: Iterable<string>): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const topic of topics) for (const c of await transport.committedOffsets(appId, topic)) out.set(tp(topic, c.partition), c.offset ?? 0);
      return out;
    };
    const sources = new Set<string>();
    for (const n of this.topology.nodes()) if (n.kind === 'source' && !n.internal) for (const t of n.topics) if ((await transport.partitionCount(t)) !== undefined) sources.add(t);
    const ends = new Map<string, number>();
    // An empty partition (or one whose records all expired) has nothing to wait for.
    for (const topic of sources) for (const o of await transport.listOffsets(topic, { isolation })) if (o.latest > o.earliest) ends.set(tp(topic, o.partition), o.latest);
    // What the group had committed at the call: the run's work is from there to the ends.
    const startCommitted = await committedOf(sources);
    let total = 0;
    for (const [key, end] of ends) total += Math.max(0, end - (startCommitted.get(key) ?? 0));
    const runStarted = Date.now();
    let lastReport = 0;
    const report = (committed: Map<string, number>, force: boolean): void => {
      if (options.onProgress === undefined || (!force && Date.now() - lastReport < 1_000)) return;
      lastReport = Date.now();
      let done = 0;
      for (const [key, end] of ends) done += Math.max(0, Math.min(end, committed.get(key) ?? 0) - (startCommitted.get(key) ?? 0));
      options.onProgress(progressOf(done, total, runStarted, Date.now()));
    };
    await this.start();
    (this.thread as StreamThread).stopAt = ends;
    const internal = new Set<string>();
    for (const n of this.topology.nodes()) if (n.kind === 'source' && n.internal) for (const t of n.topics) internal.add(`${appId}-${t}`);
    /** Caught up: sources committed to their ends at the call, repartition topics to their ends now. */
    const caughtUp = async (committed: Map<string, number>): Promise<boolean> => {
      for (const [key, end] of ends) if ((committed.get(key) ?? 0) < end) return false;
      const drained = await committedOf(internal);
      for (const topic of internal) {
        for (const o of await transport.listOffsets(topic, { isolation })) if ((drained.get(tp(topic, o.partition)) ?? 0) < o.latest) return false;
      }
      return true;
    };
    const deadline = Date.now() + timeoutMs;
    try {
      for (let committed = await committedOf(sources); !(await caughtUp(committed)); committed = await committedOf(sources)) {
        report(committed, false);
        if (this.state() === 'ERROR') throw new RivuletError('RIVULET_STOPPED', 'KafkaStreams.runUntilCaughtUp: the instance failed before catching up', { cause: this.failure });
        if (Date.now() > deadline) throw new RivuletError('RIVULET_TIMEOUT', `KafkaStreams.runUntilCaughtUp: not caught up after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
      report(await committedOf(sources), true);
    } finally {
      await this.close();
    }
  }

  /** Keeps global stores up to date while the instance runs. */
  private async followGlobalTopics(global: GlobalStateManager): Promise<void> {
    if (global.empty) return;
    while (this.current !== 'PENDING_SHUTDOWN' && this.current !== 'NOT_RUNNING' && this.current !== 'ERROR') {
      await global.update(100);
    }
  }

  private async makeTransport(): Promise<Transport> {
    if (this.config.brokers !== undefined && this.config.brokers.length > 0) {
      // Loaded on demand so embedded-only services never load kafkajs.
      const { createKafkaTransport } = await import('../transport/kafkajs/kafkajs-transport.js');
      return createKafkaTransport({ brokers: this.config.brokers, clientId: `${this.config.applicationId}-${this.instanceId.slice(0, 8)}`, ...connectionSettings(this.config.kafka) });
    }
    return (this.options.embeddedBroker ?? defaultEmbeddedBroker()).transport({ clientId: `${this.config.applicationId}-${this.instanceId}` });
  }

  /** Checks source topics and creates repartition, changelog and dead-letter topics. */
  private async prepareTopics(t: Transport): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const missing: string[] = [];
    let maxPartitions = 0;
    for (const n of this.topology.nodes()) {
      if (n.kind !== 'source' || n.internal) continue;
      for (const topic of n.topics) {
        const c = await t.partitionCount(topic);
        if (c === undefined) missing.push(topic);
        else {
          counts.set(topic, c);
          maxPartitions = Math.max(maxPartitions, c);
        }
      }
    }
    for (const g of this.topology.globalStores()) if ((await t.partitionCount(g.topic)) === undefined) missing.push(g.topic);
    if (missing.length > 0) {
      throw new TopologyError('RIVULET_TOPOLOGY_MISSING_SOURCE_TOPIC', `KafkaStreams.start: source topics ${missing.map((m) => `"${m}"`).join(', ')} do not exist; create them before starting the application`);
    }
    const partitions = maxPartitions > 0 ? maxPartitions : this.config.defaultPartitions;
    const appId = this.config.applicationId;
    const topics: NewTopic[] = [];
    // Repartition topics take the inputs' largest count unless their sink fixes one (repartition({ numberOfPartitions })).
    const internalTopics = new Map<string, number>();
    for (const n of this.topology.nodes()) {
      if ((n.kind === 'source' || n.kind === 'sink') && n.internal) {
        const names = n.kind === 'source' ? n.topics : typeof n.topic === 'string' ? [n.topic] : [];
        const fixed = n.kind === 'sink' ? n.partitions : undefined;
        for (const name of names) if (fixed !== undefined || !internalTopics.has(`${appId}-${name}`)) internalTopics.set(`${appId}-${name}`, fixed ?? partitions);
      } else if (n.kind === 'sink' && typeof n.topic === 'string' && (await t.partitionCount(n.topic)) === undefined) {
        // Output topics are created like a broker with auto-create would, sized like the input.
        topics.push({ topic: n.topic, partitions });
      }
    }
    // Sinks sized like another node's inputs (foreign-key joins) follow those topics' counts.
    for (const n of this.topology.nodes()) {
      if (n.kind !== 'sink' || !n.internal || n.partitionsFrom === undefined || typeof n.topic !== 'string') continue;
      const like = this.topology.sourceTopicsOf(n.partitionsFrom).map(({ topic, internal }) => (internal ? internalTopics.get(`${appId}-${topic}`) : counts.get(topic)) ?? partitions);
      internalTopics.set(`${appId}-${n.topic}`, Math.max(...like));
    }
    for (const [topic, count] of internalTopics) topics.push({ topic, partitions: count });
    // A store's task may sit behind a resized repartition topic: its changelog needs a partition per task.
    const changelogPartitions = Math.max(partitions, ...internalTopics.values());
    for (const s of this.topology.stores()) {
      if (!s.changelog) continue;
      const config: Record<string, string> = s.type === 'window' || s.type === 'session' ? { 'cleanup.policy': 'compact,delete', 'retention.ms': String((s.retentionMs ?? 86_400_000) + 86_400_000) } : { 'cleanup.policy': 'compact' };
      topics.push({ topic: changelogTopic(appId, s.name), partitions: changelogPartitions, config });
    }
    topics.push({ topic: deadLetterTopic(appId), partitions: 1 });
    if (this.config.lateRecordsTopic !== undefined) topics.push({ topic: this.config.lateRecordsTopic, partitions: 1 });
    await t.createTopics(topics);
    for (const nt of topics) counts.set(nt.topic, (await t.partitionCount(nt.topic)) ?? nt.partitions);
    for (const g of this.topology.copartitionGroups()) {
      const sized = g.topics.map(({ topic, internal }) => {
        const real = internal ? `${appId}-${topic}` : topic;
        return { topic: real, partitions: counts.get(real) };
      });
      if (new Set(sized.map((x) => x.partitions)).size > 1) {
        throw new TopologyError(
          'RIVULET_TOPOLOGY_NOT_COPARTITIONED',
          `${g.api}: joined inputs must have the same number of partitions, but ${sized.map((x) => `"${x.topic}" has ${x.partitions}`).join(' and ')}; repartition one side with repartition({ numberOfPartitions })`,
        );
      }
    }
    return counts;
  }

  /** Stops processing: commits, closes tasks (writing checkpoints), leaves the group. */
  async close(): Promise<void> {
    if (this.current === 'NOT_RUNNING' || this.current === 'PENDING_SHUTDOWN') return;
    this.setState('PENDING_SHUTDOWN');
    const thread = this.thread;
    if (thread !== undefined) {
      thread.stop();
      await this.loop;
      if (this.failure === undefined) {
        try {
          await thread.commit();
          await thread.tasks.closeAll(true);
        } catch (e) {
          this.config.logger.warn('commit on close failed; state will be restored from the changelog', { error: String(e) });
          await thread.abandon();
        }
      } else {
        await thread.abandon();
      }
    }
    await this.global?.close();
    await this.transport?.close();
    this.setState('NOT_RUNNING');
  }

  /** Counters summed over this instance's tasks. */
  metrics(): InstanceMetrics {
    const m = newTaskMetrics();
    const tasks = this.thread?.tasks.tasks ?? new Map();
    for (const t of tasks.values()) addMetrics(m, t.task.metrics);
    if (this.global !== undefined) addMetrics(m, this.global.metrics);
    const c = this.thread?.commitStats ?? { count: 0, totalMs: 0, maxMs: 0 };
    const uptimeMs = this.startedAt === undefined ? 0 : Date.now() - this.startedAt;
    return {
      ...m,
      tasks: tasks.size,
      uptimeMs,
      processRate: uptimeMs === 0 ? 0 : m.processed / (uptimeMs / 1000),
      commits: c.count,
      commitLatencyAvgMs: c.count === 0 ? 0 : c.totalMs / c.count,
      commitLatencyMaxMs: c.maxMs,
      restores: [...this.restores.values()],
    };
  }

  /** Counters per task of this instance (keys are task ids like `0_1`). */
  taskMetrics(): Record<string, TaskMetrics> {
    const out: Record<string, TaskMetrics> = {};
    for (const [name, t] of this.thread?.tasks.tasks ?? new Map()) out[name] = t.task.metrics;
    return out;
  }

  /** Records not yet read on each partition this instance owns: end offset minus position. */
  async lag(): Promise<PartitionLag[]> {
    const thread = this.thread;
    const transport = this.transport;
    if (thread === undefined || transport === undefined) return [];
    const out: PartitionLag[] = [];
    const ends = new Map<string, Map<number, number>>();
    const isolation = this.config.processingGuarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted';
    for (const p of thread.positions()) {
      let e = ends.get(p.topic);
      if (e === undefined) ends.set(p.topic, (e = new Map((await transport.listOffsets(p.topic, { isolation })).map((o) => [o.partition, o.latest]))));
      const end = e.get(p.partition) ?? 0;
      out.push({ topic: p.topic, partition: p.partition, end, position: p.position ?? 0, lag: Math.max(0, end - (p.position ?? 0)) });
    }
    return out;
  }

  /** The error that stopped the instance, if it is in ERROR. */
  error(): unknown {
    return this.failure;
  }

  private localStores(name: string): unknown[] {
    const global = this.global?.stores.get(name);
    if (global !== undefined) return [global];
    const out: unknown[] = [];
    for (const m of this.thread?.tasks.tasks.values() ?? []) {
      const s = m.task.stores.get(name);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /**
   * Interactive queries over this instance's tasks: the named store as a
   * read-only view (key-value or window stores). Keys owned by other instances
   * are not visible here; a global store holds every key on every instance.
   */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> & ReadOnlyWindowStore<K, V> & ReadOnlySessionStore<K, V> {
    const def = this.topology.store(name);
    if (def === undefined) {
      throw new StateError('RIVULET_STATE_UNKNOWN_STORE', `KafkaStreams.store: no store named "${name}" (stores: ${this.topology.stores().map((s) => s.name).join(', ') || 'none'})`);
    }
    const parts = () => this.localStores(name) as (ReadOnlyKeyValueStore<K, V> & ReadOnlyWindowStore<K, V> & ReadOnlySessionStore<K, V>)[];
    const first = <T>(f: (s: ReadOnlyKeyValueStore<K, V> & ReadOnlyWindowStore<K, V> & ReadOnlySessionStore<K, V>) => T | undefined): T | undefined => {
      for (const s of parts()) {
        const v = f(s);
        if (v !== undefined) return v;
      }
      return undefined;
    };
    const all = <T>(f: (s: ReadOnlyKeyValueStore<K, V> & ReadOnlyWindowStore<K, V> & ReadOnlySessionStore<K, V>) => T[]): T[] => parts().flatMap(f);
    return {
      name,
      get: (key) => first((s) => s.get(key)),
      range: (from, to) => all((s) => s.range(from, to)),
      reverseRange: (from, to) => all((s) => s.reverseRange(from, to)),
      all: () => all((s) => s.all() as (KeyValueEntry<K, V> & WindowEntry<K, V> & SessionEntry<K, V>)[]),
      prefixScan: (prefix) => all((s) => s.prefixScan(prefix)),
      approximateNumEntries: () => parts().reduce((n, s) => n + s.approximateNumEntries(), 0),
      fetch: (key, start) => first((s) => s.fetch(key, start)),
      fetchRange: (key, from, to) => all((s) => s.fetchRange(key, from, to)),
      fetchAll: (from, to) => all((s) => s.fetchAll(from, to)),
      findSessions: (key, a, b) => all((s) => s.findSessions(key, a, b)),
      fetchSession: (key, a, b) => first((s) => s.fetchSession(key, a, b)),
    };
  }
}
