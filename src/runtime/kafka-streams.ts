import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, RivuletError, StateError, TopologyError } from '../errors.js';
import type { InstanceMetrics, MetricsSource, PartitionLag } from '../metrics/instance-metrics.js';
import { addMetrics, newTaskMetrics, type TaskMetrics } from '../metrics/task-metrics.js';
import type { ReadOnlyKeyValueStore, ReadOnlyWindowStore, ReadOnlySessionStore } from '../state/store-api.js';
import type { QueryableStoreType } from '../state/queryable-store-types.js';
import { changelogTopic, changelogTopicConfig } from '../topology/store-definition.js';
import type { Topology } from '../topology/topology.js';
import type { EmbeddedBroker } from '../transport/embedded/embedded-broker.js';
import { createTransport, defaultEmbeddedBroker } from '../transport/create-transport.js';
import type { GroupConsumer, NewTopic, Producer, Transport } from '../transport/transport.js';
import { deadLetterTopic } from './error-handling.js';
import { GlobalStateManager } from './global-state.js';
import { formatRestoreProgress, progressOf, type Progress } from './progress.js';
import type { RecordCollector } from './record-collector.js';
import { ShutdownRequests, shutdownRequestsTopic, type ShutdownRequest } from './shutdown-requests.js';
import { claimStateDirectory } from './state-directory.js';
import { storeView } from './store-views.js';
import { StreamThread } from './stream-thread.js';
import { StreamsAssignor, type AssignableSubTopology } from './streams-assignor.js';
import { KeyQueryMetadata, StreamsMetadataState, type StreamsMetadata, type ThreadMetadata } from './streams-metadata.js';
import type { Serde } from '../serde/serde.js';
import { resolveConfig, type ResolvedConfig, type StreamsConfig } from './streams-config.js';
import type { RestoreProgress } from './task-manager.js';
import { isExceptionResponse, StreamThreadExceptionResponse, type StreamsUncaughtExceptionHandler } from './uncaught-exception-handler.js';

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

export { defaultEmbeddedBroker };

type Listener = (next: KafkaStreamsState, previous: KafkaStreamsState) => void;

export type { InstanceMetrics, PartitionLag };

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
export class KafkaStreams implements MetricsSource {
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
  private readonly errorListeners = new Set<(error: Error) => void>();
  private uncaughtHandler: StreamsUncaughtExceptionHandler | undefined;
  /** Set once the instance is closing or failed for good: every background loop ends. */
  private halted = false;
  private releasing: Promise<void> | undefined;
  private shutdownRequests: ShutdownRequests | undefined;
  private threadCount = 0;
  /** The clients of each stream thread, closed when a thread is replaced. */
  private readonly threadClients = new Map<StreamThread, { consumer: GroupConsumer; producers: Producer[]; clientId: string }>();
  /** Where every instance's tasks are, from the latest assignment; for interactive-query routing. */
  private metadata: StreamsMetadataState | undefined;

  constructor(
    private readonly topology: Topology,
    private readonly options: KafkaStreamsOptions,
  ) {
    if (typeof (topology as Partial<Topology> | undefined)?.nodes !== 'function' || typeof (topology as Partial<Topology>).seal !== 'function') {
      throw new ConfigError('RIVULET_CONFIG_MISSING', `new KafkaStreams: the first argument must be a Topology (got ${describeValue(topology)}); pass builder.build() of a StreamsBuilder`);
    }
    if (options === undefined || options === null || typeof options !== 'object') {
      throw new ConfigError('RIVULET_CONFIG_MISSING', `new KafkaStreams: the config is missing (got ${describeValue(options)}); pass at least { applicationId: 'my-app' } as the second argument, and brokers: ['host:9092'] to use Kafka`);
    }
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

  /**
   * Calls `listener(error)` for every error that stops or restarts processing:
   * `start()` failing, a stream thread failing (whatever the uncaught-exception
   * handler answers, so also before a `REPLACE_THREAD`), the global tables
   * failing, and another instance asking the application to shut down
   * (`RIVULET_SHUTDOWN_REQUESTED`). Records handled by `skip` or `dead-letter`
   * are not errors here. Returns an unsubscribe function.
   */
  onError(listener: (error: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Decides what happens when a stream thread fails (Kafka Streams'
   * `setUncaughtExceptionHandler`): replace the thread, shut this instance
   * down (the default), or shut every instance of the application down. Set it
   * before `start()`.
   *
   * @example
   * app.setUncaughtExceptionHandler((e) =>
   *   e instanceof TransportError ? StreamThreadExceptionResponse.REPLACE_THREAD : StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
   */
  setUncaughtExceptionHandler(handler: StreamsUncaughtExceptionHandler): void {
    if (typeof handler !== 'function') {
      throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams.setUncaughtExceptionHandler: handler must be a function (error) => StreamThreadExceptionResponse (got ${describeValue(handler)})`);
    }
    if (this.current !== 'CREATED') {
      throw new StateError('RIVULET_STATE_ILLEGAL', `KafkaStreams.setUncaughtExceptionHandler: can only be set before start() (now ${this.current})`);
    }
    this.uncaughtHandler = handler;
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

  private emitError(error: Error): void {
    for (const l of this.errorListeners) {
      try {
        l(error);
      } catch (e) {
        this.config.logger.warn('an onError listener threw', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  /** Resolves once the instance is in `state`, or rejects after `timeoutMs` (or at once when it failed or stopped). */
  async waitForState(state: KafkaStreamsState, timeoutMs = 30_000): Promise<void> {
    if (this.current === state) return;
    if (!reachable(this.current, state)) {
      throw new RivuletError('RIVULET_STOPPED', `KafkaStreams.waitForState: instance is ${this.current}, it will not reach ${state}${this.failure === undefined ? '' : ` (failed with: ${errorMessage(this.failure)})`}`, { cause: this.failure });
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new RivuletError('RIVULET_TIMEOUT', `KafkaStreams.waitForState: still ${this.current} after ${timeoutMs} ms (waiting for ${state})`));
      }, timeoutMs);
      const off = this.onStateChange((next) => {
        if (next === state || !reachable(next, state)) {
          clearTimeout(timer);
          off();
          if (next === state) resolve();
          else reject(new RivuletError('RIVULET_STOPPED', `KafkaStreams.waitForState: instance went to ${next} while waiting for ${state}${this.failure === undefined ? '' : ` (failed with: ${errorMessage(this.failure)})`}`, { cause: this.failure }));
        }
      });
    });
  }

  /**
   * Connects, creates internal topics and starts processing in the background.
   * Rejects if any of that fails (broker unreachable, source topics missing,
   * state directory taken); the instance is then in `ERROR`.
   */
  async start(): Promise<void> {
    if (this.current !== 'CREATED') {
      throw new StateError('RIVULET_STATE_ILLEGAL', `KafkaStreams.start: can only start once, from CREATED (now ${this.current}); create a new instance to restart`);
    }
    this.topology.seal();
    this.setState('REBALANCING');
    try {
      await this.launch();
    } catch (e) {
      const error = asError(e);
      this.failure = error;
      this.halted = true;
      this.config.logger.error('start failed', { error: error.message });
      this.emitError(error);
      await this.release(false).catch(() => undefined);
      this.setState('ERROR');
      throw error;
    }
  }

  private async launch(): Promise<void> {
    const transport = await this.connect();
    const partitionCounts = await this.prepareTopics(transport);
    await claimStateDirectory(join(this.config.stateDir, this.config.applicationId), await transport.clusterId(), this.config.logger);
    const requests = await ShutdownRequests.follow(transport, this.config.applicationId, `${this.config.applicationId}-${this.instanceId}`);
    this.shutdownRequests = requests;
    this.startedAt = Date.now();
    const restoring = (p: RestoreProgress) => {
      this.restores.set(`${p.task}/${p.store}`, p);
      this.config.logger.info(formatRestoreProgress(p), { ...p });
      for (const l of this.restoreListeners) l(p);
    };
    const global = new GlobalStateManager(this.topology, this.config);
    this.global = global;
    this.metadata = new StreamsMetadataState(
      this.subTopologies().map((s) => ({ id: s.id, topics: s.topics, stores: s.stores })),
      (topic) => partitionCounts.get(topic),
    );
    const createThread = () => this.createThread(transport, partitionCounts, global, restoring);
    const thread = await createThread();
    this.thread = thread;
    // Global records that fail go out through whichever thread is current (threads may be replaced).
    const collector: RecordCollector = {
      send: (r) => (this.thread ?? thread).env.collector.send(r),
      partitionsFor: (topic) => (this.thread ?? thread).env.collector.partitionsFor(topic),
    };
    this.loop = (async () => {
      try {
        // Global tables are complete before any task processes a record (Kafka Streams' GlobalStreamThread).
        await global.bootstrap(transport, collector, restoring);
        await Promise.all([
          this.runThreads(thread, createThread),
          this.followGlobalTopics(global).catch((e: unknown) => this.threadFailed(e, 'global')),
          this.followShutdownRequests(requests),
        ]);
      } catch (e) {
        await this.threadFailed(e, 'global');
      }
      if (this.failure !== undefined && this.current !== 'PENDING_SHUTDOWN' && this.current !== 'NOT_RUNNING') {
        // Shut down like close() would, so the group moves our partitions on at once.
        await this.release(false).catch((e: unknown) => this.config.logger.warn('releasing after a failure failed', { error: errorMessage(e) }));
        this.setState('ERROR');
      }
    })();
  }

  /** A stream thread with its own consumer (one group member) and producer. */
  private async createThread(transport: Transport, partitionCounts: Map<string, number>, global: GlobalStateManager, restoring: (p: RestoreProgress) => void): Promise<StreamThread> {
    const n = ++this.threadCount;
    const eos = this.config.processingGuarantee === 'exactly_once';
    const clientId = `${this.config.applicationId}-${this.instanceId}${n === 1 ? '' : `-${n}`}`;
    // The assignor needs the thread (its local task offsets), which needs the consumer: filled in below.
    const consumerAssignor: { current: StreamsAssignor | undefined } = { current: undefined };
    const consumer = await transport.consumer({
      groupId: this.config.applicationId,
      clientId,
      assignor: {
        subscriptionUserData: () => consumerAssignor.current?.subscriptionUserData() ?? new Uint8Array(0),
        assign: (members, partitionCount) => (consumerAssignor.current as StreamsAssignor).assign(members, partitionCount),
      },
      isolation: eos ? 'read_committed' : 'read_uncommitted',
      ...(this.config.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: this.config.sessionTimeoutMs }),
    });
    const producers: Producer[] = [];
    const newProducer = async () => {
      const p = await transport.producer(eos ? { transactionalId: clientId, clientId, transactionTimeoutMs: this.config.transactionTimeoutMs, awaitVisibleCommit: false } : { idempotent: true, clientId });
      producers.push(p);
      return p;
    };
    const producer = await newProducer();
    let created: StreamThread | undefined;
    const subTopologies = this.subTopologies();
    consumerAssignor.current = new StreamsAssignor({
      subTopologies: () => subTopologies,
      numStandbyReplicas: this.config.numStandbyReplicas,
      subscription: () => ({
        version: 1,
        instanceId: this.instanceId,
        ...(this.config.applicationServer === undefined ? {} : { host: this.config.applicationServer }),
        // Only placement with standbys reads them. Kafka rebalances when a member rejoins a stable
        // group with other metadata than before, so without standbys the userData stays constant.
        offsets: this.config.numStandbyReplicas > 0 ? Object.fromEntries(created?.tasks.localOffsets ?? []) : {},
      }),
    });
    const thread = new StreamThread(
      this.topology,
      this.config,
      transport,
      consumer,
      producer,
      {
        rebalancing: () => this.setState('REBALANCING'),
        running: () => this.setState('RUNNING'),
        restoring,
        assigned: (info) => this.metadata?.update(info),
      },
      partitionCounts,
      newProducer,
      (name) => global.stores.get(name),
    );
    created = thread;
    await thread.tasks.loadLocalOffsets();
    this.threadClients.set(thread, { consumer, producers, clientId });
    return thread;
  }

  /** The topology's sub-topologies with their source topics as named on the broker. */
  private subTopologies(): (AssignableSubTopology & { readonly stores: readonly string[] })[] {
    const appId = this.config.applicationId;
    return this.topology.subTopologies().map((sub) => ({
      id: sub.id,
      topics: [...new Set(sub.nodes.flatMap((n) => (n.kind === 'source' ? n.topics.map((t) => (n.internal ? `${appId}-${t}` : t)) : [])))],
      stores: sub.stores,
      stateful: sub.stores.some((name) => this.topology.store(name)?.changelog === true),
    }));
  }

  /** Runs the stream thread; when it fails, asks the handler and replaces it or shuts down. */
  private async runThreads(first: StreamThread, createThread: () => Promise<StreamThread>): Promise<void> {
    let thread = first;
    for (;;) {
      try {
        await thread.run();
        return;
      } catch (e) {
        thread.stop();
        if ((await this.threadFailed(e, 'stream')) !== 'REPLACE_THREAD') return;
        this.setState('REBALANCING');
        await this.retire(thread);
        if (this.halted) return;
        try {
          const replacement = await createThread();
          // runUntilCaughtUp's bounds hold for the replacement too.
          replacement.stopAt = thread.stopAt;
          thread = replacement;
        } catch (next) {
          await this.threadFailed(next, 'global');
          return;
        }
        this.thread = thread;
      }
    }
  }

  /**
   * A thread failed: asks the uncaught-exception handler (a global-table
   * failure cannot be replaced, as in Kafka Streams) and, unless it answers
   * `REPLACE_THREAD`, halts the instance (and with `SHUTDOWN_APPLICATION` asks
   * every other instance to halt too).
   */
  private async threadFailed(e: unknown, source: 'stream' | 'global'): Promise<StreamThreadExceptionResponse> {
    const error = asError(e);
    if (this.halted) {
      // Closing or already failed: the first failure stands; a failure during close() makes it drop uncommitted work.
      this.failure ??= error;
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    let response = this.respond(error);
    if (source === 'global' && response === StreamThreadExceptionResponse.REPLACE_THREAD) {
      this.config.logger.warn('the global tables failed; REPLACE_THREAD only replaces stream threads, shutting the instance down', { error: error.message });
      response = StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
    this.config.logger.error(`${source === 'stream' ? 'stream thread' : 'global tables'} failed; uncaught-exception handler: ${response}`, { error: error.message, ...(error instanceof RivuletError ? { code: error.code } : {}) });
    if (response === StreamThreadExceptionResponse.REPLACE_THREAD) {
      this.emitError(error);
      return response;
    }
    if (response === StreamThreadExceptionResponse.SHUTDOWN_APPLICATION) {
      const request = { instanceId: this.instanceId, code: error instanceof RivuletError ? error.code : error.name, reason: error.message.slice(0, 1000), time: Date.now() };
      await this.shutdownRequests?.request(request, `${this.config.applicationId}-${this.instanceId}`).catch((w: unknown) =>
        this.config.logger.error('could not ask the other instances to shut down; only this one stops', { error: errorMessage(w) }),
      );
    }
    this.halt(error);
    return response;
  }

  private respond(error: Error): StreamThreadExceptionResponse {
    const handler = this.uncaughtHandler;
    if (handler === undefined) return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    try {
      const r: unknown = handler(error);
      if (isExceptionResponse(r)) return r;
      this.config.logger.error(`the uncaught-exception handler returned ${describeValue(r)}, not REPLACE_THREAD, SHUTDOWN_CLIENT or SHUTDOWN_APPLICATION; shutting the instance down`);
    } catch (e) {
      this.config.logger.error('the uncaught-exception handler threw; shutting the instance down', { error: errorMessage(e) });
    }
    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
  }

  /** Stops every loop for good with `error`; the loop's end releases the clients and enters ERROR. */
  private halt(error: Error): void {
    if (this.halted) return;
    this.halted = true;
    this.failure = error;
    this.thread?.stop();
    this.emitError(error);
  }

  /** Drops a failed thread's uncommitted work and closes its clients (leaving the group, so its partitions move). */
  private async retire(thread: StreamThread): Promise<void> {
    await thread.abandon().catch((e: unknown) => this.config.logger.warn('dropping the failed thread\'s tasks failed', { error: errorMessage(e) }));
    // The replacement opens the same task directories.
    await thread.tasks.standbys.closeAll();
    const clients = this.threadClients.get(thread);
    this.threadClients.delete(thread);
    if (clients === undefined) return;
    await clients.consumer.close().catch(() => undefined);
    for (const p of clients.producers) await p.close().catch(() => undefined);
  }

  /** Halts this instance when another one asks the application to shut down. */
  private async followShutdownRequests(requests: ShutdownRequests): Promise<void> {
    let failures = 0;
    while (!this.halted) {
      let request: ShutdownRequest | undefined;
      try {
        request = await requests.next(200);
        failures = 0;
      } catch (e) {
        if (this.halted) return;
        // The stream thread sees the same broker and decides about broker failures; here, wait and retry.
        if (failures++ === 0) this.config.logger.warn('reading shutdown requests failed; retrying', { error: errorMessage(e) });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** Math.min(failures, 5))));
        continue;
      }
      if (request === undefined || request.instanceId === this.instanceId) continue;
      this.config.logger.error('another instance asked the application to shut down', { ...request });
      this.halt(
        new RivuletError(
          'RIVULET_SHUTDOWN_REQUESTED',
          `KafkaStreams: instance ${request.instanceId} of application '${this.config.applicationId}' asked every instance to shut down (its uncaught-exception handler answered SHUTDOWN_APPLICATION after ${request.code}: ${request.reason}); fix the cause, then start the instances again`,
        ),
      );
      return;
    }
  }

  private connecting: Promise<Transport> | undefined;

  /** The transport, connected once (runUntilCaughtUp reads end offsets before start). */
  private connect(): Promise<Transport> {
    this.connecting ??= (async () => {
      const transport = this.options.transport ?? (await createTransport(this.config, { instanceId: this.instanceId, ...(this.options.embeddedBroker === undefined ? {} : { embeddedBroker: this.options.embeddedBroker }) }));
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
    while (!this.halted) {
      await global.update(100);
    }
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
      topics.push({ topic: changelogTopic(appId, s.name), partitions: changelogPartitions, config: changelogTopicConfig(s) });
    }
    topics.push({ topic: deadLetterTopic(appId), partitions: 1 });
    topics.push({ topic: shutdownRequestsTopic(appId), partitions: 1 });
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
    this.halted = true;
    this.thread?.stop();
    await this.loop;
    await this.release(this.failure === undefined);
    this.setState('NOT_RUNNING');
  }

  /**
   * Closes the thread (committing first when `clean`), the global tables and the
   * transport. Once: close() after a failure finds it done.
   */
  private release(clean: boolean): Promise<void> {
    this.releasing ??= (async () => {
      const thread = this.thread;
      if (thread !== undefined) {
        if (clean) {
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
        await thread.tasks.standbys.closeAll();
      }
      await this.shutdownRequests?.close();
      await this.global?.close();
      await this.transport?.close();
    })();
    return this.releasing;
  }

  /** Counters summed over this instance's tasks. */
  metrics(): InstanceMetrics {
    const m = newTaskMetrics();
    const tasks = this.thread?.tasks.tasks ?? new Map();
    for (const t of tasks.values()) addMetrics(m, t.task.metrics);
    if (this.global !== undefined) addMetrics(m, this.global.metrics);
    const c = this.thread?.commitStats ?? { count: 0, totalMs: 0, maxMs: 0, lastMs: 0, changelogRecords: 0, changelogBytes: 0 };
    const storeEntries: Record<string, number> = {};
    for (const t of tasks.values()) for (const [name, s] of t.task.stores) storeEntries[name] = (storeEntries[name] ?? 0) + s.size();
    const uptimeMs = this.startedAt === undefined ? 0 : Date.now() - this.startedAt;
    return {
      ...m,
      tasks: tasks.size,
      uptimeMs,
      processRate: uptimeMs === 0 ? 0 : m.processed / (uptimeMs / 1000),
      commits: c.count,
      commitLatencyAvgMs: c.count === 0 ? 0 : c.totalMs / c.count,
      commitLatencyMaxMs: c.maxMs,
      commitLatencyLastMs: c.lastMs,
      changelogRecordsSent: c.changelogRecords,
      changelogBytesSent: c.changelogBytes,
      storeEntries,
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
   * Which instance holds `key` of store `storeName` (Kafka Streams'
   * `queryMetadataForKey`): the instance whose `store(storeName)` answers for
   * the key, and those keeping a standby copy. The key's partition is the
   * sink's: murmur2 of `keySerde.serialize(key)`, so pass the serde the store's
   * key was written with. Only instances that set `applicationServer` are named.
   * {@link KeyQueryMetadata.NOT_AVAILABLE} while this instance is not RUNNING
   * (a rebalance is moving tasks: ask again), when the owner has no
   * `applicationServer`, and for global stores (every instance holds them: query locally).
   *
   * @example
   * const meta = app.queryMetadataForKey('counts', 'alice', Serdes.string());
   * if (meta.available) route(meta.activeHost, 'alice'); else retryLater();
   */
  queryMetadataForKey<K>(storeName: string, key: K, keySerde: Serde<K>): KeyQueryMetadata {
    if (this.topology.store(storeName) === undefined) {
      throw new StateError('RIVULET_STATE_UNKNOWN_STORE', `KafkaStreams.queryMetadataForKey: no store named "${storeName}" (stores: ${this.topology.stores().map((s) => s.name).join(', ') || 'none'})`);
    }
    if (typeof keySerde?.serialize !== 'function') {
      throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams.queryMetadataForKey: keySerde must be a Serde with serialize(key) (got ${describeValue(keySerde)}); pass the serde the store's keys were written with, e.g. Serdes.string()`);
    }
    if (this.current !== 'RUNNING' || this.metadata === undefined) return KeyQueryMetadata.NOT_AVAILABLE;
    return this.metadata.forKey(storeName, keySerde.serialize(key)) ?? KeyQueryMetadata.NOT_AVAILABLE;
  }

  /**
   * Every instance of the application that set `applicationServer`, with the
   * stores and partitions it holds as active and standby (Kafka Streams'
   * `metadataForAllStreamsClients`), as of this instance's latest assignment.
   * Empty while this instance is rebalancing or before its first assignment.
   */
  metadataForAllStreamsClients(): StreamsMetadata[] {
    return this.metadata?.all() ?? [];
  }

  /**
   * This instance's stream thread with its active and standby tasks (Kafka
   * Streams' `metadataForLocalThreads`). Empty before `start()`.
   */
  metadataForLocalThreads(): ThreadMetadata[] {
    const thread = this.thread;
    const metadata = this.metadata;
    if (thread === undefined || metadata === undefined) return [];
    const clientId = this.threadClients.get(thread)?.clientId ?? `${this.config.applicationId}-${this.instanceId}`;
    return [{ threadName: clientId, threadState: this.current, activeTasks: metadata.tasks([...thread.tasks.tasks.keys()].sort()), standbyTasks: metadata.tasks(thread.tasks.standbys.names()) }];
  }

  /**
   * Interactive queries over this instance's tasks (Kafka Streams'
   * `KafkaStreams.store(StoreQueryParameters)`): the named store as a read-only
   * view of the kind `type` asks for. Keys owned by other instances are not
   * visible here; a global store holds every key on every instance.
   *
   * @example
   * const counts = app.store('counts', QueryableStoreTypes.keyValueStore<string, number>());
   * const perMinute = app.store('per-minute', QueryableStoreTypes.windowStore<string, number>());
   */
  store<S>(name: string, type: QueryableStoreType<S>): S;
  /**
   * The named store with the query methods of every kind (those its kind lacks
   * are missing at run time). Prefer the form with a {@link QueryableStoreTypes} type.
   */
  store<K, V>(name: string): ReadOnlyKeyValueStore<K, V> & ReadOnlyWindowStore<K, V> & ReadOnlySessionStore<K, V>;
  store(name: string, type?: QueryableStoreType<unknown>): unknown {
    const def = this.topology.store(name);
    if (def === undefined) {
      throw new StateError('RIVULET_STATE_UNKNOWN_STORE', `KafkaStreams.store: no store named "${name}" (stores: ${this.topology.stores().map((s) => s.name).join(', ') || 'none'})`);
    }
    return storeView(name, def.type, type, () => this.localStores(name));
  }
}

/** Whether `to` can still be reached from `from` (ERROR and NOT_RUNNING lead only to shutdown). */
function reachable(from: KafkaStreamsState, to: KafkaStreamsState): boolean {
  const seen = new Set<KafkaStreamsState>([from]);
  for (const s of seen) for (const n of TRANSITIONS[s]) seen.add(n);
  return seen.has(to);
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Errors reach listeners and handlers as `Error`s, whatever was thrown. */
function asError(e: unknown): Error {
  return e instanceof Error ? e : new RivuletError('RIVULET_UNKNOWN_ERROR', `KafkaStreams: a non-Error value was thrown: ${String(e)}`, { cause: e });
}

/** A short description of a wrong argument for messages. */
function describeValue(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return `${typeof v} ${JSON.stringify(v) ?? String(v)}`;
}
