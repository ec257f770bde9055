import { TopologyError } from '../errors.js';
import { branchProcessor, type BranchRoute } from '../processors/branch.js';
import { filterProcessor } from '../processors/filter.js';
import { flatMapProcessor, flatMapValuesProcessor } from '../processors/flat-map.js';
import { globalTableJoinProcessor } from '../processors/global-table-join.js';
import { mapProcessor, mapValuesProcessor, selectKeyProcessor, type KeyValue } from '../processors/map.js';
import { passThroughProcessor } from '../processors/pass-through.js';
import { peekProcessor } from '../processors/peek.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import { tableSourceProcessor } from '../processors/table-source.js';
import type { Serde } from '../serde/serde.js';
import type { GlobalKTable } from './global-ktable.js';
import type { TopicNameExtractor } from '../topology/topology-node.js';
import type { StreamHandle } from './builder-context.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { Branched, BranchedKStream, KStream, ProcessOptions } from './kstream.js';
import type { KTable } from './ktable.js';
import { KTableImpl } from './ktable-impl.js';
import type { Grouped, Materialized, Named, Produced, Repartitioned } from './options.js';
import { throughRepartitionTopic } from './repartition.js';

export class KStreamImpl<K, V> implements KStream<K, V> {
  constructor(readonly h: StreamHandle) {}

  /** Adds a processor after this stream and returns the stream of its output. */
  private then<KR, VR>(prefix: string, named: Named | undefined, supplier: ProcessorSupplier, keyChanged: boolean, valueChanged: boolean): KStreamImpl<KR, VR> {
    const name = named?.name ?? this.h.ctx.next(prefix);
    this.h.ctx.topology.addProcessor(name, supplier, this.h.node);
    return new KStreamImpl<KR, VR>({
      ctx: this.h.ctx,
      node: name,
      keySerde: keyChanged ? undefined : this.h.keySerde,
      valueSerde: valueChanged ? undefined : this.h.valueSerde,
      repartitionRequired: this.h.repartitionRequired || keyChanged,
    });
  }

  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-FILTER-', named, filterProcessor(predicate, true) as ProcessorSupplier, false, false);
  }

  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-FILTER-', named, filterProcessor(predicate, false) as ProcessorSupplier, false, false);
  }

  map<KR, VR>(mapper: (key: K, value: V) => KeyValue<KR, VR>, named?: Named): KStream<KR, VR> {
    return this.then('KSTREAM-MAP-', named, mapProcessor(mapper) as ProcessorSupplier, true, true);
  }

  join<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV, key: K) => VR, named?: Named): KStream<K, VR> {
    return this.joinGlobal('KSTREAM-JOIN-', globalTable, keySelector, joiner as (value: V, globalValue: GV | undefined, key: K) => VR, false, named);
  }

  leftJoin<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | undefined, key: K) => VR, named?: Named): KStream<K, VR> {
    return this.joinGlobal('KSTREAM-LEFTJOIN-', globalTable, keySelector, joiner, true, named);
  }

  private joinGlobal<GK, GV, VR>(prefix: string, globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | undefined, key: K) => VR, left: boolean, named: Named | undefined): KStream<K, VR> {
    const storeName = globalTable.queryableStoreName;
    if (!this.h.ctx.topology.globalStores().some((g) => g.store.name === storeName)) {
      throw new TopologyError('RIVULET_TOPOLOGY_UNKNOWN_STORE', `KStream.${left ? 'leftJoin' : 'join'}: "${storeName}" is not a global table of this builder; create it with StreamsBuilder.globalTable`);
    }
    return this.then(prefix, named, globalTableJoinProcessor({ storeName, keySelector, joiner, left }) as ProcessorSupplier, false, true);
  }

  mapValues<VR>(mapper: (value: V, key: K) => VR, named?: Named): KStream<K, VR> {
    return this.then('KSTREAM-MAPVALUES-', named, mapValuesProcessor(mapper) as ProcessorSupplier, false, true);
  }

  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>, named?: Named): KStream<KR, VR> {
    return this.then('KSTREAM-FLATMAP-', named, flatMapProcessor(mapper) as ProcessorSupplier, true, true);
  }

  flatMapValues<VR>(mapper: (value: V, key: K) => Iterable<VR>, named?: Named): KStream<K, VR> {
    return this.then('KSTREAM-FLATMAPVALUES-', named, flatMapValuesProcessor(mapper) as ProcessorSupplier, false, true);
  }

  selectKey<KR>(mapper: (key: K, value: V) => KR, named?: Named): KStream<KR, V> {
    return this.then('KSTREAM-KEY-SELECT-', named, selectKeyProcessor(mapper) as ProcessorSupplier, true, false);
  }

  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-PEEK-', named, peekProcessor(action, true) as ProcessorSupplier, false, false);
  }

  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.then('KSTREAM-FOREACH-', named, peekProcessor(action, false) as ProcessorSupplier, false, false);
  }

  split(named?: Named): BranchedKStream<K, V> {
    return new BranchedKStreamImpl<K, V>(this.h, named?.name ?? `${this.h.ctx.next('KSTREAM-BRANCH-')}-`);
  }

  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    const o = (other as KStreamImpl<K, V>).h;
    if (o.ctx !== this.h.ctx) throw new TopologyError('RIVULET_TOPOLOGY_FOREIGN_STREAM', 'KStream.merge: both streams must come from the same StreamsBuilder');
    const name = named?.name ?? this.h.ctx.next('KSTREAM-MERGE-');
    this.h.ctx.topology.addProcessor(name, passThroughProcessor() as ProcessorSupplier, this.h.node, o.node);
    return new KStreamImpl<K, V>({
      ctx: this.h.ctx,
      node: name,
      keySerde: this.h.keySerde,
      valueSerde: this.h.valueSerde,
      repartitionRequired: this.h.repartitionRequired || o.repartitionRequired,
    });
  }

  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    const name = options.name ?? this.h.ctx.next('KSTREAM-REPARTITION-');
    const h = throughRepartitionTopic(
      this.h,
      name,
      options.keySerde as Serde<unknown> | undefined,
      options.valueSerde as Serde<unknown> | undefined,
      options.partitioner as Parameters<typeof throughRepartitionTopic>[4],
    );
    return new KStreamImpl<K, V>(h);
  }

  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V> = {}): void {
    const name = produced.name ?? this.h.ctx.next('KSTREAM-SINK-');
    this.h.ctx.topology.addSink(
      name,
      topic as string | TopicNameExtractor,
      {
        ...(produced.keySerde ?? this.h.keySerde ? { keySerde: (produced.keySerde ?? this.h.keySerde) as Serde<unknown> } : {}),
        ...(produced.valueSerde ?? this.h.valueSerde ? { valueSerde: (produced.valueSerde ?? this.h.valueSerde) as Serde<unknown> } : {}),
        ...(produced.partitioner ? { partitioner: produced.partitioner as NonNullable<Parameters<typeof throughRepartitionTopic>[4]> } : {}),
      },
      this.h.node,
    );
  }

  toTable(named?: Named, materialized: Materialized<K, V> = {}): KTable<K, V> {
    const name = named?.name ?? this.h.ctx.next('KSTREAM-TOTABLE-');
    const store = this.h.ctx.addStore(
      {
        name: materialized.storeName,
        prefix: 'KSTREAM-TOTABLE-STATE-STORE-',
        type: 'key-value',
        keySerde: (materialized.keySerde ?? this.h.keySerde) as Serde<unknown> | undefined,
        valueSerde: (materialized.valueSerde ?? this.h.valueSerde) as Serde<unknown> | undefined,
        persistent: materialized.persistent,
        changelog: materialized.loggingEnabled,
      },
      'KStream.toTable',
    );
    this.h.ctx.topology.addProcessor(name, tableSourceProcessor(store.name) as ProcessorSupplier, this.h.node);
    this.h.ctx.topology.addStateStore(store, name);
    return new KTableImpl<K, V>({ ...this.h, node: name, repartitionRequired: false }, store.name, undefined);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    return new KGroupedStreamImpl<K, V>(this.h, grouped);
  }

  groupBy<KR>(selector: (key: K, value: V) => KR, grouped: Grouped<KR, V> = {}): KGroupedStream<KR, V> {
    const selected = this.then<KR, V>('KSTREAM-KEY-SELECT-', undefined, selectKeyProcessor(selector) as ProcessorSupplier, true, false);
    return new KGroupedStreamImpl<KR, V>(selected.h, grouped);
  }

  process<KR, VR>(supplier: ProcessorSupplier<K, V, KR, VR>, options: ProcessOptions = {}): KStream<KR, VR> {
    const out = this.then<KR, VR>('KSTREAM-PROCESSOR-', options, supplier as ProcessorSupplier, true, true);
    if (options.stores?.length) this.h.ctx.topology.connectProcessorAndStateStores(out.h.node, ...options.stores);
    return out;
  }

  processValues<VR>(supplier: ProcessorSupplier<K, V, K, VR>, options: ProcessOptions = {}): KStream<K, VR> {
    const out = this.then<K, VR>('KSTREAM-PROCESSVALUES-', options, supplier as ProcessorSupplier, false, true);
    if (options.stores?.length) this.h.ctx.topology.connectProcessorAndStateStores(out.h.node, ...options.stores);
    return out;
  }
}

class BranchedKStreamImpl<K, V> implements BranchedKStream<K, V> {
  private readonly routes: BranchRoute<K, V>[] = [];
  private defaultChild: string | undefined;
  private readonly branches: Record<string, KStream<K, V>> = {};
  private added = false;

  constructor(
    private readonly h: StreamHandle,
    private readonly prefix: string,
  ) {}

  private ensureNode(): void {
    if (this.added) return;
    this.added = true;
    // The route table is filled as branches are declared; the processor reads it at init.
    this.h.ctx.topology.addProcessor(this.prefix, branchProcessor(this.routes, () => this.defaultChild) as ProcessorSupplier, this.h.node);
  }

  private addBranch(branched: Branched | undefined, index: number): string {
    this.ensureNode();
    const suffix = branched?.name ?? String(index);
    const name = `${this.prefix}${suffix}`;
    this.h.ctx.topology.addProcessor(name, passThroughProcessor() as ProcessorSupplier, this.prefix);
    this.branches[name] = new KStreamImpl<K, V>({ ...this.h, node: name });
    return name;
  }

  branch(predicate: (key: K, value: V) => boolean, branched?: Branched): BranchedKStream<K, V> {
    const child = this.addBranch(branched, this.routes.length + 1);
    this.routes.push({ predicate, child });
    return this;
  }

  defaultBranch(branched?: Branched): Record<string, KStream<K, V>> {
    this.defaultChild = this.addBranch(branched ?? { name: '0' }, 0);
    return this.branches;
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    this.ensureNode();
    return this.branches;
  }
}
