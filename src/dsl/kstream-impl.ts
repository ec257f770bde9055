import { ConfigError, TopologyError } from '../errors.js';
import { branchProcessor, type BranchRoute } from '../processors/branch.js';
import { filterProcessor } from '../processors/filter.js';
import { asyncMapProcessor, type AsyncCallContext, type AsyncMapOptions } from '../processors/async-map.js';
import { consoleOptions, consoleSinkProcessor } from '../processors/console-sink.js';
import { dedupeProcessor } from '../processors/dedupe.js';
import { fileSinkProcessor, type FileFormat } from '../processors/file-sink.js';
import { foreachBatchProcessor, type BatchInfo, type BatchRow } from '../processors/foreach-batch.js';
import { flatMapProcessor, flatMapValuesProcessor } from '../processors/flat-map.js';
import { globalTableJoinProcessor } from '../processors/global-table-join.js';
import { mapProcessor, mapValuesProcessor, selectKeyProcessor, type KeyValue } from '../processors/map.js';
import { passThroughProcessor } from '../processors/pass-through.js';
import { peekProcessor } from '../processors/peek.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import { streamStreamJoinProcessor, bufferedRecordsSerde, pendingRefsSerde, type StreamJoinMode } from '../processors/stream-stream-join.js';
import { streamTableJoinProcessor } from '../processors/stream-table-join.js';
import { tableSourceProcessor } from '../processors/table-source.js';
import type { Serde } from '../serde/serde.js';
import { keyValueSerde } from '../serde/key-value-serde.js';
import { stringSerde } from '../serde/string-serde.js';
import type { GlobalKTable } from './global-ktable.js';
import type { StoreDefinition } from '../topology/store-definition.js';
import type { TopicNameExtractor } from '../topology/topology-node.js';
import { internalSerde, type StreamHandle } from './builder-context.js';
import type { KGroupedStream } from './kgrouped-stream.js';
import { KGroupedStreamImpl } from './kgrouped-stream-impl.js';
import type { Branched, BranchedKStream, KStream, ProcessOptions } from './kstream.js';
import type { KTable } from './ktable.js';
import { KTableImpl } from './ktable-impl.js';
import type { AsyncOptions, ConsoleOptions, DedupeOptions, Grouped, Materialized, Named, Produced, Repartitioned, StreamJoined } from './options.js';
import { toMillis } from './duration.js';
import { repartitionIfRequired, throughRepartitionTopic } from './repartition.js';
import { JoinWindows } from './windows.js';

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

  join<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  join<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT, key: K) => VR, named?: Named): KStream<K, VR>;
  join<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV, key: K) => VR, named?: Named): KStream<K, VR>;
  join(other: unknown, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.joinAny('inner', other, a, b, c);
  }

  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | undefined, key: K) => VR, named?: Named): KStream<K, VR>;
  leftJoin<GK, GV, VR>(globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | undefined, key: K) => VR, named?: Named): KStream<K, VR>;
  leftJoin(other: unknown, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.joinAny('left', other, a, b, c);
  }

  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: (value: V | undefined, otherValue: VO | undefined, key: K) => VR, windows: JoinWindows, joined?: StreamJoined<K, V, VO>): KStream<K, VR> {
    return this.joinAny('outer', other, joiner, windows, joined) as KStream<K, VR>;
  }

  mapValuesAsync<VR>(fn: (value: V, key: K, call: AsyncCallContext) => Promise<VR>, options: AsyncOptions = {}): KStream<K, VR> {
    const api = 'KStream.mapValuesAsync';
    return this.then('KSTREAM-MAPVALUES-ASYNC-', options, asyncMapProcessor(this.asyncOptions(api, options, async (v: V, k: K, call) => [{ key: k, value: await fn(v, k, call) }])) as ProcessorSupplier, false, true);
  }

  flatMapAsync<KR, VR>(fn: (key: K, value: V, call: AsyncCallContext) => Promise<Iterable<KeyValue<KR, VR>>>, options: AsyncOptions = {}): KStream<KR, VR> {
    const api = 'KStream.flatMapAsync';
    return this.then('KSTREAM-FLATMAP-ASYNC-', options, asyncMapProcessor(this.asyncOptions(api, options, (v: V, k: K, call) => fn(k, v, call))) as ProcessorSupplier, true, true);
  }

  private asyncOptions<KR, VR>(api: string, options: AsyncOptions, fn: AsyncMapOptions<K, V, KR, VR>['fn']): AsyncMapOptions<K, V, KR, VR> {
    const int = (what: string, v: number | undefined, dflt: number, min: number): number => {
      const x = v ?? dflt;
      if (!Number.isInteger(x) || x < min) throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `${api}: ${what} must be an integer >= ${min} (got ${x})`);
      return x;
    };
    return {
      name: options.name ?? api,
      fn,
      concurrency: int('concurrency', options.concurrency, 8, 1),
      timeoutMs: int('timeoutMs', options.timeoutMs, 30_000, 1),
      retries: int('retries', options.retries, 2, 0),
      backoffMs: int('backoffMs', options.backoffMs, 100, 0),
    };
  }

  foreachBatch(fn: (rows: BatchRow<K, V>[], batch: BatchInfo) => void | Promise<void>, options: { readonly name?: string; readonly retries?: number; readonly backoffMs?: number } = {}): void {
    const ctx = this.h.ctx;
    const { name, store } = this.batchSink('KStream.foreachBatch', 'KSTREAM-FOREACHBATCH-', options.name);
    const retries = options.retries ?? 3;
    const backoffMs = options.backoffMs ?? 100;
    if (!Number.isInteger(retries) || retries < 0) throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KStream.foreachBatch: retries must be an integer >= 0 (got ${retries})`);
    ctx.topology.addProcessor(name, foreachBatchProcessor<K, V>({ name, storeName: store.name, fn, retries, backoffMs }) as ProcessorSupplier, this.h.node);
    ctx.topology.addStateStore(store, name);
  }

  /** A batch sink's name and the store of its batch ids (see `BatchIds`). */
  private batchSink(api: string, prefix: string, named: string | undefined): { name: string; store: StoreDefinition } {
    const ctx = this.h.ctx;
    const name = named ?? ctx.next(prefix);
    const store = ctx.addStore({ name: `${name}-batches`, prefix: '', type: 'key-value', keySerde: stringSerde() as Serde<unknown>, valueSerde: internalSerde }, api);
    if (named === undefined) {
      ctx.topology.warnings.push(`${api}: "${name}" has a generated name; if operators are added or removed before it, its batch ids start again at 0 and a batch pending at a crash may be dropped. Name it with { name }.`);
    }
    return { name, store };
  }

  toFile(path: string, options: { readonly format?: FileFormat; readonly columns?: readonly string[]; readonly name?: string } = {}): void {
    const ctx = this.h.ctx;
    const format = options.format ?? (path.endsWith('.csv') ? 'csv' : 'jsonl');
    if (format !== 'jsonl' && format !== 'csv') throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KStream.toFile: format must be 'jsonl' or 'csv' (got ${JSON.stringify(format)})`);
    const { name, store } = this.batchSink('KStream.toFile', 'KSTREAM-FILE-SINK-', options.name);
    ctx.topology.addProcessor(name, fileSinkProcessor({ path, format, storeName: store.name, ...(options.columns === undefined ? {} : { columns: options.columns }) }) as ProcessorSupplier, this.h.node);
    ctx.topology.addStateStore(store, name);
  }

  toConsole(options: ConsoleOptions = {}): void {
    const name = options.name ?? this.h.ctx.next('KSTREAM-CONSOLE-');
    this.h.ctx.topology.addProcessor(name, consoleSinkProcessor(consoleOptions('append', options)) as ProcessorSupplier, this.h.node);
  }

  dedupe(options: DedupeOptions<K, V>): KStream<K, V> {
    const ctx = this.h.ctx;
    const within = toMillis('KStream.dedupe', 'within', options.within, 0);
    const grace = options.grace === undefined ? within : toMillis('KStream.dedupe', 'grace', options.grace, 0);
    const name = options.name ?? ctx.next('KSTREAM-DEDUPE-');
    const keySerde = (this.h.keySerde ?? internalSerde) as Serde<K>;
    const valueSerde = (this.h.valueSerde ?? internalSerde) as Serde<V>;
    let input: StreamHandle;
    if (options.id === undefined) input = repartitionIfRequired(this.h, name, keySerde as Serde<unknown>, valueSerde as Serde<unknown>);
    else {
      const id = options.id;
      const byId = `${name}-by-id`;
      ctx.topology.addProcessor(byId, mapProcessor((k: K, v: V) => ({ key: id(k, v), value: { key: k, value: v } })) as ProcessorSupplier, this.h.node);
      input = throughRepartitionTopic({ ctx, node: byId, keySerde: undefined, valueSerde: undefined, repartitionRequired: true }, name, stringSerde(), keyValueSerde(keySerde, valueSerde) as Serde<unknown>);
    }
    const store = ctx.addStore(
      { name: options.storeName ?? `${name}-store`, prefix: '', type: 'window', keySerde: input.keySerde, valueSerde: internalSerde, retentionMs: 2 * within + grace + 1 },
      'KStream.dedupe',
    );
    if (options.name === undefined && options.storeName === undefined) {
      ctx.topology.warnings.push(`KStream.dedupe: store "${store.name}" has a generated name; if operators are added or removed before this one, the name changes and the sightings are lost. Name it with { name }.`);
    }
    ctx.topology.addProcessor(name, dedupeProcessor({ storeName: store.name, withinMs: within }) as ProcessorSupplier, input.node);
    ctx.topology.addStateStore(store, name);
    if (options.id === undefined) return new KStreamImpl<K, V>({ ...input, node: name });
    const back = `${name}-restore-key`;
    ctx.topology.addProcessor(back, mapProcessor((_id: string, kv: { key: K; value: V }) => kv) as ProcessorSupplier, name);
    // Partitioned by id now, not by key: a later grouping by key repartitions.
    return new KStreamImpl<K, V>({ ctx, node: back, keySerde, valueSerde, repartitionRequired: true });
  }

  /** Dispatches on what is joined: a stream (windowed), a table, or a global table. */
  private joinAny(mode: StreamJoinMode, other: unknown, a: unknown, b: unknown, c: unknown): KStream<K, unknown> {
    const api = `KStream.${mode === 'inner' ? 'join' : `${mode}Join`}`;
    type Joiner = (x: unknown, y: unknown, key: K) => unknown;
    if (other instanceof KStreamImpl) {
      if (!(b instanceof JoinWindows)) throw new ConfigError('RIVULET_CONFIG_JOIN_WINDOWS', `${api}: joining two streams needs JoinWindows as the third argument (got ${String(b)})`);
      return this.joinStream(api, mode, other as KStreamImpl<K, unknown>, a as Joiner, b, (c ?? {}) as StreamJoined<K, V, unknown>);
    }
    if (mode === 'outer') throw new ConfigError('RIVULET_CONFIG_UNSUPPORTED', `${api}: outer joins are between two streams or two tables`);
    if (other instanceof KTableImpl) return this.joinTable(api, mode, other as KTableImpl<K, unknown>, a as Joiner, b as Named | undefined);
    return this.joinGlobal(mode === 'inner' ? 'KSTREAM-JOIN-' : 'KSTREAM-LEFTJOIN-', other as GlobalKTable<unknown, unknown>, a as (key: K, value: V) => unknown, b as Joiner, mode === 'left', c as Named | undefined);
  }

  private joinTable(api: string, mode: StreamJoinMode, table: KTableImpl<K, unknown>, joiner: (value: V, row: unknown, key: K) => unknown, named: Named | undefined): KStream<K, unknown> {
    const ctx = this.h.ctx;
    if (table.h.ctx !== ctx) throw new TopologyError('RIVULET_TOPOLOGY_FOREIGN_TABLE', `${api}: the table must come from the same StreamsBuilder`);
    const storeName = table.materializedStore(api);
    const name = named?.name ?? ctx.next(mode === 'inner' ? 'KSTREAM-JOIN-' : 'KSTREAM-LEFTJOIN-');
    const input = repartitionIfRequired(this.h, name, this.h.keySerde, this.h.valueSerde);
    ctx.topology.addProcessor(name, streamTableJoinProcessor({ storeName, joiner, left: mode === 'left' }) as ProcessorSupplier, input.node);
    ctx.topology.connectProcessorAndStateStores(name, storeName);
    ctx.topology.requireCopartitioned(api, name, table.h.node);
    return new KStreamImpl<K, unknown>({ ctx, node: name, keySerde: input.keySerde, valueSerde: undefined, repartitionRequired: false });
  }

  private joinStream(api: string, mode: StreamJoinMode, other: KStreamImpl<K, unknown>, joiner: (x: unknown, y: unknown, key: K) => unknown, windows: JoinWindows, joined: StreamJoined<K, V, unknown>): KStream<K, unknown> {
    const ctx = this.h.ctx;
    if (other.h.ctx !== ctx) throw new TopologyError('RIVULET_TOPOLOGY_FOREIGN_STREAM', `${api}: the other stream must come from the same StreamsBuilder`);
    const name = joined.name ?? ctx.next('KSTREAM-JOIN-');
    if (joined.name === undefined) {
      ctx.topology.warnings.push(`${api}: the join stores "${name}-*-join-store" have generated names; if operators are added or removed before this one, the names change and the buffered records are lost. Name the join: pass { name: 'my-join' } as its StreamJoined argument, e.g. join(other, joiner, windows, { name: 'clicks-join' }).`);
    }
    const keySerde = (joined.keySerde ?? this.h.keySerde ?? other.h.keySerde) as Serde<unknown> | undefined;
    const leftIn = repartitionIfRequired(this.h, `${name}-left`, keySerde, (joined.valueSerde ?? this.h.valueSerde) as Serde<unknown> | undefined);
    const rightIn = repartitionIfRequired(other.h, `${name}-right`, keySerde, (joined.otherValueSerde ?? other.h.valueSerde) as Serde<unknown> | undefined);
    // A buffered record is needed while a partner can still arrive: before + after + grace behind stream time.
    const retentionMs = windows.beforeMs + windows.afterMs + windows.graceMs + 1;
    const buffer = (side: 'left' | 'right', valueSerde: Serde<unknown> | undefined) =>
      ctx.addStore(
        {
          name: `${name}-${side}-join-store`,
          prefix: '',
          type: 'window',
          keySerde,
          valueSerde: bufferedRecordsSerde(valueSerde ?? internalSerde) as Serde<unknown>,
          retentionMs,
        },
        api,
      );
    const leftStore = buffer('left', (joined.valueSerde ?? this.h.valueSerde) as Serde<unknown> | undefined);
    const rightStore = buffer('right', (joined.otherValueSerde ?? other.h.valueSerde) as Serde<unknown> | undefined);
    const pendingStore =
      mode === 'inner'
        ? undefined
        : ctx.addStore(
            { name: `${name}-outer-join-store`, prefix: '', type: 'window', keySerde: internalSerde, valueSerde: pendingRefsSerde(leftStore.keySerde) as Serde<unknown>, retentionMs },
            api,
          );
    const side = (s: 'left' | 'right') =>
      streamStreamJoinProcessor({
        side: s,
        mode,
        thisStore: s === 'left' ? leftStore.name : rightStore.name,
        otherStore: s === 'left' ? rightStore.name : leftStore.name,
        pendingStore: pendingStore?.name,
        beforeMs: windows.beforeMs,
        afterMs: windows.afterMs,
        graceMs: windows.graceMs,
        keySerde: leftStore.keySerde as Serde<K>,
        joiner,
      }) as ProcessorSupplier;
    const leftNode = `${name}-left`;
    const rightNode = `${name}-right`;
    ctx.topology.addProcessor(leftNode, side('left'), leftIn.node);
    ctx.topology.addProcessor(rightNode, side('right'), rightIn.node);
    const stores = [leftStore, rightStore, ...(pendingStore === undefined ? [] : [pendingStore])];
    for (const st of stores) ctx.topology.addStateStore(st, leftNode, rightNode);
    ctx.topology.addProcessor(name, passThroughProcessor() as ProcessorSupplier, leftNode, rightNode);
    ctx.topology.requireCopartitioned(api, leftNode, rightNode);
    return new KStreamImpl<K, unknown>({ ctx, node: name, keySerde, valueSerde: undefined, repartitionRequired: false });
  }

  private joinGlobal<GK, GV, VR>(prefix: string, globalTable: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, globalValue: GV | undefined, key: K) => VR, left: boolean, named: Named | undefined): KStream<K, VR> {
    const storeName = globalTable.queryableStoreName;
    const topology = this.h.ctx.topology;
    if (![...topology.globalStores(), ...topology.staticGlobalStores()].some((g) => g.store.name === storeName)) {
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
    const n = options.numberOfPartitions;
    if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
      throw new ConfigError('RIVULET_CONFIG_INVALID_PARTITIONS', `KStream.repartition: numberOfPartitions must be an integer >= 1 (got ${n})`);
    }
    const name = options.name ?? this.h.ctx.next('KSTREAM-REPARTITION-');
    const h = throughRepartitionTopic(
      this.h,
      name,
      options.keySerde as Serde<unknown> | undefined,
      options.valueSerde as Serde<unknown> | undefined,
      options.partitioner as Parameters<typeof throughRepartitionTopic>[4],
      n,
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
