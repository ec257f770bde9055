import type { Serde } from '../serde/serde.js';
import { bytesToKey, latin1KeySerde } from './byte-keys.js';
import type { KeyValueEntry, KeyValueStore } from './store-api.js';
import { WorkingTable, type PersistableState, type StoreChange } from './working-table.js';

/** A task's key-value store, served from memory; changes are persisted at commit. */
export class WorkingKeyValueStore<K, V> implements KeyValueStore<K, V>, PersistableState {
  private readonly table = new WorkingTable<KeyValueEntry<K, V>>();

  constructor(
    readonly name: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  private k(key: K): string {
    if ((this.keySerde as Serde<unknown>) === latin1KeySerde) return key as unknown as string;
    return bytesToKey(this.keySerde.serialize(key));
  }

  get(key: K): V | undefined {
    return this.table.get(this.k(key))?.value;
  }

  put(key: K, value: V): void {
    if (value === undefined || value === null) {
      this.delete(key);
      return;
    }
    this.table.set(this.k(key), { key, value });
  }

  putIfAbsent(key: K, value: V): V | undefined {
    const old = this.get(key);
    if (old === undefined) this.put(key, value);
    return old;
  }

  delete(key: K): V | undefined {
    return this.table.delete(this.k(key))?.value;
  }

  private entries(keys: string[]): KeyValueEntry<K, V>[] {
    return keys.map((k) => this.table.get(k) as KeyValueEntry<K, V>);
  }

  range(from?: K, to?: K): KeyValueEntry<K, V>[] {
    return this.entries(this.table.keysInRange(from === undefined ? undefined : this.k(from), to === undefined ? undefined : this.k(to)));
  }

  reverseRange(from?: K, to?: K): KeyValueEntry<K, V>[] {
    return this.range(from, to).reverse();
  }

  all(): KeyValueEntry<K, V>[] {
    return this.range();
  }

  prefixScan(prefix: K): KeyValueEntry<K, V>[] {
    const p = this.k(prefix);
    // Keys are latin1 strings: every key starting with p sorts before p + U+0100.
    return this.entries(this.table.keysInRange(p, `${p}\u0100`));
  }

  approximateNumEntries(): number {
    return this.table.size;
  }

  size(): number {
    return this.table.size;
  }

  drainChanges(): StoreChange[] {
    return this.table.drainChanges((e) => this.valueSerde.serialize(e.value));
  }

  restore(key: Uint8Array, value: Uint8Array | null): void {
    this.table.restore(key, value, (_, v) => ({ key: this.keySerde.deserialize(key), value: this.valueSerde.deserialize(v) }));
  }
}
