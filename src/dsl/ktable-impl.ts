import { ConfigError, TopologyError } from '../errors.js';
import { aggregateProcessor } from '../processors/aggregate.js';
import type { ProcessorSupplier } from '../processors/processor.js';
import { consoleOptions, consoleSinkProcessor } from '../processors/console-sink.js';
import { suppressProcessor } from '../processors/suppress.js';
import { suppressedEntrySerde } from '../serde/suppressed-entry-serde.js';
import { latin1KeySerde } from '../state/byte-keys.js';
import { tableMaterializeProcessor } from '../processors/table-source.js';
import { tableTableJoinProcessor, type TableJoinMode } from '../processors/table-table-join.js';
import { fkOtherUpdateProcessor, fkResultProcessor, fkSubscribeProcessor, fkSubscriptionProcessor, joinUpdateSerde, subscriptionKeySerde, subscriptionSerde } from '../processors/foreign-key-join.js';
import { tableFilterProcessor, tableGroupByProcessor, tableMapValuesProcessor, toStreamProcessor, type GroupedChange } from '../processors/table-ops.js';
import { groupedChangeSerde } from '../serde/grouped-change-serde.js';
import type { Serde } from '../serde/serde.js';
import { internalSerde, type StreamHandle } from './builder-context.js';
import type { KGroupedTable } from './kgrouped-table.js';
import type { KStream } from './kstream.js';
import { KStreamImpl } from './kstream-impl.js';
import type { KTable } from './ktable.js';
import type { ConsoleOptions, Grouped, Materialized, Named } from './options.js';
import { passThroughProcessor } from '../processors/pass-through.js';
import { throughRepartitionTopic } from './repartition.js';
import type { Suppressed } from './suppressed.js';

/** What a windowed table knows about its windows, for `suppress(untilWindowCloses())`. */
export interface TableWindowing {
  readonly graceMs: number;
  /** Session and sliding windows end inclusively. */
  readonly inclusiveEnd?: boolean;
  /** Set when the table comes from the WASM kernel: suppression switches the kernel to final emission instead. */
  readonly kernelStore?: string;
}

export class KTableImpl<K, V> implements KTable<K, V> {
  constructor(
    readonly h: StreamHandle,
    /** Set once the table is materialized (an aggregation's store, or one added for a join). */
    readonly queryableStoreName: string | undefined,
    readonly windowing: TableWindowing | undefined,
  ) {}

  private then<VR>(prefix: string, named: Named | undefined, supplier: ProcessorSupplier, valueChanged: boolean, keepStore: boolean): KTableImpl<K, VR> {
    const name = named?.name ?? this.h.ctx.next(prefix);
    this.h.ctx.topology.addProcessor(name, supplier, this.h.node);
    return new KTableImpl<K, VR>(
      { ...this.h, node: name, valueSerde: valueChanged ? undefined : this.h.valueSerde },
      keepStore ? this.queryableStoreName : undefined,
      this.windowing,
    );
  }

  /**
   * The store holding this table's rows, adding one after this node if the
   * table is not materialized yet (joins look rows up there).
   */
  materializedStore(api: string): string {
    if (this.queryableStoreName !== undefined) return this.queryableStoreName;
    const ctx = this.h.ctx;
    const name = ctx.next('KTABLE-MATERIALIZE-');
    const store = ctx.addStore(
      { name: undefined, prefix: 'KTABLE-MATERIALIZE-STATE-STORE-', type: 'key-value', keySerde: this.h.keySerde, valueSerde: this.h.valueSerde },
      api,
      `use a table whose store has a name: builder.table('users', {}, { storeName: 'users' }), an aggregation given { storeName }, or for a filtered or mapped table table.toStream().toTable({}, { storeName: 'users' })`,
    );
    ctx.topology.addProcessor(name, tableMaterializeProcessor(store.name) as ProcessorSupplier, this.h.node);
    ctx.topology.addStateStore(store, name);
    (this as { h: StreamHandle }).h = { ...this.h, node: name };
    (this as { queryableStoreName: string | undefined }).queryableStoreName = store.name;
    return store.name;
  }

  join<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO, joiner: (value: V, otherValue: VO, key: K) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;
  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO, key: K) => VR, named?: Named): KTable<K, VR>;
  join(other: unknown, a: unknown, b?: unknown, c?: unknown, d?: unknown): KTable<K, unknown> {
    if (typeof b === 'function') return this.joinForeignKey('KTable.join', false, other, a as (v: V) => unknown, b as (v: V, o: unknown, k: K) => unknown, c as Named | undefined, d as Materialized<K, unknown> | undefined);
    return this.joinTable('inner', other as KTable<K, unknown>, a as (value: V | undefined, otherValue: unknown, key: K) => unknown, b as Named | undefined);
  }

  leftJoin<KO, VO, VR>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null | undefined, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR>;
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | undefined, key: K) => VR, named?: Named): KTable<K, VR>;
  leftJoin(other: unknown, a: unknown, b?: unknown, c?: unknown, d?: unknown): KTable<K, unknown> {
    if (typeof b === 'function') return this.joinForeignKey('KTable.leftJoin', true, other, a as (v: V) => unknown, b as (v: V, o: unknown, k: K) => unknown, c as Named | undefined, d as Materialized<K, unknown> | undefined);
    return this.joinTable('left', other as KTable<K, unknown>, a as (value: V | undefined, otherValue: unknown, key: K) => unknown, b as Named | undefined);
  }

  /** See the steps in `processors/foreign-key-join.ts`. */
  private joinForeignKey(
    api: string,
    left: boolean,
    other: unknown,
    foreignKey: (value: V) => unknown,
    joiner: (value: V, otherValue: unknown, key: K) => unknown,
    named: Named | undefined,
    materialized: Materialized<K, unknown> | undefined,
  ): KTable<K, unknown> {
    if (!(other instanceof KTableImpl) || other.h.ctx !== this.h.ctx) {
      throw new TopologyError('RIVULET_TOPOLOGY_FOREIGN_TABLE', `${api}: the other table must come from the same StreamsBuilder`);
    }
    const ctx = this.h.ctx;
    const o = other as KTableImpl<unknown, unknown>;
    const thisStore = this.materializedStore(api);
    const otherStore = o.materializedStore(api);
    const base = named?.name ?? ctx.next('KTABLE-FK-JOIN-');
    const keySerde = (this.h.keySerde ?? internalSerde) as Serde<K>;
    const valueSerde = (this.h.valueSerde ?? internalSerde) as Serde<V>;
    const fkSerde = (o.h.keySerde ?? internalSerde) as Serde<unknown>;
    const otherValueSerde = (o.h.valueSerde ?? internalSerde) as Serde<unknown>;
    const subscribe = `${base}-subscribe`;
    const result = `${base}-result`;
    const registration = `${base}-subscription-registration`;
    const response = `${base}-subscription-response`;
    // Step 1 (this table's tasks): subscriptions to the foreign key.
    ctx.topology.addProcessor(subscribe, fkSubscribeProcessor({ foreignKey, foreignKeySerde: fkSerde, valueSerde, subscriptionSink: `${registration}-sink`, resultNode: result }) as ProcessorSupplier, this.h.node);
    ctx.topology.addSink(`${registration}-sink`, registration, { keySerde: fkSerde, valueSerde: subscriptionSerde(keySerde) as Serde<unknown>, internal: true, partitionsFrom: o.h.node }, subscribe);
    ctx.topology.addSource(`${registration}-source`, [registration], { keySerde: fkSerde, valueSerde: subscriptionSerde(keySerde) as Serde<unknown>, internal: true });
    // Step 2 (the other table's tasks): subscriptions kept by foreign key; answers to new subscribers and on changes.
    const subs = ctx.addStore(
      { name: materialized?.storeName === undefined ? undefined : `${materialized.storeName}-subscriptions`, prefix: `${base}-SUBSCRIPTION-STATE-STORE-`, type: 'key-value', keySerde: subscriptionKeySerde(fkSerde, keySerde) as Serde<unknown>, valueSerde: internalSerde },
      api,
    );
    const subscriptions = `${base}-subscriptions`;
    const otherUpdates = `${base}-other-updates`;
    ctx.topology.addProcessor(subscriptions, fkSubscriptionProcessor({ subscriptionStore: subs.name, otherStore }) as ProcessorSupplier, `${registration}-source`);
    ctx.topology.addProcessor(otherUpdates, fkOtherUpdateProcessor({ subscriptionStore: subs.name, otherStore }) as ProcessorSupplier, o.h.node);
    ctx.topology.addStateStore(subs, subscriptions, otherUpdates);
    ctx.topology.connectProcessorAndStateStores(subscriptions, otherStore);
    ctx.topology.requireCopartitioned(api, subscriptions, otherUpdates);
    const updates = joinUpdateSerde(otherValueSerde) as Serde<unknown>;
    ctx.topology.addSink(`${response}-sink`, response, { keySerde: keySerde as Serde<unknown>, valueSerde: updates, internal: true, partitionsFrom: this.h.node }, subscriptions, otherUpdates);
    ctx.topology.addSource(`${response}-source`, [response], { keySerde: keySerde as Serde<unknown>, valueSerde: updates, internal: true });
    // Step 3 (this table's tasks): answers joined with the current row.
    const results = ctx.addStore(
      { name: materialized?.storeName, prefix: `${base}-RESULT-STATE-STORE-`, type: 'key-value', keySerde: keySerde as Serde<unknown>, valueSerde: materialized?.valueSerde as Serde<unknown> | undefined },
      api,
    );
    ctx.topology.addProcessor(result, fkResultProcessor({ thisStore, resultStore: results.name, valueSerde, left, joiner }) as ProcessorSupplier, `${response}-source`, subscribe);
    ctx.topology.addStateStore(results, result);
    ctx.topology.connectProcessorAndStateStores(result, thisStore);
    ctx.topology.requireCopartitioned(api, result);
    return new KTableImpl<K, unknown>({ ctx, node: result, keySerde: this.h.keySerde, valueSerde: materialized?.valueSerde as Serde<unknown> | undefined, repartitionRequired: false }, results.name, undefined);
  }

  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | undefined, otherValue: VO | undefined, key: K) => VR, named?: Named): KTable<K, VR> {
    return this.joinTable('outer', other, joiner, named);
  }

  private joinTable<VO, VR>(mode: TableJoinMode, other: KTable<K, VO>, joiner: (value: V | undefined, otherValue: VO | undefined, key: K) => VR, named: Named | undefined): KTable<K, VR> {
    const api = `KTable.${mode === 'inner' ? 'join' : `${mode}Join`}`;
    if (!(other instanceof KTableImpl) || other.h.ctx !== this.h.ctx) {
      throw new TopologyError('RIVULET_TOPOLOGY_FOREIGN_TABLE', `${api}: the other table must come from the same StreamsBuilder`);
    }
    const ctx = this.h.ctx;
    const thisStore = this.materializedStore(api);
    const otherStore = (other as KTableImpl<K, VO>).materializedStore(api);
    const base = named?.name ?? ctx.next('KTABLE-JOIN-');
    const left = `${base}-left`;
    const right = `${base}-right`;
    ctx.topology.addProcessor(left, tableTableJoinProcessor({ side: 'left', otherStore, mode, joiner }) as ProcessorSupplier, this.h.node);
    ctx.topology.addProcessor(right, tableTableJoinProcessor({ side: 'right', otherStore: thisStore, mode, joiner }) as ProcessorSupplier, other.h.node);
    ctx.topology.connectProcessorAndStateStores(left, otherStore, right, thisStore);
    ctx.topology.addProcessor(base, passThroughProcessor() as ProcessorSupplier, left, right);
    ctx.topology.requireCopartitioned(api, left, right);
    return new KTableImpl<K, VR>({ ctx, node: base, keySerde: this.h.keySerde, valueSerde: undefined, repartitionRequired: false }, undefined, undefined);
  }

  toConsole(options: ConsoleOptions & { readonly mode?: 'update' | 'complete' } = {}): void {
    const mode = options.mode ?? 'update';
    if (mode !== 'update' && mode !== 'complete') {
      throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KTable.toConsole: mode must be 'update' or 'complete' for a table (got ${JSON.stringify(mode)}); print a stream for 'append'`);
    }
    const storeName = mode === 'complete' ? this.materializedStore('KTable.toConsole') : undefined;
    const name = options.name ?? this.h.ctx.next('KTABLE-CONSOLE-');
    this.h.ctx.topology.addProcessor(name, consoleSinkProcessor({ ...consoleOptions(mode, options), ...(storeName === undefined ? {} : { storeName }) }) as ProcessorSupplier, this.h.node);
    if (storeName !== undefined) this.h.ctx.topology.connectProcessorAndStateStores(name, storeName);
  }

  filter(predicate: (key: K, value: V) => boolean, named?: Named): KTable<K, V> {
    return this.then('KTABLE-FILTER-', named, tableFilterProcessor(predicate, true) as ProcessorSupplier, false, false);
  }

  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KTable<K, V> {
    return this.then('KTABLE-FILTER-', named, tableFilterProcessor(predicate, false) as ProcessorSupplier, false, false);
  }

  mapValues<VR>(mapper: (value: V, key: K) => VR, named?: Named): KTable<K, VR> {
    return this.then<VR>('KTABLE-MAPVALUES-', named, tableMapValuesProcessor(mapper) as ProcessorSupplier, true, false);
  }

  toStream(named?: Named): KStream<K, V> {
    const name = named?.name ?? this.h.ctx.next('KTABLE-TOSTREAM-');
    this.h.ctx.topology.addProcessor(name, toStreamProcessor() as ProcessorSupplier, this.h.node);
    return new KStreamImpl<K, V>({ ...this.h, node: name, repartitionRequired: false });
  }

  groupBy<KR, VR>(selector: (key: K, value: V) => { key: KR; value: VR }, grouped: Grouped<KR, VR> = {}): KGroupedTable<KR, VR> {
    const ctx = this.h.ctx;
    const name = grouped.name ?? ctx.next('KTABLE-SELECT-');
    ctx.topology.addProcessor(name, tableGroupByProcessor(selector) as ProcessorSupplier, this.h.node);
    const valueSerde = groupedChangeSerde((grouped.valueSerde ?? internalSerde) as Serde<VR>) as Serde<unknown>;
    const repartitioned = throughRepartitionTopic(
      { ctx, node: name, keySerde: grouped.keySerde as Serde<unknown> | undefined, valueSerde, repartitionRequired: true },
      name,
      grouped.keySerde as Serde<unknown> | undefined,
      valueSerde,
    );
    return new KGroupedTableImpl<KR, VR>(repartitioned, grouped.keySerde as Serde<KR> | undefined);
  }

  suppress(suppressed: Suppressed, named?: Named): KTable<K, V> {
    const ctx = this.h.ctx;
    if (suppressed.kind === 'untilWindowCloses' && this.windowing === undefined) {
      // Kafka Streams rejects this at build time too: only windowed results have a close time.
      throw new TopologyError(
        'RIVULET_TOPOLOGY_NOT_WINDOWED',
        'KTable.suppress: untilWindowCloses needs a windowed table (from windowedBy(...)); use Suppressed.untilTimeLimit to rate-limit other tables',
      );
    }
    const name = named?.name ?? ctx.next('KTABLE-SUPPRESS-');
    if (suppressed.kind === 'untilWindowCloses' && this.windowing?.kernelStore !== undefined) {
      // The kernel emits each window once when it closes: that is exactly this suppression.
      const def = ctx.topology.store(this.windowing.kernelStore);
      if (def?.kernel !== undefined) ctx.topology.updateStore({ ...def, kernel: { ...def.kernel, emit: 'final' } });
      ctx.topology.addProcessor(name, passThroughProcessor() as ProcessorSupplier, this.h.node);
    } else {
      const keySerde = (this.h.keySerde ?? internalSerde) as Serde<K>;
      const valueSerde = (this.h.valueSerde ?? internalSerde) as Serde<V>;
      // The buffer is a changelogged store (Kafka Streams' KTABLE-SUPPRESS-STATE-STORE): held-back
      // results survive rebalances and crashes instead of being lost with the task.
      const store = ctx.addStore(
        {
          name: named?.name === undefined ? undefined : `${named.name}-store`,
          prefix: 'KTABLE-SUPPRESS-STATE-STORE-',
          type: 'key-value',
          keySerde: latin1KeySerde as Serde<unknown>,
          valueSerde: suppressedEntrySerde(keySerde, valueSerde, this.windowing !== undefined) as Serde<unknown>,
          persistent: false,
        },
        'KTable.suppress',
        `pass { name: 'my-suppress' } as suppress()'s second argument (Named), e.g. suppress(Suppressed.untilWindowCloses(), { name: 'final-counts' })`,
      );
      ctx.topology.addProcessor(
        name,
        suppressProcessor<K, V>({ name, suppressed, keySerde, valueSerde, graceMs: this.windowing?.graceMs ?? 0, inclusiveEnd: this.windowing?.inclusiveEnd ?? false, storeName: store.name }) as ProcessorSupplier,
        this.h.node,
      );
      ctx.topology.addStateStore(store, name);
    }
    return new KTableImpl<K, V>({ ...this.h, node: name }, undefined, this.windowing);
  }
}

export class KGroupedTableImpl<K, V> implements KGroupedTable<K, V> {
  constructor(
    private readonly h: StreamHandle,
    private readonly keySerde: Serde<K> | undefined,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, n: number) => n + 1, (_k, _v, n: number) => n - 1, materialized);
  }

  reduce(adder: (aggregate: V, value: V) => V, subtractor: (aggregate: V, value: V) => V, materialized: Materialized<K, V> = {}): KTable<K, V> {
    return this.aggregate<V>(
      () => undefined as unknown as V,
      (_k, v, agg) => (agg === undefined ? v : adder(agg, v)),
      (_k, v, agg) => subtractor(agg, v),
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<K, VA> {
    const ctx = this.h.ctx;
    const name = ctx.next('KTABLE-AGGREGATE-');
    const store = ctx.addStore(
      {
        name: materialized.storeName,
        prefix: 'KTABLE-AGGREGATE-STATE-STORE-',
        type: 'key-value',
        keySerde: (materialized.keySerde ?? this.keySerde) as Serde<unknown> | undefined,
        valueSerde: materialized.valueSerde as Serde<unknown> | undefined,
        persistent: materialized.persistent,
        changelog: materialized.loggingEnabled,
      },
      'KGroupedTable.aggregate',
    );
    const aggregator = (key: K, change: GroupedChange<V>, agg: VA): VA => (change.op === 'add' ? adder(key, change.value, agg) : subtractor(key, change.value, agg));
    ctx.topology.addProcessor(
      name,
      aggregateProcessor<K, GroupedChange<V>, VA>({
        storeName: store.name,
        keySerde: store.keySerde as Serde<K>,
        initializer,
        aggregator,
        caching: materialized.cachingEnabled ?? true,
      }) as ProcessorSupplier,
      this.h.node,
    );
    ctx.topology.addStateStore(store, name);
    const keySerde = (materialized.keySerde ?? this.keySerde) as Serde<unknown> | undefined;
    return new KTableImpl<K, VA>({ ctx, node: name, keySerde, valueSerde: materialized.valueSerde as Serde<unknown> | undefined, repartitionRequired: false }, store.name, undefined);
  }
}
