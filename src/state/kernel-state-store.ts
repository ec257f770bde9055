import { StateError } from '../errors.js';
import type { Serde } from '../serde/serde.js';
import { WasmWindowKernel } from '../wasm/wasm-window-kernel.js';
import { MAX_KEY_ID, type WindowSpec } from '../wasm/window-stats-kernel.js';
import { isStringSerde } from '../serde/string-serde.js';
import { bytesToKey, keyToBytes } from './byte-keys.js';
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
  /** Key identity (the string itself under the string serde, else its bytes as a string) → id. */
  private readonly ids = new Map<string, number>();
  /**
   * Per id: the key and its identity; `undefined` when the id is free. The
   * serialized key is derived from them at commit (only changed keys need it),
   * not held per key: at a million keys that is a million arrays less.
   */
  private readonly keys: (K | undefined)[] = [];
  private readonly idents: (string | undefined)[] = [];
  /** Kernel ops of the restore batch being built: a key record, or `null` to forget `opIds[i]`. */
  private readonly opValues: (Uint8Array | null)[] = [];
  private readonly opIds: number[] = [];
  /** Ids released by tombstones, reused before new ones. */
  private free: number[] = [];
  /** Records were restored since the free ids were last known. */
  private restored = false;
  private changed = false;
  /** String keys under the UTF-8 string serde are their own identity: no serializing per record. */
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
    let s: string;
    if (this.byString && typeof key === 'string') {
      s = key;
    } else {
      bytes = this.keySerde.serialize(key);
      s = bytesToKey(bytes);
    }
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.restored) this.collectFreeIds();
      id = this.free.pop();
      if (id === undefined) {
        // Past the kernel's key space the kernel marks the record INVALID_KEY; the operator counts and drops it.
        if (this.keys.length > MAX_KEY_ID) return MAX_KEY_ID + 1;
        id = this.keys.length;
      }
      this.assign(id, key, s);
    }
    return id;
  }

  keyOf(id: number): K {
    const k = this.keys[id];
    if (k === undefined) throw new StateError('RIVULET_STATE_UNKNOWN_KEY_ID', `${this.name}: kernel returned key id ${id}, which was never interned; the store state is inconsistent`);
    return k;
  }

  /** Marks the kernel state as changed since the last commit. */
  touch(): void {
    this.changed = true;
  }

  /** Keys holding an id. */
  size(): number {
    return this.ids.size;
  }

  drainChanges(): StoreChange[] {
    if (!this.changed) return [];
    this.changed = false;
    if (this.restored) this.collectFreeIds();
    const { task, keys } = this.kernel.exportChanges();
    const out: StoreChange[] = [];
    // Tombstones first: an id they release may be reused by a record of the same commit.
    for (const { id, record } of keys) {
      if (record !== null || this.idents[id] === undefined) continue;
      out.push({ key: this.recordKey(id), value: null });
      this.release(id);
    }
    for (const { id, record } of keys) {
      if (record === null) continue;
      if (this.idents[id] === undefined) throw new StateError('RIVULET_STATE_UNKNOWN_KEY_ID', `${this.name}: kernel changed key id ${id}, which was never interned; the store state is inconsistent`);
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
    let k: K;
    let s: string;
    const ascii = this.byString ? asciiAfterPrefix(key) : undefined;
    if (ascii !== undefined) {
      // ASCII is its own UTF-8: the string serde would decode the same string.
      k = ascii as K;
      s = ascii;
    } else if (this.byString) {
      k = this.keySerde.deserialize(key.subarray(1));
      s = typeof k === 'string' ? k : bytesToKey(key.subarray(1));
    } else {
      const bytes = key.slice(1);
      k = this.keySerde.deserialize(bytes);
      s = bytesToKey(bytes);
    }
    if (value === null) {
      const prior = this.ids.get(s);
      if (prior !== undefined) {
        this.queueForget(prior);
        this.release(prior);
      }
      return;
    }
    let id = recordKeyId(value);
    if (id !== undefined && this.idents[id] === s) {
      // A later record of a key that already holds this id: nothing to book, and no Map lookup
      // (hashing a fresh string) for it, as `ids` and `idents` agree.
      this.opValues.push(value);
      this.opIds.push(id);
      return;
    }
    const prior = this.ids.get(s);
    if (id === undefined) {
      // Not a key record this kernel reads: the kernel's check names what is wrong.
      this.flushOps();
      id = this.kernel.importKey(value);
    } else {
      this.opValues.push(value);
      this.opIds.push(id);
    }
    if (prior !== undefined && prior !== id) {
      this.queueForget(prior);
      this.release(prior);
    }
    const owner = this.idents[id];
    // The id's previous holder left the changelog without a tombstone we saw (a cut-short write).
    if (owner !== undefined && owner !== s) this.ids.delete(owner);
    this.assign(id, k, s);
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

  private assign(id: number, key: K, s: string): void {
    while (this.keys.length < id) {
      this.keys.push(undefined);
      this.idents.push(undefined);
    }
    this.ids.set(s, id);
    this.keys[id] = key;
    this.idents[id] = s;
  }

  /** The changelog key of id `id`: the prefix byte, then the serialized key. */
  private recordKey(id: number): Uint8Array {
    const key = this.keys[id];
    // Under the string serde the identity is the key itself, else the latin1 string of its bytes.
    const bytes = this.byString && typeof key === 'string' ? this.keySerde.serialize(key) : keyToBytes(this.idents[id] as string);
    const k = new Uint8Array(bytes.length + 1);
    k[0] = KEY_PREFIX;
    k.set(bytes, 1);
    return k;
  }

  private release(id: number): void {
    const s = this.idents[id];
    if (s !== undefined && this.ids.get(s) === id) this.ids.delete(s);
    this.keys[id] = undefined;
    this.idents[id] = undefined;
    if (!this.restored) this.free.push(id);
  }

  /** After a restore, the ids below the highest one that no key holds. */
  private collectFreeIds(): void {
    this.restored = false;
    while (this.keys.length > 0 && this.idents[this.keys.length - 1] === undefined) {
      this.keys.pop();
      this.idents.pop();
    }
    const free: number[] = [];
    for (let id = this.keys.length - 1; id >= 0; id--) if (this.idents[id] === undefined) free.push(id);
    this.free = free;
  }
}

/**
 * The text of `key` after its prefix byte when it is short ASCII, else
 * `undefined`. One `fromCharCode` call builds a flat string: appending
 * character by character builds a rope that every Map lookup then flattens.
 */
function asciiAfterPrefix(key: Uint8Array): string | undefined {
  const n = key.length;
  if (n > 129) return undefined;
  for (let i = 1; i < n; i++) if ((key[i] as number) > 0x7f) return undefined;
  return String.fromCharCode.apply(null, key.subarray(1) as unknown as number[]);
}

/** The key id a kernel key record holds (bytes 2..6, little-endian), or `undefined` when it is no key record in range. */
function recordKeyId(value: Uint8Array): number | undefined {
  if (value.length < 6 || value[0] !== KEY_RECORD_TAG) return undefined;
  const id = ((value[2] as number) | ((value[3] as number) << 8) | ((value[4] as number) << 16) | ((value[5] as number) << 24)) >>> 0;
  return id > MAX_KEY_ID ? undefined : id;
}
