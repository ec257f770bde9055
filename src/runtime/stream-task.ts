import { SerdeError, TopologyError, TransportError } from '../errors.js';
import { newTaskMetrics, type TaskMetrics } from '../metrics/task-metrics.js';
import type { AsyncAware, DropReason, InternalProcessorContext, SourceRecord } from '../processors/internal-context.js';
import type { Cancellable, Processor, PunctuationType } from '../processors/processor.js';
import type { RecordMetadata, StreamRecord } from '../processors/stream-record.js';
import type { BatchAware } from '../processors/window-stats.js';
import type { Serde } from '../serde/serde.js';
import { recordTimestamp } from '../topology/timestamp-extractor.js';
import type { SinkNode, SourceNode } from '../topology/topology-node.js';
import type { SubTopology, Topology } from '../topology/topology.js';
import { DLQ_HEADERS, handleFailedRecord, handleProductionFailure, type FailedRecord, type FailureStage } from './error-handling.js';
import { LateRecordWarnings } from './late-record-warnings.js';
import { outgoingRecordBytes, type RecordCollector } from './record-collector.js';
import { MAX_RECORD_BYTES } from '../transport/record-size.js';
import { PartitionGroup, type LagOf } from './partition-group.js';
import { RecordQueue, type StampedRecord } from './record-queue.js';
import { createWorkingStore, type TaskStore } from './state-factory.js';
import type { ResolvedConfig } from './streams-config.js';
import { taskIdString, type TaskId } from './task-id.js';
import { checkTimestampAhead } from './timestamp-bound.js';

/** A record as polled from a topic, before deserialization (what failure reports carry, too). */
export type IncomingRecord = FailedRecord;

/** What a task needs from whoever runs it (the runtime or the test driver). */
export interface TaskEnvironment {
  readonly config: ResolvedConfig;
  readonly collector: RecordCollector;
  /** The real topic name of a topology topic (internal ones get the application id prefix). */
  topicName(topic: string, internal: boolean): string;
  now(): number;
  /** A global store of this instance by name (see `GlobalStateManager`). */
  globalStore?(name: string): unknown;
}

export { TaskFailure } from './error-handling.js';
import { TaskFailure } from './error-handling.js';

interface NodeRuntime {
  readonly name: string;
  readonly processor: Processor;
  readonly children: string[];
}

interface PunctuationSchedule {
  readonly type: PunctuationType;
  readonly intervalMs: number;
  next: number;
  cancelled: boolean;
  readonly fn: (timestamp: number) => void;
}


/**
 * One sub-topology on one partition: its processors, its stores and its stream
 * time. Records are processed synchronously, one at a time, depth first.
 */
export class StreamTask {
  readonly name: string;
  readonly metrics: TaskMetrics = newTaskMetrics();
  readonly stores = new Map<string, TaskStore>();
  private readonly nodes = new Map<string, NodeRuntime>();
  private readonly sources = new Map<string, SourceNode>();
  private readonly order: string[] = [];
  private readonly punctuations: PunctuationSchedule[] = [];
  private streamTimeMs = Number.NEGATIVE_INFINITY;
  private readonly partitionTime = new Map<string, number>();
  private current: IncomingRecord | undefined;
  private readonly lateWarnings: LateRecordWarnings;
  /** The polled records waiting, one queue per input partition. */
  readonly partitions: PartitionGroup;
  /** Per input topic, the next offset to commit: past every record processed or skipped. */
  private readonly consumed = new Map<string, number>();
  /** A failure with handling `fail` raised in asynchronous work; rethrown by {@link settle}. */
  asyncFailure: unknown;
  private initialized = false;

  constructor(
    readonly id: TaskId,
    readonly sub: SubTopology,
    private readonly topology: Topology,
    private readonly env: TaskEnvironment,
  ) {
    this.name = taskIdString(id);
    this.lateWarnings = new LateRecordWarnings(this.name, env.config.logger, () => env.now());
    for (const storeName of sub.stores) {
      const def = topology.store(storeName);
      if (def === undefined) throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_STORE', `task ${this.name}: store "${storeName}" is not declared`);
      this.stores.set(storeName, createWorkingStore(def));
    }
    for (const node of sub.nodes) {
      if (node.kind === 'source') for (const t of node.topics) this.sources.set(env.topicName(t, node.internal), node);
    }
    this.partitions = new PartitionGroup(
      [...this.sources.keys()].map((topic) => new RecordQueue(topic, id.partition, (rec) => this.stamp(rec))),
      env.config.maxTaskIdleMs,
    );
  }

  /** Source topics (real names) this task reads. */
  get inputTopics(): string[] {
    return [...this.sources.keys()];
  }

  get streamTime(): number {
    return this.streamTimeMs;
  }

  /** Creates and initializes the processors; call after stores are restored. */
  init(): void {
    if (this.initialized) return;
    this.initialized = true;
    for (const node of this.sub.nodes) {
      const processor = this.processorFor(node);
      this.nodes.set(node.name, { name: node.name, processor, children: this.topology.children(node.name) });
      this.order.push(node.name);
    }
    for (const name of this.order) {
      const n = this.nodes.get(name) as NodeRuntime;
      n.processor.init?.(this.contextFor(n));
    }
  }

  private processorFor(node: SubTopology['nodes'][number]): Processor {
    switch (node.kind) {
      case 'source':
        return { process: () => undefined };
      case 'processor':
        return node.supplier();
      case 'sink':
        return this.sinkProcessor(node);
    }
  }

  private sinkProcessor(node: SinkNode): Processor {
    const keySerde = (node.keySerde ?? this.env.config.defaultKeySerde) as Serde<unknown>;
    const valueSerde = (node.valueSerde ?? this.env.config.defaultValueSerde) as Serde<unknown>;
    return {
      process: (r: StreamRecord<unknown, unknown>) => {
        const meta = this.current;
        const raw = typeof node.topic === 'string' ? node.topic : node.topic(r.key, r.value, { ...(meta ? { topic: meta.topic } : {}), partition: this.id.partition });
        const topic = this.env.topicName(raw, node.internal);
        const key = r.key === null || r.key === undefined ? null : keySerde.serialize(r.key);
        const value = r.value === null || r.value === undefined ? null : valueSerde.serialize(r.value);
        let partition: number | undefined;
        if (node.partitioner !== undefined) {
          const n = this.env.collector.partitionsFor(topic);
          if (n !== undefined) partition = node.partitioner(topic, r.key, r.value, n);
        }
        const headers = r.headers ?? {};
        const bytes = outgoingRecordBytes({ key, value, headers });
        if (bytes > MAX_RECORD_BYTES) {
          const error = new TransportError(
            'RIVULET_TRANSPORT_RECORD_TOO_LARGE',
            `${node.name}: a record for topic "${topic}" is ${bytes} bytes with its framing, over the ${MAX_RECORD_BYTES} a Kafka producer sends (max.request.size); the broker would refuse it. Make the record smaller`,
          );
          handleProductionFailure({ name: `task ${this.name}`, config: this.env.config, collector: this.env.collector, metrics: this.metrics }, { error, topic, key, value, timestamp: r.timestamp, source: meta && { topic: meta.topic, partition: meta.partition, offset: meta.offset } }, meta?.headers);
          return;
        }
        this.env.collector.send({ topic, partition, key, value, timestamp: r.timestamp, headers });
        this.metrics.produced++;
      },
    };
  }

  private contextFor(n: NodeRuntime): InternalProcessorContext {
    const task = this;
    const allowed = new Set(this.topology.node(n.name)?.kind === 'processor' ? (this.topology.node(n.name) as { stores: readonly string[] }).stores : []);
    return {
      applicationId: this.env.config.applicationId,
      taskId: this.name,
      partition: this.id.partition,
      forward(record, childName) {
        if (childName !== undefined) {
          if (!n.children.includes(childName)) {
            throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_CHILD', `ProcessorContext.forward: "${childName}" is not a child of "${n.name}" (children: ${n.children.join(', ') || 'none'})`);
          }
          task.deliver(childName, record);
          return;
        }
        for (const c of n.children) task.deliver(c, record);
      },
      getStateStore<S>(name: string): S {
        // Global stores are readable from every processor, as in Kafka Streams.
        const global = task.env.globalStore?.(name);
        if (global !== undefined) return global as S;
        if (!allowed.has(name)) {
          throw new TopologyError('RIVULET_TOPOLOGY_STORE_NOT_CONNECTED', `ProcessorContext.getStateStore: processor "${n.name}" is not connected to store "${name}"; list it in the processor's stores`);
        }
        return task.stores.get(name) as unknown as S;
      },
      schedule(intervalMs: number, type: PunctuationType, fn: (timestamp: number) => void): Cancellable {
        if (!(intervalMs >= 1)) throw new TopologyError('RIVULET_TOPOLOGY_INVALID_INTERVAL', `ProcessorContext.schedule: interval must be >= 1 ms (got ${intervalMs})`);
        const s: PunctuationSchedule = {
          type,
          intervalMs,
          // Kafka Streams' alignment: stream-time schedules are due at multiples of the
          // interval from 0 (the first as soon as there is data), wall-clock ones at now + interval.
          next: type === 'wall-clock' ? task.env.now() + intervalMs : 0,
          cancelled: false,
          fn,
        };
        task.punctuations.push(s);
        return { cancel: () => void (s.cancelled = true) };
      },
      recordMetadata(): RecordMetadata | undefined {
        const c = task.current;
        return c === undefined ? undefined : { topic: c.topic, partition: c.partition, offset: c.offset };
      },
      currentStreamTimeMs: () => task.streamTimeMs,
      currentSystemTimeMs: () => task.env.now(),
      dropRecord(reason: DropReason, record: StreamRecord<unknown, unknown>, detail: string, source?: SourceRecord) {
        task.metrics.dropped[reason]++;
        const c = source ?? task.current;
        task.env.config.logger.debug('dropped record', { task: task.name, reason, detail, topic: c?.topic, partition: c?.partition, offset: c?.offset, timestamp: record.timestamp });
        if (reason === 'late') task.lateWarnings.dropped(detail);
        const lateTopic = task.env.config.lateRecordsTopic;
        if (reason === 'late' && lateTopic !== undefined && c !== undefined) {
          task.env.collector.send({ topic: lateTopic, partition: undefined, key: c.key, value: c.value, timestamp: c.timestamp, headers: { ...(c.headers ?? {}), [DLQ_HEADERS.reason]: detail } });
        }
      },
      sourceRecord: () => task.current,
      rejectRecord(error: unknown, source?: SourceRecord) {
        const rec = source ?? task.current;
        if (rec === undefined) throw error;
        task.fail('processing', error, rec);
      },
      recordKernelTime(ms: number) {
        task.metrics.kernelMs += ms;
      },
      defer() {
        const captured = task.current;
        const run = (fn: () => void): void => {
          const before = task.current;
          task.current = captured;
          try {
            try {
              fn();
            } catch (e) {
              if (e instanceof TaskFailure || captured === undefined) throw e;
              task.fail('processing', e, captured);
            }
          } catch (e) {
            // Nobody awaits this call: the next commit's settle() rethrows it.
            task.asyncFailure ??= e;
          } finally {
            task.current = before;
          }
        };
        return {
          forward: (record) =>
            run(() => {
              for (const c of n.children) task.deliver(c, record);
            }),
          fail: (error) =>
            run(() => {
              if (captured === undefined) throw error;
              task.fail('processing', error, captured);
            }),
        };
      },
    };
  }

  private deliver(nodeName: string, record: StreamRecord<unknown, unknown>): void {
    (this.nodes.get(nodeName) as NodeRuntime).processor.process(record);
  }

  /** Deserializes, timestamps and processes one polled record at once (the test driver's path). */
  process(rec: IncomingRecord): void {
    const stamped = this.stamp(rec);
    if (stamped !== undefined) this.processStamped(stamped);
  }

  /** Buffers polled records of one input partition until {@link processNext} takes them. */
  addRecords(topic: string, partition: number, records: readonly IncomingRecord[]): void {
    const q = this.partitions.queue(topic, partition);
    if (q === undefined) throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_TOPIC', `task ${this.name}: received records of ${topic}-${partition}, which it does not read`);
    q.add(records);
  }

  /** Whether the buffered records may be processed now (see {@link PartitionGroup.readyToProcess}). */
  readyToProcess(now: number, lagOf: LagOf): boolean {
    return this.partitions.readyToProcess(now, lagOf);
  }

  /** Processes the buffered record with the lowest timestamp; false when none is buffered. */
  processNext(): boolean {
    const next = this.partitions.nextRecord();
    if (next === undefined) return false;
    this.processStamped(next);
    return true;
  }

  /** Offsets to commit (next to read) of the input partitions that moved since the last call. */
  takeConsumedOffsets(): { topic: string; partition: number; offset: number }[] {
    const out = [...this.consumed].map(([topic, offset]) => ({ topic, partition: this.id.partition, offset }));
    this.consumed.clear();
    return out;
  }

  private markConsumed(rec: IncomingRecord): void {
    this.consumed.set(rec.topic, Math.max(this.consumed.get(rec.topic) ?? 0, rec.offset + 1));
  }

  /** Deserializes and timestamps a record; a failure goes to the configured handler and gives `undefined`. */
  private stamp(rec: IncomingRecord): StampedRecord | undefined {
    const source = this.sources.get(rec.topic);
    if (source === undefined) throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_TOPIC', `task ${this.name}: received a record of topic "${rec.topic}", which it does not read`);
    try {
      const ks = (source.keySerde ?? this.env.config.defaultKeySerde) as Serde<unknown>;
      const vs = (source.valueSerde ?? this.env.config.defaultValueSerde) as Serde<unknown>;
      const key = rec.key === null ? null : ks.deserialize(rec.key);
      const value = rec.value === null ? null : vs.deserialize(rec.value);
      const extractor = source.timestampExtractor ?? recordTimestamp;
      const pt = this.partitionTime.get(rec.topic) ?? -1;
      const ts = extractor({ topic: rec.topic, partition: rec.partition, offset: rec.offset, key, value, timestamp: rec.timestamp }, pt);
      if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) {
        throw new SerdeError('RIVULET_SERDE_INVALID_TIMESTAMP', `timestamp extractor returned ${String(ts)} for ${rec.topic}-${rec.partition}@${rec.offset}; timestamps must be finite ms >= 0`);
      }
      checkTimestampAhead(ts, this.env.now(), this.env.config.maxTimestampAheadMs, rec);
      this.partitionTime.set(rec.topic, Math.max(pt, ts));
      return { raw: rec, key, value, timestamp: ts };
    } catch (e) {
      this.markConsumed(rec);
      this.current = rec;
      try {
        this.fail('deserialization', e, rec);
      } finally {
        this.current = undefined;
      }
      return undefined;
    }
  }

  private processStamped({ raw: rec, key, value, timestamp: ts }: StampedRecord): void {
    const source = this.sources.get(rec.topic) as SourceNode;
    this.current = rec;
    try {
      this.markConsumed(rec);
      this.streamTimeMs = Math.max(this.streamTimeMs, ts);
      this.metrics.processed++;
      try {
        const node = this.nodes.get(source.name) as NodeRuntime;
        const record: StreamRecord<unknown, unknown> = { key, value, timestamp: ts, headers: rec.headers ?? {} };
        for (const c of node.children) this.deliver(c, record);
      } catch (e) {
        // A failure already handled as 'fail' deeper down (production, a rejected record, a full
        // suppression buffer) stops the task as it is; it is not a bad record.
        if (e instanceof TaskFailure) throw e;
        this.fail('processing', e, rec);
      }
      this.punctuate('stream-time', this.streamTimeMs);
    } finally {
      this.current = undefined;
    }
  }

  private fail(stage: FailureStage, error: unknown, rec: IncomingRecord): void {
    handleFailedRecord({ name: `task ${this.name}`, config: this.env.config, collector: this.env.collector, metrics: this.metrics }, stage, error, rec);
  }

  /**
   * Runs due punctuations of one type. Each schedule keeps its grid (due, due +
   * interval, …): missed intervals fire once, and the next is the first grid
   * point after `now`, as Kafka Streams' `PunctuationSchedule.next`.
   */
  punctuate(type: PunctuationType, now: number): void {
    for (const s of this.punctuations) {
      if (s.cancelled || s.type !== type || !Number.isFinite(now) || now < s.next) continue;
      s.next += (Math.floor((now - s.next) / s.intervalMs) + 1) * s.intervalMs;
      this.metrics.punctuations++;
      s.fn(now);
    }
  }

  private asyncCache: AsyncAware[] | undefined;

  private asyncNodes(): AsyncAware[] {
    if (this.asyncCache !== undefined) return this.asyncCache;
    const out: AsyncAware[] = [];
    for (const name of this.order) {
      const p = (this.nodes.get(name) as NodeRuntime | undefined)?.processor as (Processor & Partial<AsyncAware>) | undefined;
      if (p?.settle !== undefined) out.push(p as unknown as AsyncAware);
    }
    if (this.nodes.size > 0) this.asyncCache = out;
    return out;
  }

  /** An asynchronous operator is at its concurrency limit: wait for {@link capacity} before the next record. */
  get saturated(): boolean {
    const nodes = this.asyncNodes();
    for (let i = 0; i < nodes.length; i++) if ((nodes[i] as AsyncAware).saturated) return true;
    return false;
  }

  /** Some asynchronous operator still holds records, or failed and has not reported it yet. */
  get hasAsyncWork(): boolean {
    return this.asyncFailure !== undefined || this.asyncNodes().some((p) => p.pending > 0);
  }

  async capacity(): Promise<void> {
    for (const p of this.asyncNodes()) if (p.saturated) await p.capacity();
  }

  /**
   * Waits until asynchronous operators finished every record handed to them, so
   * a commit covers their outputs (parents first: a settled parent may hand
   * its children new work). A `fail` handling failure surfaces here.
   */
  async settle(): Promise<void> {
    for (const p of this.asyncNodes()) await p.settle();
    if (this.asyncFailure !== undefined) {
      const e = this.asyncFailure;
      this.asyncFailure = undefined;
      throw e;
    }
  }

  /** Tells buffering processors (the WASM kernel operators) that the polled batch ended. */
  endBatch(): void {
    for (const name of this.order) {
      const p = (this.nodes.get(name) as NodeRuntime).processor as Processor & Partial<BatchAware>;
      p.onBatchEnd?.();
    }
  }

  /** Commit step 1: processors emit what they buffer, parents before children. */
  flush(): void {
    for (const name of this.order) (this.nodes.get(name) as NodeRuntime).processor.flush?.();
  }

  /** Commit step 3: the commit succeeded. */
  committed(): void {
    for (const name of this.order) (this.nodes.get(name) as NodeRuntime).processor.committed?.();
  }

  close(): void {
    this.partitions.clear();
    for (const name of this.order) (this.nodes.get(name) as NodeRuntime).processor.close?.();
    for (const s of this.stores.values()) s.close?.();
  }
}
