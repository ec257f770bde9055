/**
 * Where the state of an application lives across its instances (Kafka Streams'
 * `StreamsMetadata`, `KeyQueryMetadata`, `HostInfo`), so a service can route an
 * interactive query for a key to the instance that holds it. Every instance
 * learns the whole map from the leader's assignment (see streams-assignor.ts);
 * only instances that set `applicationServer` appear in it.
 * @module
 */
import type { TopicPartition } from '../transport/transport.js';
import { partitionForKey } from '../transport/partitioner.js';
import type { StreamsAssignmentInfo } from './streams-assignor.js';

/** An instance's `applicationServer` endpoint (Kafka Streams' `HostInfo`). */
export interface HostInfo {
  readonly host: string;
  readonly port: number;
}

/**
 * One instance of the application: the stores it holds and the source
 * partitions it processes, as active and as standby (Kafka Streams'
 * `StreamsMetadata`).
 */
export interface StreamsMetadata {
  readonly hostInfo: HostInfo;
  /** Stores of its active tasks. */
  readonly stateStoreNames: readonly string[];
  /** Source partitions of its active tasks. */
  readonly topicPartitions: readonly TopicPartition[];
  /** Stores it keeps as standby replicas. */
  readonly standbyStateStoreNames: readonly string[];
  /** Source partitions of its standby tasks. */
  readonly standbyTopicPartitions: readonly TopicPartition[];
}

/**
 * Which instance holds a key's state (Kafka Streams' `KeyQueryMetadata`): the
 * active host answers `store().get(key)`; standby hosts hold a copy that may lag.
 * While the instance asked is rebalancing (or has no assignment yet) the answer
 * is {@link KeyQueryMetadata.NOT_AVAILABLE}: ask again shortly.
 */
export class KeyQueryMetadata {
  /** The answer while the metadata is unknown: host `unavailable`, port -1, partition -1, as in Kafka Streams. */
  static readonly NOT_AVAILABLE = new KeyQueryMetadata({ host: 'unavailable', port: -1 }, [], -1);

  constructor(
    readonly activeHost: HostInfo,
    readonly standbyHosts: readonly HostInfo[],
    /** The key's partition (of the store's source topics); the task is `<subtopology>_<partition>`. */
    readonly partition: number,
  ) {
    Object.freeze(this);
  }

  /** Whether this is {@link KeyQueryMetadata.NOT_AVAILABLE}. */
  get available(): boolean {
    return this !== KeyQueryMetadata.NOT_AVAILABLE;
  }
}

/** A task of this instance: its id (`<subtopology>_<partition>`) and source partitions (Kafka Streams' `TaskMetadata`). */
export interface TaskMetadata {
  readonly taskId: string;
  readonly topicPartitions: readonly TopicPartition[];
}

/**
 * This instance's stream thread and its tasks (Kafka Streams' `ThreadMetadata`).
 * rivulet runs one thread per instance; `threadState` is the instance's state.
 */
export interface ThreadMetadata {
  readonly threadName: string;
  readonly threadState: string;
  readonly activeTasks: readonly TaskMetadata[];
  readonly standbyTasks: readonly TaskMetadata[];
}

/** Parses `host:port` (the port a whole number in 1..65535); `undefined` when malformed. */
export function parseHostInfo(value: string): HostInfo | undefined {
  const i = value.lastIndexOf(':');
  if (i <= 0) return undefined;
  const host = value.slice(0, i);
  const portText = value.slice(i + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** A sub-topology as the metadata needs it. */
export interface MetadataSubTopology {
  readonly id: number;
  readonly topics: readonly string[];
  readonly stores: readonly string[];
}

/** The latest assignment's map, answering metadata queries. */
export class StreamsMetadataState {
  #info: StreamsAssignmentInfo | undefined;

  constructor(
    private readonly subTopologies: readonly MetadataSubTopology[],
    private readonly partitionCount: (topic: string) => number | undefined,
  ) {}

  /** The assignment took effect (or was revoked: `undefined`). */
  update(info: StreamsAssignmentInfo | undefined): void {
    this.#info = info;
  }

  get known(): boolean {
    return this.#info !== undefined;
  }

  all(): StreamsMetadata[] {
    const info = this.#info;
    if (info === undefined) return [];
    const out: StreamsMetadata[] = [];
    for (const h of info.hosts) {
      const hostInfo = parseHostInfo(h.host);
      if (hostInfo === undefined) continue;
      const active = this.#describe(h.active);
      const standby = this.#describe(h.standby);
      out.push({ hostInfo, stateStoreNames: active.stores, topicPartitions: active.partitions, standbyStateStoreNames: standby.stores, standbyTopicPartitions: standby.partitions });
    }
    return out;
  }

  /** `undefined` when the store belongs to no sub-topology (a global store) or its topics are unknown. */
  forKey(storeName: string, key: Uint8Array): KeyQueryMetadata | undefined {
    const info = this.#info;
    const sub = this.subTopologies.find((s) => s.stores.includes(storeName));
    if (info === undefined || sub === undefined) return undefined;
    const n = Math.max(0, ...sub.topics.map((t) => this.partitionCount(t) ?? 0));
    if (n === 0) return undefined;
    const partition = partitionForKey(key, n);
    const task = `${sub.id}_${partition}`;
    let active: HostInfo | undefined;
    const standbys: HostInfo[] = [];
    for (const h of info.hosts) {
      const hostInfo = parseHostInfo(h.host);
      if (hostInfo === undefined) continue;
      if (h.active.includes(task)) active = hostInfo;
      else if (h.standby.includes(task)) standbys.push(hostInfo);
    }
    // The owner did not set applicationServer: nobody can be asked.
    if (active === undefined) return undefined;
    return new KeyQueryMetadata(active, standbys, partition);
  }

  /** The source partitions of each task. */
  tasks(ids: readonly string[]): TaskMetadata[] {
    return ids.map((taskId) => ({ taskId, topicPartitions: this.#describe([taskId]).partitions }));
  }

  #describe(tasks: readonly string[]): { stores: string[]; partitions: TopicPartition[] } {
    const stores = new Set<string>();
    const partitions: TopicPartition[] = [];
    for (const task of tasks) {
      const [subId, p] = task.split('_').map(Number);
      const sub = this.subTopologies.find((s) => s.id === subId);
      if (sub === undefined || p === undefined) continue;
      for (const s of sub.stores) stores.add(s);
      for (const topic of sub.topics) if (p < (this.partitionCount(topic) ?? 0)) partitions.push({ topic, partition: p });
    }
    return { stores: [...stores].sort(), partitions };
  }
}
