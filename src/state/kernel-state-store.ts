import { StateError } from '../errors.js';
import type { Serde } from '../serde/serde.js';
import { WasmWindowKernel } from '../wasm/wasm-window-kernel.js';
import { MAX_KEY_ID, type WindowSpec } from '../wasm/window-stats-kernel.js';
import { isStringSerde } from '../serde/string-serde.js';
import { KeyTable } from './key-table.js';
import type { ChangelogRecord } from './changelog-record.js';
import type { PersistableState, StoreChange } from './working-table.js';

/** Changelog key of the task record (stream time, counters). */
const TASK_KEY = Uint8Array.of(0);
/** Changelog keys of per-key records: this byte, then the serialized key. */
const KEY_PREFIX = 1;
/** The single key under which rivulet before the per-key changelog wrote the whole kernel state. */
const LEGACY_KEY = 'kernel';
/** First byte of a key record (`wasm-core/src/changelog.rs`); its key id follows at bytes 2..6. */
const KEY_RECORD_TAG = 0x4b;

/**
 * The state of a WASM-backed windowed statistics operator: the kernel and the
 * interning of the operator's keys to the dense u32 ids the kernel works on.
 *
 * Persisted per key: at commit, each key whose windows changed is one record
 * (`0x01 + serialized key` → its slices and accumulators), a key whose windows
 * all expired is a tombstone and its id goes to the next new key, and one small
 * task record (`0x00`) holds stream time and counters. A commit costs what
 * changed since the previous one, and compaction keeps the latest record per key.
 */
export class KernelStateStore<K> implements PersistableState {
  readonly kernel: WasmWindowKernel;
  /**
   * Serialized key ↔ id, in typed arrays: no JS object per key (at a million
   * keys per store, strings and map entries were most of the heap and of the
   * collector's work). Keys are decoded again when a result needs them.
   */
  private readonly table = new KeyTable();
  /** Ids below this are held or free. */
  private highWater = 0;
  /** Kernel ops of the restore batch being built: a key record, or `null` to forget `opIds[i]`. */
  private readonly opValues: (Uint8Array | null)[] = [];
  private readonly opIds: number[] = [];
  /** Ids released by tombstones, reused before new ones. */
  private free: number[] = [];
  /** Records were restored since the free ids were last known. */
  private restored = false;
  private changed = false;
  /** String keys under the UTF-8 string serde: ASCII ones are looked up by their characters, no serializing per record. */
  private readonly byString: boolean;

  constructor(
    readonly name: string,
    spec: WindowSpec,
    private readonly keySerde: Serde<K>,
  ) {
    this.kernel = new WasmWindowKernel(spec);
    this.byString = isStringSerde(keySerde as Serde<unknown>);
  }

  /** The kernel id of `key`, assigning a free id to a new key. */
  intern(key: K): number {
    let bytes: Uint8Array | undefined;
    let id = this.byString && typeof key === 'string' ? this.table.findAscii(key) : -2;
    if (id === -2) {
      bytes = this.keySerde.serialize(key);
      id = this.table.find(bytes);
    }
    if (id >= 0) return id;
    if (this.restored) this.collectFreeIds();
    let fresh = this.free.pop();
    if (fresh === undefined) {
      // Past the kernel's key space the kernel marks the record INVALID_KEY; the operator counts and drops it.
      if (this.highWater > MAX_KEY_ID) return MAX_KEY_ID + 1;
      fresh = this.highWater++;
    }
    if (bytes === undefined) this.table.bindAscii(fresh, key as string);
    else this.table.bind(fresh, bytes);
    return fresh;
  }

  keyOf(id: number): K {
    if (!this.table.has(id)) throw new StateError('RIVULET_STATE_UNKNOWN_KEY_ID', `${this.name}: kernel returned key id ${id}, which was never interned; the store state is inconsistent`);
    // ASCII is its own UTF-8: the string serde would decode the same string.
    if (this.byString && this.table.isAscii(id)) return this.table.latin1Of(id) as K;
    return this.keySerde.deserialize(this.table.bytesOf(id).slice());
  }

  /** Marks the kernel state as changed since the last commit. */
  touch(): void {
    this.changed = true;
  }

  /** Keys holding an id. */
  size(): number {
    return this.table.size;
  }

  drainChanges(): StoreChange[] {
    if (!this.changed) return [];
    this.changed = false;
    if (this.restored) this.collectFreeIds();
    const { task, keys } = this.kernel.exportChanges();
    const out: StoreChange[] = [];
    // Tombstones first: an id they release may be reused by a record of the same commit.
    for (const { id, record } of keys) {
      if (record !== null || !this.table.has(id)) continue;
      out.push({ key: this.recordKey(id), value: null });
      this.release(id);
    }
    for (const { id, record } of keys) {
      if (record === null) continue;
      if (!this.table.has(id)) throw new StateError('RIVULET_STATE_UNKNOWN_KEY_ID', `${this.name}: kernel changed key id ${id}, which was never interned; the store state is inconsistent`);
      out.push({ key: this.recordKey(id), value: record.slice() });
    }
    out.push({ key: TASK_KEY, value: task.slice() });
    return out;
  }

  restore(key: Uint8Array, value: Uint8Array | null): void {
    this.restoreBatch([{ key, value }]);
  }

  /**
   * Applies changelog records in offset order with one call into the kernel for
   * the batch: the key bookkeeping runs here, record by record, and queues the
   * kernel ops (key records, forgotten ids) in the same order.
   */
  restoreBatch(records: readonly ChangelogRecord[]): void {
    this.restored = true;
    try {
      for (const { key, value } of records) this.restoreOne(key, value);
    } finally {
      this.flushOps();
    }
  }

  private restoreOne(key: Uint8Array, value: Uint8Array | null): void {
    if (key.length === 1 && key[0] === TASK_KEY[0]) {
      // Stream time and counters do not depend on the key records around them.
      if (value !== null) this.kernel.importTask(value);
      return;
    }
    if (key[0] !== KEY_PREFIX) {
      const legacy = new TextDecoder().decode(key) === LEGACY_KEY;
      throw new StateError(
        'RIVULET_STATE_CORRUPT',
        legacy
          ? `${this.name}: the changelog holds the kernel state in the single-record layout of earlier rivulet versions (key 'kernel'), which this version no longer reads; reset the application's state: stop every instance, delete the topic '<applicationId>-${this.name}-changelog' and the state directory (as kafka-streams-application-reset does), then restart to reprocess the input`
          : `${this.name}: changelog key must start with byte 0 (task) or 1 (key) (got ${key.length === 0 ? 'an empty key' : `byte ${key[0]}`}); the changelog was not written by this store: reset the application's state`,
      );
    }
    const n = key.length;
    if (value === null) {
      const prior = this.table.find(key, 1, n);
      if (prior >= 0) {
        this.queueForget(prior);
        this.release(prior);
      }
      return;
    }
    let id = recordKeyId(value);
    if (id !== undefined && this.table.holds(id, key, 1, n)) {
      // A later record of a key that already holds this id: nothing to book.
      this.opValues.push(value);
      this.opIds.push(id);
      return;
    }
    const prior = this.table.find(key, 1, n);
    if (id === undefined) {
      // Not a key record this kernel reads: the kernel's check names what is wrong.
      this.flushOps();
      id = this.kernel.importKey(value);
    } else {
      this.opValues.push(value);
      this.opIds.push(id);
    }
    if (prior >= 0 && prior !== id) {
      this.queueForget(prior);
      this.release(prior);
    }
    // The id's previous holder left the changelog without a tombstone we saw (a cut-short write).
    this.table.unbind(id);
    this.table.bind(id, key, 1, n);
    if (id >= this.highWater) this.highWater = id + 1;
  }

  private queueForget(id: number): void {
    this.opValues.push(null);
    this.opIds.push(id);
  }

  private flushOps(): void {
    if (this.opValues.length === 0) return;
    try {
      this.kernel.importOps(this.opValues, this.opIds);
    } finally {
      this.opValues.length = 0;
      this.opIds.length = 0;
    }
  }

  close(): void {
    this.kernel.close();
  }

  /** The changelog key of id `id`: the prefix byte, then the serialized key. */
  private recordKey(id: number): Uint8Array {
    const bytes = this.table.bytesOf(id);
    const k = new Uint8Array(bytes.length + 1);
    k[0] = KEY_PREFIX;
    k.set(bytes, 1);
    return k;
  }

  private release(id: number): void {
    this.table.unbind(id);
    if (!this.restored) this.free.push(id);
  }

  /** After a restore, the ids below the highest one that no key holds. */
  private collectFreeIds(): void {
    this.restored = false;
    while (this.highWater > 0 && !this.table.has(this.highWater - 1)) this.highWater--;
    const free: number[] = [];
    for (let id = this.highWater - 1; id >= 0; id--) if (!this.table.has(id)) free.push(id);
    this.free = free;
  }
}

/** The key id a kernel key record holds (bytes 2..6, little-endian), or `undefined` when it is no key record in range. */
function recordKeyId(value: Uint8Array): number | undefined {
  if (value.length < 6 || value[0] !== KEY_RECORD_TAG) return undefined;
  const id = ((value[2] as number) | ((value[3] as number) << 8) | ((value[4] as number) << 16) | ((value[5] as number) << 24)) >>> 0;
  return id > MAX_KEY_ID ? undefined : id;
}
