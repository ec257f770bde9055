import { ConfigError } from '../errors.js';
import { newTaskMetrics, type TaskMetrics } from '../metrics/task-metrics.js';
import { WorkingKeyValueStore } from '../state/working-key-value-store.js';
import type { GlobalStoreDefinition, Topology } from '../topology/topology.js';
import type { ConsumerRecord, Reader, Transport } from '../transport/transport.js';
import { handleFailedRecord } from './error-handling.js';
import type { RecordCollector } from './record-collector.js';
import type { ResolvedConfig } from './streams-config.js';
import type { RestoreProgress } from './task-manager.js';

/**
 * The global stores of one instance (Kafka Streams' GlobalStreamThread): each
 * holds every partition of its topic, is filled to the topic's end before any
 * task processes, and then follows the topic while the instance runs. The
 * topic is the store's changelog, so nothing is written back.
 */
export class GlobalStateManager {
  readonly stores = new Map<string, WorkingKeyValueStore<unknown, unknown>>();
  readonly metrics: TaskMetrics = newTaskMetrics();
  private readonly byTopic = new Map<string, WorkingKeyValueStore<unknown, unknown>>();
  private reader: Reader | undefined;
  /** Where dead-lettered global records go: the stream thread's, so they are sent with its next commit. */
  private collector: RecordCollector | undefined;

  constructor(
    private readonly topology: Topology,
    private readonly config: ResolvedConfig,
  ) {
    for (const g of topology.globalStores()) {
      const store = new WorkingKeyValueStore(g.store.name, g.store.keySerde, g.store.valueSerde);
      this.stores.set(g.store.name, store);
      this.byTopic.set(g.topic, store);
    }
    for (const g of topology.staticGlobalStores()) this.stores.set(g.store.name, new WorkingKeyValueStore(g.store.name, g.store.keySerde, g.store.valueSerde));
  }

  /** Fills the static global stores from the rows the service provides. */
  async loadStatic(onProgress: (p: RestoreProgress) => void): Promise<void> {
    for (const g of this.topology.staticGlobalStores()) {
      const store = this.stores.get(g.store.name) as WorkingKeyValueStore<unknown, unknown>;
      const started = Date.now();
      let n = 0;
      for await (const [key, value] of await g.load()) {
        store.put(key, value);
        n++;
      }
      onProgress({ task: 'global', store: g.store.name, restored: n, total: n, recordsPerSec: n / Math.max(0.001, (Date.now() - started) / 1000) });
    }
  }

  /** As {@link loadStatic}, for callers that cannot wait (the test driver): rows must be a plain iterable. */
  loadStaticSync(): void {
    for (const g of this.topology.staticGlobalStores()) {
      const rows = g.load();
      if (rows instanceof Promise || !(Symbol.iterator in rows)) {
        throw new ConfigError('RIVULET_CONFIG_ASYNC_STATIC_TABLE', `TopologyTestDriver: static table "${g.store.name}" loads asynchronously; give the test an array or another synchronous iterable of [key, value] rows`);
      }
      const store = this.stores.get(g.store.name) as WorkingKeyValueStore<unknown, unknown>;
      for (const [key, value] of rows) store.put(key, value);
    }
  }

  /** No topic-backed global stores to read or follow. */
  get empty(): boolean {
    return this.byTopic.size === 0;
  }

  /** Reads every global topic from its start to its current end; reports progress per store. */
  async bootstrap(transport: Transport, collector: RecordCollector, onProgress: (p: RestoreProgress) => void): Promise<void> {
    this.collector = collector;
    await this.loadStatic(onProgress);
    if (this.empty) return;
    const isolation = this.config.processingGuarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted';
    const reader = await transport.reader({ isolation, clientId: `${this.config.applicationId}-global` });
    this.reader = reader;
    const positions: { topic: string; partition: number; offset: number }[] = [];
    for (const g of this.topology.globalStores()) {
      const offsets = await transport.listOffsets(g.topic, { isolation });
      const ends = new Map(offsets.map((o) => [o.partition, o.latest]));
      const total = offsets.reduce((n, o) => n + Math.max(0, o.latest - o.earliest), 0);
      reader.assign(offsets.map((o) => ({ topic: g.topic, partition: o.partition, offset: o.earliest })));
      await this.readToEnd(reader, g, ends, total, onProgress);
      for (const o of offsets) positions.push({ topic: g.topic, partition: o.partition, offset: reader.position({ topic: g.topic, partition: o.partition }) ?? o.earliest });
    }
    // From here on one reader follows every global topic.
    reader.assign(positions);
  }

  private async readToEnd(reader: Reader, g: GlobalStoreDefinition, ends: Map<number, number>, total: number, onProgress: (p: RestoreProgress) => void): Promise<void> {
    const started = Date.now();
    let restored = 0;
    const report = () => onProgress({ task: 'global', store: g.store.name, restored, total, recordsPerSec: restored / Math.max(0.001, (Date.now() - started) / 1000) });
    const done = () => [...ends].every(([partition, end]) => (reader.position({ topic: g.topic, partition }) ?? 0) >= end);
    while (!done()) {
      const batch = await reader.poll({ maxRecords: 10_000, timeoutMs: 200 });
      this.apply(batch);
      restored += batch.length;
      if (batch.length > 0) report();
    }
    report();
  }

  /** Applies what arrived on the global topics, waiting up to `timeoutMs` for something. */
  async update(timeoutMs: number): Promise<number> {
    if (this.reader === undefined) return 0;
    const batch = await this.reader.poll({ maxRecords: 10_000, timeoutMs });
    this.apply(batch);
    return batch.length;
  }

  /** Applies records of global topics: puts, and deletes for tombstones. */
  apply(records: readonly ConsumerRecord[], collector: RecordCollector | undefined = this.collector): void {
    for (const r of records) {
      const store = this.byTopic.get(r.topic);
      if (store === undefined) continue;
      if (r.key === null) {
        // As Kafka Streams' table sources: a record without a key cannot address a row.
        this.metrics.dropped['null-key']++;
        this.config.logger.warn('global table record without key skipped', { topic: r.topic, partition: r.partition, offset: r.offset });
        continue;
      }
      try {
        store.restore(r.key, r.value);
        this.metrics.processed++;
      } catch (e) {
        if (collector === undefined) throw e;
        handleFailedRecord({ name: `global store ${store.name}`, config: this.config, collector, metrics: this.metrics }, 'deserialization', e, r);
      }
    }
  }

  async close(): Promise<void> {
    await this.reader?.close();
    this.reader = undefined;
  }
}
