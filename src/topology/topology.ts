import { TopologyError } from '../errors.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import type { Serde } from '../serde/serde.js';
import type { StoreDefinition } from './store-definition.js';
import { describeTopology, type TopologyDescription } from './topology-description.js';
import type { SinkNode, SourceNode, StreamPartitioner, TopicNameExtractor, TopologyNode } from './topology-node.js';
import type { TimestampExtractor } from './timestamp-extractor.js';

/** A connected part of the topology; one task per input partition runs it. */
/** A global store and the topic that fills it (see {@link Topology.addGlobalStore}). */
export interface GlobalStoreDefinition {
  readonly store: StoreDefinition;
  readonly topic: string;
  /** Node names, for descriptions. */
  readonly sourceName: string;
  readonly processorName: string;
}

/** Rows a static global table is filled with, or a function producing them (called on each start). */
export type StaticRows = Iterable<readonly [unknown, unknown]> | AsyncIterable<readonly [unknown, unknown]>;

/** A global store filled from rows the service provides instead of a topic (see {@link Topology.addStaticGlobalStore}). */
export interface StaticGlobalStoreDefinition {
  readonly store: StoreDefinition;
  readonly load: () => StaticRows | Promise<StaticRows>;
}

export interface SubTopology {
  readonly id: number;
  /** Nodes in the order they were added (parents before children). */
  readonly nodes: readonly TopologyNode[];
  readonly sourceTopics: readonly string[];
  readonly stores: readonly string[];
}

/** Options of {@link Topology.addSource}. */
export interface SourceOptions {
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<unknown>;
  readonly timestampExtractor?: TimestampExtractor;
  /** A repartition topic of this topology; named without the application id. */
  readonly internal?: boolean;
}

/** Options of {@link Topology.addSink}. */
export interface SinkOptions {
  readonly keySerde?: Serde<unknown>;
  readonly valueSerde?: Serde<unknown>;
  readonly partitioner?: StreamPartitioner;
  /** Internal topics: the partition count to create it with. */
  readonly partitions?: number;
  /** Internal topics: size it like the source topics of this node. */
  readonly partitionsFrom?: string;
  readonly internal?: boolean;
}

/**
 * The processor graph a `KafkaStreams` instance runs: sources, processors,
 * sinks and the state stores they use. Built by `StreamsBuilder.build()` or by
 * hand with the Processor API, like Kafka Streams' `Topology`. Frozen once a
 * runtime uses it.
 */
export class Topology {
  private readonly nodeMap = new Map<string, TopologyNode>();
  private readonly storeMap = new Map<string, StoreDefinition>();
  private readonly storeUsers = new Map<string, string[]>();
  private readonly topicsRead = new Map<string, string>();
  private readonly globalStoreMap = new Map<string, GlobalStoreDefinition>();
  private readonly staticStoreMap = new Map<string, StaticGlobalStoreDefinition>();
  private readonly copartitioned: { readonly api: string; readonly nodes: readonly string[] }[] = [];
  private sealed = false;
  /** Warnings gathered while building (e.g. stateful operators without explicit names). */
  readonly warnings: string[] = [];

  private checkName(api: string, name: string): void {
    if (this.sealed) throw new TopologyError('RIVULET_TOPOLOGY_SEALED', `${api}: the topology is already running; build a new one to change it`);
    if (typeof name !== 'string' || name.length === 0) {
      throw new TopologyError('RIVULET_TOPOLOGY_INVALID_NAME', `${api}: name must be a non-empty string (got ${JSON.stringify(name)})`);
    }
    if (this.nodeMap.has(name) || [...this.globalStoreMap.values()].some((g) => g.sourceName === name || g.processorName === name)) {
      throw new TopologyError('RIVULET_TOPOLOGY_DUPLICATE_NAME', `${api}: a node named "${name}" already exists; give each operator a unique name`);
    }
  }

  private checkParents(api: string, parents: readonly string[]): void {
    if (parents.length === 0) throw new TopologyError('RIVULET_TOPOLOGY_NO_PARENT', `${api}: at least one parent node is required`);
    for (const p of parents) {
      const node = this.nodeMap.get(p);
      if (node === undefined) throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_NODE', `${api}: parent "${p}" does not exist; add it first`);
      if (node.kind === 'sink') throw new TopologyError('RIVULET_TOPOLOGY_SINK_PARENT', `${api}: sink "${p}" cannot have children`);
    }
  }

  /** Reads `topics` into the graph. A topic can be read by one source only. */
  addSource(name: string, topics: string | readonly string[], options: SourceOptions = {}): this {
    this.checkName('Topology.addSource', name);
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw new TopologyError('RIVULET_TOPOLOGY_NO_TOPIC', `Topology.addSource: source "${name}" needs at least one topic`);
    for (const t of list) {
      const other = this.topicsRead.get(t);
      if (other !== undefined) {
        throw new TopologyError('RIVULET_TOPOLOGY_TOPIC_READ_TWICE', `Topology.addSource: topic "${t}" is already read by source "${other}"; read it once and branch with split() or reuse the stream`);
      }
      this.topicsRead.set(t, name);
    }
    const node: SourceNode = Object.freeze({
      kind: 'source',
      name,
      topics: Object.freeze(list),
      internal: options.internal ?? false,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      timestampExtractor: options.timestampExtractor,
    });
    this.nodeMap.set(name, node);
    return this;
  }

  /** Adds a processor fed by `parents`. */
  addProcessor(name: string, supplier: ProcessorSupplier, ...parents: string[]): this {
    this.checkName('Topology.addProcessor', name);
    this.checkParents('Topology.addProcessor', parents);
    this.nodeMap.set(name, Object.freeze({ kind: 'processor', name, supplier, parents: Object.freeze([...parents]), stores: Object.freeze([]) }));
    return this;
  }

  /** Writes records from `parents` to `topic` (or the topic the extractor picks per record). */
  addSink(name: string, topic: string | TopicNameExtractor, options: SinkOptions, ...parents: string[]): this {
    this.checkName('Topology.addSink', name);
    this.checkParents('Topology.addSink', parents);
    const node: SinkNode = Object.freeze({
      kind: 'sink',
      name,
      topic,
      internal: options.internal ?? false,
      parents: Object.freeze([...parents]),
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      partitioner: options.partitioner,
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      ...(options.partitionsFrom === undefined ? {} : { partitionsFrom: options.partitionsFrom }),
    });
    this.nodeMap.set(name, node);
    return this;
  }

  /** Declares a store and connects it to processors. */
  addStateStore(store: StoreDefinition, ...processorNames: string[]): this {
    if (this.storeMap.has(store.name)) {
      throw new TopologyError('RIVULET_TOPOLOGY_DUPLICATE_STORE', `Topology.addStateStore: a store named "${store.name}" already exists; store names must be unique`);
    }
    this.storeMap.set(store.name, Object.freeze({ ...store }));
    this.storeUsers.set(store.name, []);
    this.connectProcessorAndStateStores(...processorNames.flatMap((p) => [p, store.name]));
    return this;
  }

  /**
   * Declares a global store (Kafka Streams' `addGlobalStore`): every instance
   * holds all of it, filled from every partition of `topic` before processing
   * starts and kept up to date while running. The topic is its changelog, so the
   * store needs none. Any processor may read it with `getStateStore`.
   */
  addGlobalStore(store: StoreDefinition, sourceName: string, topic: string, processorName: string): this {
    this.checkName('Topology.addGlobalStore', sourceName);
    this.checkName('Topology.addGlobalStore', processorName);
    if (this.storeMap.has(store.name) || this.globalStoreMap.has(store.name)) {
      throw new TopologyError('RIVULET_TOPOLOGY_DUPLICATE_STORE', `Topology.addGlobalStore: a store named "${store.name}" already exists; store names must be unique`);
    }
    if (store.type !== 'key-value') {
      throw new TopologyError('RIVULET_TOPOLOGY_INVALID_GLOBAL_STORE', `Topology.addGlobalStore: store "${store.name}" is a ${store.type} store; global stores are key-value stores`);
    }
    const reader = this.topicsRead.get(topic);
    if (reader !== undefined) {
      throw new TopologyError('RIVULET_TOPOLOGY_TOPIC_READ_TWICE', `Topology.addGlobalStore: topic "${topic}" is already read by source "${reader}"; a topic feeds one source`);
    }
    this.topicsRead.set(topic, sourceName);
    this.globalStoreMap.set(store.name, Object.freeze({ store: Object.freeze({ ...store, changelog: false }), sourceName, topic, processorName }));
    return this;
  }

  /**
   * Declares that the inputs of these nodes are joined by key, so their source
   * topics must have equal partition counts; the runtime checks it on start.
   */
  requireCopartitioned(api: string, ...nodeNames: string[]): this {
    this.copartitioned.push({ api, nodes: [...nodeNames] });
    return this;
  }

  /** Per join, the source topics that must be co-partitioned, and whether each is internal. */
  copartitionGroups(): { readonly api: string; readonly topics: readonly { readonly topic: string; readonly internal: boolean }[] }[] {
    return this.copartitioned.map((g) => ({ api: g.api, topics: this.sourceTopicsOf(...g.nodes) }));
  }

  /** The source topics feeding these nodes (through any path), and whether each is internal. */
  sourceTopicsOf(...nodeNames: string[]): { readonly topic: string; readonly internal: boolean }[] {
    const topics = new Map<string, boolean>();
    const seen = new Set<string>();
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const n = this.nodeMap.get(name);
      if (n === undefined) return;
      if (n.kind === 'source') for (const t of n.topics) topics.set(t, n.internal);
      else for (const p of n.parents) visit(p);
    };
    for (const n of nodeNames) visit(n);
    return [...topics].map(([topic, internal]) => ({ topic, internal }));
  }

  /**
   * A global store filled with rows the service provides (a file it read, a
   * database table, an array) rather than from a topic: loaded on every
   * instance before processing starts, read-only afterwards.
   */
  addStaticGlobalStore(store: StoreDefinition, load: () => StaticRows | Promise<StaticRows>): this {
    if (this.sealed) throw new TopologyError('RIVULET_TOPOLOGY_SEALED', 'Topology.addStaticGlobalStore: the topology is already running; build a new one to change it');
    if (this.storeMap.has(store.name) || this.globalStoreMap.has(store.name) || this.staticStoreMap.has(store.name)) {
      throw new TopologyError('RIVULET_TOPOLOGY_DUPLICATE_STORE', `Topology.addStaticGlobalStore: a store named "${store.name}" already exists; store names must be unique`);
    }
    this.staticStoreMap.set(store.name, Object.freeze({ store: Object.freeze({ ...store, type: 'key-value' as const, changelog: false, persistent: false }), load }));
    return this;
  }

  /** The static global stores, in declaration order. */
  staticGlobalStores(): readonly StaticGlobalStoreDefinition[] {
    return [...this.staticStoreMap.values()];
  }

  /** The global stores, in declaration order. */
  globalStores(): readonly GlobalStoreDefinition[] {
    return [...this.globalStoreMap.values()];
  }

  /** Replaces a declared store's definition (the DSL refines stores before the topology runs). */
  updateStore(store: StoreDefinition): this {
    if (this.sealed || !this.storeMap.has(store.name)) {
      throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_STORE', `Topology.updateStore: store "${store.name}" does not exist or the topology is running`);
    }
    this.storeMap.set(store.name, Object.freeze({ ...store }));
    return this;
  }

  /** Gives processors access to stores: pairs `processor, store, processor, store, …` or one processor and many stores. */
  connectProcessorAndStateStores(...namesList: string[]): this {
    if (namesList.length === 0) return this;
    const pairs: [string, string][] = [];
    const [first, ...rest] = namesList;
    if (first !== undefined && this.nodeMap.get(first)?.kind === 'processor' && rest.every((n) => this.storeMap.has(n)) && rest.length > 0 && !rest.some((n) => this.nodeMap.has(n))) {
      for (const s of rest) pairs.push([first, s]);
    } else {
      for (let i = 0; i + 1 < namesList.length; i += 2) pairs.push([namesList[i] as string, namesList[i + 1] as string]);
    }
    for (const [p, s] of pairs) {
      const node = this.nodeMap.get(p);
      if (node?.kind !== 'processor') {
        throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_NODE', `Topology.connectProcessorAndStateStores: "${p}" is not a processor of this topology`);
      }
      if (!this.storeMap.has(s)) {
        throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_STORE', `Topology.connectProcessorAndStateStores: store "${s}" does not exist; add it with addStateStore first`);
      }
      if (!node.stores.includes(s)) this.nodeMap.set(p, Object.freeze({ ...node, stores: Object.freeze([...node.stores, s]) }));
      const users = this.storeUsers.get(s) as string[];
      if (!users.includes(p)) users.push(p);
    }
    return this;
  }

  /** All nodes in insertion order. */
  nodes(): readonly TopologyNode[] {
    return [...this.nodeMap.values()];
  }

  node(name: string): TopologyNode | undefined {
    return this.nodeMap.get(name);
  }

  stores(): readonly StoreDefinition[] {
    return [...this.storeMap.values()];
  }

  /** A task store or a global store by name. */
  store(name: string): StoreDefinition | undefined {
    return this.storeMap.get(name) ?? this.globalStoreMap.get(name)?.store ?? this.staticStoreMap.get(name)?.store;
  }

  /** Children of a node, in insertion order. */
  children(name: string): string[] {
    const out: string[] = [];
    for (const n of this.nodeMap.values()) if (n.kind !== 'source' && n.parents.includes(name)) out.push(n.name);
    return out;
  }

  /** Splits the graph into connected parts; processors sharing a store belong together. */
  subTopologies(): SubTopology[] {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r) as string;
      parent.set(x, r);
      return r;
    };
    const union = (a: string, b: string) => parent.set(find(a), find(b));
    for (const n of this.nodeMap.keys()) parent.set(n, n);
    for (const n of this.nodeMap.values()) if (n.kind !== 'source') for (const p of n.parents) union(n.name, p);
    for (const users of this.storeUsers.values()) for (let i = 1; i < users.length; i++) union(users[0] as string, users[i] as string);

    const groups = new Map<string, TopologyNode[]>();
    for (const n of this.nodeMap.values()) {
      const root = find(n.name);
      const g = groups.get(root);
      if (g === undefined) groups.set(root, [n]);
      else g.push(n);
    }
    return [...groups.values()].map((nodes, id) => ({
      id,
      nodes,
      sourceTopics: nodes.flatMap((n) => (n.kind === 'source' ? n.topics : [])),
      stores: [...new Set(nodes.flatMap((n) => (n.kind === 'processor' ? n.stores : [])))],
    }));
  }

  /** Kafka Streams' text description; `.toMermaid()` draws it. */
  describe(): TopologyDescription {
    return describeTopology(this);
  }

  /** Stops further changes; the runtime calls this when it starts. */
  seal(): this {
    this.sealed = true;
    return this;
  }
}
