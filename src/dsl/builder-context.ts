import { jsonSerde } from '../serde/json-serde.js';
import type { Serde } from '../serde/serde.js';
import type { StoreDefinition, StoreType } from '../topology/store-definition.js';
import { Topology } from '../topology/topology.js';
import type { WindowSpec } from '../wasm/window-stats-kernel.js';

/** Serde used for internal topics and stores when the application gives none: exact JSON round trips. */
export const internalSerde: Serde<unknown> = jsonSerde();

/** Shared state of one `StreamsBuilder`: the topology under construction and the name counter. */
export class BuilderContext {
  readonly topology = new Topology();
  private counter = 0;

  /** Kafka Streams' generated names: `<PREFIX><10-digit index>`. */
  next(prefix: string): string {
    return `${prefix}${String(this.counter++).padStart(10, '0')}`;
  }

  /** Registers a store; warns when its name was generated (renaming operators later loses the state). */
  addStore(
    def: {
      name: string | undefined;
      prefix: string;
      type: StoreType;
      keySerde: Serde<unknown> | undefined;
      valueSerde: Serde<unknown> | undefined;
      persistent?: boolean | undefined;
      changelog?: boolean | undefined;
      retentionMs?: number;
      windowSizeMs?: number;
      kernel?: WindowSpec;
      timestamped?: boolean;
    },
    api: string,
    /** How the user names this store, if not through the options' `storeName` field. */
    remedy = `pass { storeName: 'my-store' } as the operation's Materialized options, e.g. count({ storeName: 'counts' }) or builder.table('users', {}, { storeName: 'users' })`,
  ): StoreDefinition {
    const generated = def.name === undefined;
    const name = def.name ?? this.next(def.prefix);
    if (generated) {
      this.topology.warnings.push(
        `${api}: store "${name}" has a generated name; if operators are added or removed before this one, the name changes and its state and changelog are lost. Name it: ${remedy}.`,
      );
    }
    const store: StoreDefinition = {
      name,
      type: def.type,
      persistent: def.persistent ?? true,
      changelog: def.changelog ?? true,
      keySerde: def.keySerde ?? internalSerde,
      valueSerde: def.valueSerde ?? internalSerde,
      generatedName: generated,
      ...(def.retentionMs === undefined ? {} : { retentionMs: def.retentionMs }),
      ...(def.windowSizeMs === undefined ? {} : { windowSizeMs: def.windowSizeMs }),
      ...(def.kernel === undefined ? {} : { kernel: def.kernel }),
      ...(def.timestamped === true ? { timestamped: true } : {}),
    };
    return store;
  }
}

/** What every DSL stream/table handle carries: the node producing it and its known serdes. */
export interface StreamHandle {
  readonly ctx: BuilderContext;
  readonly node: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  /** The key changed since the source: grouping must repartition first. */
  readonly repartitionRequired: boolean;
}
