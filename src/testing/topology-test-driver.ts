import { StateError, TopologyError } from '../errors.js';
import { addMetrics, newTaskMetrics, type TaskMetrics } from '../metrics/task-metrics.js';
import type { Serde } from '../serde/serde.js';
import type { ReadOnlyKeyValueStore, ReadOnlySessionStore, ReadOnlyWindowStore } from '../state/store-api.js';
import type { Topology } from '../topology/topology.js';
import { headerBytes, type OutgoingRecord, type RecordCollector } from '../runtime/record-collector.js';
import { StreamTask, type IncomingRecord, type TaskEnvironment } from '../runtime/stream-task.js';
import { resolveConfig, type Logger, type StreamsConfig } from '../runtime/streams-config.js';
import { GlobalStateManager } from '../runtime/global-state.js';
import { TestInputTopic } from './test-input-topic.js';
import { TestOutputTopic } from './test-output-topic.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Options of {@link TopologyTestDriver}: any streams config (applicationId defaults to `test`). */
export type TestDriverConfig = Partial<StreamsConfig> & { readonly initialWallClockTimeMs?: number };

/**
 * Runs a topology without a broker, like Kafka Streams' `TopologyTestDriver`:
 * every topic has one partition, each sub-topology one task; records written to
 * a topic another sub-topology reads (repartition topics) are processed at once;
 * after every piped record the driver commits (processors flush, caches emit).
 *
 * @example
 * const driver = new TopologyTestDriver(builder.build());
 * const input = driver.createInputTopic('lines', Serdes.string(), Serdes.string());
 * const output = driver.createOutputTopic('counts', Serdes.string(), Serdes.json<number>());
 * input.pipeInput(null, 'a b a');
 * output.readKeyValuesToMap(); // Map { 'a' => 2, 'b' => 1 }
 */
export class TopologyTestDriver {
  private readonly tasks: StreamTask[] = [];
  private readonly taskByTopic = new Map<string, StreamTask>();
  private readonly topics = new Map<string, OutgoingRecord[]>();
  private readonly offsets = new Map<string, number>();
  private readonly queue: IncomingRecord[] = [];
  private wallClock: number;
  private closed = false;
  private readonly env: TaskEnvironment;
  private readonly global: GlobalStateManager;
  private readonly globalTopics: Set<string>;

  constructor(
    private readonly topology: Topology,
    config: TestDriverConfig = {},
  ) {
    const resolved = resolveConfig({ logger: quiet, ...config, applicationId: config.applicationId ?? 'test', maxTimestampAheadMs: config.maxTimestampAheadMs ?? Infinity });
    this.wallClock = config.initialWallClockTimeMs ?? 0;
    const collector: RecordCollector = {
      send: (r) => this.capture(r),
      partitionsFor: () => 1,
    };
    this.global = new GlobalStateManager(topology, resolved);
    this.global.loadStaticSync();
    this.globalTopics = new Set(topology.globalStores().map((g) => g.topic));
    this.env = {
      config: resolved,
      collector,
      topicName: (t, internal) => (internal ? `${resolved.applicationId}-${t}` : t),
      now: () => this.wallClock,
      globalStore: (name) => this.global.stores.get(name),
    };
    for (const sub of topology.subTopologies()) {
      const task = new StreamTask({ subtopology: sub.id, partition: 0 }, sub, topology, this.env);
      this.tasks.push(task);
      for (const t of task.inputTopics) this.taskByTopic.set(t, task);
    }
    for (const t of this.tasks) t.init();
  }

  private nextOffset(topic: string): number {
    const o = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, o + 1);
    return o;
  }

  private capture(r: OutgoingRecord): void {
    const list = this.topics.get(r.topic);
    if (list === undefined) this.topics.set(r.topic, [r]);
    else list.push(r);
    if (this.taskByTopic.has(r.topic)) {
      this.queue.push({ topic: r.topic, partition: 0, offset: this.nextOffset(r.topic), key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });
    }
  }

  private drain(): void {
    for (let rec = this.queue.shift(); rec !== undefined; rec = this.queue.shift()) {
      (this.taskByTopic.get(rec.topic) as StreamTask).process(rec);
    }
  }

  /** Flushes every task until nothing more is produced to internal topics (a commit). */
  private commit(): void {
    for (let round = 0; round < 100; round++) {
      for (const t of this.tasks) {
        t.endBatch();
        this.drain();
        t.flush();
        this.drain();
      }
      if (this.queue.length === 0) break;
    }
    for (const t of this.tasks) t.committed();
  }

  private live(api: string): void {
    if (this.closed) throw new StateError('RIVULET_STATE_CLOSED', `TopologyTestDriver.${api}: the driver is closed; create a new one`);
  }

  /** @internal Used by {@link TestInputTopic}. */
  pipe(topic: string, key: Uint8Array | null, value: Uint8Array | null, timestamp: number, headers: Record<string, Uint8Array | string> = {}): void {
    this.live('pipeInput');
    if (this.globalTopics.has(topic)) {
      // A global table follows its topic at once (Kafka Streams' driver updates global stores synchronously too).
      this.global.apply([{ topic, partition: 0, offset: this.nextOffset(topic), key, value, timestamp, headers: headerBytes(headers) }], this.env.collector);
      return;
    }
    const task = this.taskByTopic.get(topic);
    if (task === undefined) {
      throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_TOPIC', `TopologyTestDriver: no source reads topic "${topic}" (sources read: ${[...this.taskByTopic.keys(), ...this.globalTopics].join(', ')})`);
    }
    task.process({ topic, partition: 0, offset: this.nextOffset(topic), key, value, timestamp, headers });
    this.drain();
    this.commit();
  }

  /** @internal Used by {@link TestOutputTopic}: records of `topic` from `from` on. */
  recordsOf(topic: string): readonly OutgoingRecord[] {
    return this.topics.get(topic) ?? [];
  }

  createInputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>, startTimestampMs = 0, autoAdvanceMs = 0): TestInputTopic<K, V> {
    return new TestInputTopic(this, topic, keySerde, valueSerde, startTimestampMs, autoAdvanceMs);
  }

  createOutputTopic<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(this, topic, keySerde, valueSerde);
  }

  /**
   * Waits for asynchronous operators (`mapValuesAsync`, `flatMapAsync`) to finish
   * every record piped so far, then commits, so their results can be read.
   */
  async settle(): Promise<void> {
    this.live('settle');
    // A settled operator's results may start asynchronous work further down (or in another task).
    while (this.tasks.some((t) => t.hasAsyncWork)) {
      for (const t of this.tasks) await t.settle();
      this.drain();
      this.commit();
    }
    this.commit();
  }

  /** Advances wall-clock time, running due wall-clock punctuations, then commits. */
  advanceWallClockTime(ms: number): void {
    this.live('advanceWallClockTime');
    this.wallClock += ms;
    for (const t of this.tasks) t.punctuate('wall-clock', this.wallClock);
    this.drain();
    this.commit();
  }

  private findStore(name: string): unknown {
    const global = this.global.stores.get(name);
    if (global !== undefined) return global;
    for (const t of this.tasks) {
      const s = t.stores.get(name);
      if (s !== undefined) return s;
    }
    return undefined;
  }

  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    return this.typedStore(name, 'key-value') as ReadOnlyKeyValueStore<K, V>;
  }

  getWindowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    return this.typedStore(name, 'window') as ReadOnlyWindowStore<K, V>;
  }

  getSessionStore<K, V>(name: string): ReadOnlySessionStore<K, V> {
    return this.typedStore(name, 'session') as ReadOnlySessionStore<K, V>;
  }

  /** Any store by name (window-stats stores expose their kernel). */
  getStateStore<S>(name: string): S {
    const s = this.findStore(name);
    if (s === undefined) throw new StateError('RIVULET_STATE_UNKNOWN_STORE', `TopologyTestDriver.getStateStore: no store named "${name}" (stores: ${this.topology.stores().map((d) => d.name).join(', ') || 'none'})`);
    return s as S;
  }

  private typedStore(name: string, type: string): unknown {
    const def = this.topology.store(name);
    if (def === undefined || def.type !== type) {
      throw new StateError('RIVULET_STATE_UNKNOWN_STORE', `TopologyTestDriver: no ${type} store named "${name}" (stores: ${this.topology.stores().map((d) => `${d.name} (${d.type})`).join(', ') || 'none'})`);
    }
    return this.getStateStore(name);
  }

  /** Counters summed over all tasks. */
  metrics(): TaskMetrics {
    return this.tasks.reduce((acc, t) => addMetrics(acc, t.metrics), addMetrics(newTaskMetrics(), this.global.metrics));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tasks) t.close();
  }
}
