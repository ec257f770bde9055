import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { StateError } from '../errors.js';
import { plainBytes, prefixUpperBound } from './bytes.js';
import type { ChangelogRecord } from './changelog-record.js';
import { type KeyValue, KeyValueStore } from './key-value-store.js';
import { StateErrorCode } from './state-error-codes.js';
import type { StoreSupports } from './state-store.js';
import { describeValue, invalidArgument } from './validation.js';

type Db = Level<Uint8Array, Uint8Array>;
type BatchOp = { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array } | { readonly type: 'del'; readonly key: Uint8Array };

// Entries fetched per native iterator call: enough to amortize the thread hop,
// small enough that an early `break` wastes little.
const ITERATOR_BATCH = 512;
/** Bytes LevelDB reads per native call of a bulk load ({@link LevelKeyValueStore.batches}). */
const BULK_READ_BYTES = 8 * 1024 * 1024;

/**
 * A byte key-value store persisted in LevelDB (the `level` package, keys and
 * values as raw bytes), in its own directory — the runtime passes
 * `stateDir/applicationId/taskId/storeName`.
 *
 * Persistent: closing and opening again (or a new instance on the same
 * directory) sees the data. One process may hold the directory at a time:
 * opening a directory another instance holds fails with
 * `RIVULET_STATE_OPEN_FAILED`, marked retriable (the other instance usually
 * releases it after a rebalance).
 *
 * Iterators read an implicit LevelDB snapshot taken when they start, so they
 * do not see writes made while iterating.
 */
export class LevelKeyValueStore extends KeyValueStore {
  override readonly supports: StoreSupports = Object.freeze({ persistent: true, ordered: true });
  /** Directory holding the LevelDB files. */
  readonly location: string;
  #db: Db | undefined;
  /** The latest write not yet known to be on disk; re-applying it synced is a no-op on the data. */
  #unsynced: BatchOp | undefined;

  constructor(name: string, location: string) {
    super(name);
    if (typeof location !== 'string' || location === '') {
      throw invalidArgument('LevelKeyValueStore', 'location', 'be a non-empty directory path', describeValue(location));
    }
    this.location = location;
  }

  protected override async _open(): Promise<void> {
    const db: Db = new Level<Uint8Array, Uint8Array>(this.location, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await mkdir(this.location, { recursive: true, mode: 0o700 });
      await db.open();
    } catch (e) {
      const locked = (e as { cause?: { code?: unknown } }).cause?.code === 'LEVEL_LOCKED';
      throw new StateError(
        StateErrorCode.OPEN_FAILED,
        `LevelKeyValueStore.open: store "${this.name}" could not open LevelDB at ${this.location}` +
          (locked ? '; another process or store instance holds its lock — close it first' : ''),
        { cause: e, retriable: locked },
      );
    }
    this.#db = db;
  }

  protected override async _close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    if (db !== undefined) await db.close();
  }

  // LevelDB hands writes to the OS unsynced: a power loss can drop them. A
  // synced write fsyncs LevelDB's log, which holds every write before it, so
  // re-applying the latest write with `sync` makes them all durable at the cost
  // of one fsync. The runtime flushes before a checkpoint vouches for the data.
  protected override async _flush(): Promise<void> {
    const op = this.#unsynced;
    if (op === undefined) return;
    try {
      await this.#open('flush').batch([op], { sync: true });
    } catch (e) {
      throw this.#failed('flush', e);
    }
    if (this.#unsynced === op) this.#unsynced = undefined;
  }

  protected override async _get(key: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      const value = await this.#open('get').get(key);
      return value === undefined ? undefined : plainBytes(value);
    } catch (e) {
      throw this.#failed('get', e);
    }
  }

  protected override async _put(key: Uint8Array, value: Uint8Array): Promise<void> {
    try {
      await this.#open('put').put(key, value);
      this.#unsynced = { type: 'put', key, value };
    } catch (e) {
      throw this.#failed('put', e);
    }
  }

  protected override async _putAll(entries: readonly KeyValue<Uint8Array, Uint8Array>[]): Promise<void> {
    try {
      const ops = entries.map(({ key, value }): BatchOp => ({ type: 'put', key, value }));
      await this.#open('putAll').batch(ops);
      this.#unsynced = ops.at(-1) ?? this.#unsynced;
    } catch (e) {
      throw this.#failed('putAll', e);
    }
  }

  protected override async _delete(key: Uint8Array): Promise<Uint8Array | undefined> {
    // Two calls, not atomic: a task is the only writer of its store, and its
    // writes are sequential.
    const previous = await this._get(key);
    if (previous === undefined) return undefined;
    try {
      await this.#open('delete').del(key);
      this.#unsynced = { type: 'del', key };
    } catch (e) {
      throw this.#failed('delete', e);
    }
    return previous;
  }

  protected override _range(from: Uint8Array | undefined, to: Uint8Array | undefined, reverse: boolean): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    return this.#scan(reverse ? 'reverseRange' : 'range', {
      ...(from === undefined ? {} : { gte: from }),
      ...(to === undefined ? {} : { lte: to }),
      reverse,
    });
  }

  protected override _prefixScan(prefix: Uint8Array): AsyncIterable<KeyValue<Uint8Array, Uint8Array>> {
    const upper = prefixUpperBound(prefix);
    return this.#scan('prefixScan', { gte: prefix, ...(upper === undefined ? {} : { lt: upper }), reverse: false });
  }

  protected override async _approximateNumEntries(): Promise<number> {
    const it = this.#open('approximateNumEntries').keys();
    let n = 0;
    try {
      for (;;) {
        const batch = await it.nextv(4096);
        if (batch.length === 0) return n;
        n += batch.length;
      }
    } catch (e) {
      throw this.#failed('approximateNumEntries', e);
    } finally {
      await it.close();
    }
  }

  // A chained batch hands each key and value to LevelDB's batch in one native call; an array of
  // op objects costs a copy of every op in abstract-level and several property reads per op in
  // the binding, all on the main thread (about three times as much at restore batch sizes).
  protected override async _restoreBatch(records: readonly ChangelogRecord[]): Promise<void> {
    try {
      const batch = this.#open('restoreBatch').batch();
      for (const { key, value } of records) {
        if (value === null) batch.del(key);
        else batch.put(key, value);
      }
      await batch.write();
      const last = records.at(-1);
      if (last !== undefined) this.#unsynced = last.value === null ? { type: 'del', key: last.key } : { type: 'put', key: last.key, value: last.value };
    } catch (e) {
      throw this.#failed('restoreBatch', e);
    }
  }

  /**
   * Every entry, ascending, in arrays of up to `size`: a bulk load (a restore from the local
   * copy) costs one native call per array.
   */
  async *batches(size: number): AsyncGenerator<ChangelogRecord[]> {
    if (!Number.isInteger(size) || size < 1) throw invalidArgument('LevelKeyValueStore.batches', 'size', 'be a whole number >= 1', describeValue(size));
    this.assertOpen('batches');
    // LevelDB hands out at most highWaterMarkBytes per native call (16 KiB by default, about
    // a hundred kernel records): a bulk load asks for whole arrays at a time.
    const it = this.#open('batches').iterator({ highWaterMarkBytes: BULK_READ_BYTES });
    try {
      for (;;) {
        let batch: [Uint8Array, Uint8Array][];
        try {
          batch = await it.nextv(size);
        } catch (e) {
          throw this.#failed('batches', e);
        }
        if (batch.length === 0) return;
        const out: ChangelogRecord[] = new Array(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const [key, value] = batch[i] as [Uint8Array, Uint8Array];
          // As every other read of this store: plain Uint8Arrays (a Buffer's toString, slice
          // and equality differ, and stores key their tables by those bytes).
          out[i] = { key: plainBytes(key), value: plainBytes(value) };
        }
        yield out;
      }
    } finally {
      await it.close();
    }
  }

  async *#scan(
    method: string,
    options: { gte?: Uint8Array; lte?: Uint8Array; lt?: Uint8Array; reverse: boolean },
  ): AsyncGenerator<KeyValue<Uint8Array, Uint8Array>> {
    const it = this.#open(method).iterator(options);
    try {
      for (;;) {
        let batch: [Uint8Array, Uint8Array][];
        try {
          batch = await it.nextv(ITERATOR_BATCH);
        } catch (e) {
          throw this.#failed(method, e);
        }
        if (batch.length === 0) return;
        for (const [key, value] of batch) yield { key: plainBytes(key), value: plainBytes(value) };
      }
    } finally {
      await it.close();
    }
  }

  #open(method: string): Db {
    if (this.#db === undefined) throw this.closedError(method);
    return this.#db;
  }

  // A LevelDB error after the store began closing is the close racing the
  // call, reported as such; anything else is an I/O failure.
  #failed(method: string, e: unknown): StateError {
    if (e instanceof StateError) return e;
    if (this.status !== 'open') return this.closedError(method, e);
    return new StateError(StateErrorCode.IO, `KeyValueStore.${method}: LevelDB failed for store "${this.name}" at ${this.location}`, {
      cause: e,
    });
  }
}
