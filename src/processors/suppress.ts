import type { Suppressed } from '../dsl/suppressed.js';
import { TaskFailure } from '../errors.js';
import type { Windowed } from '../dsl/windows.js';
import type { Serde } from '../serde/serde.js';
import { bytesToKey } from '../state/byte-keys.js';
import type { KeyValueStore } from '../state/store-api.js';
import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';
import type { StreamRecord } from './stream-record.js';
import { SuppressionBuffer, type BufferedEntry } from './suppression-buffer.js';
import type { SuppressedEntry } from '../serde/suppressed-entry-serde.js';

export interface SuppressOptions<K, V> {
  /** The processor's name, for errors. */
  readonly name: string;
  readonly suppressed: Suppressed;
  readonly keySerde: Serde<K>;
  /** Sizes values for `maxBytes`; without it values count 0 bytes. */
  readonly valueSerde?: Serde<V>;
  /** For `untilWindowCloses`: the upstream windows' grace, ms. */
  readonly graceMs: number;
  /** Session and sliding windows have inclusive ends: they close when `end < streamTime - grace`. */
  readonly inclusiveEnd: boolean;
  /**
   * Key-value store (changelogged) holding the buffer, so buffered results
   * survive a task moving or restarting; written at flush (each commit).
   * Without one the buffer is memory only.
   */
  readonly storeName?: string;
}

/** A buffered entry as stored (headers are not kept across restarts). */
export type StoredBuffered<K, V> = SuppressedEntry<K, V>;

type Held<K, V> = StreamRecord<K, Change<V>>;

/**
 * Holds back a KTable's updates. `untilWindowCloses`: one final result per
 * window, emitted once stream time reaches window end + grace. `untilTimeLimit`:
 * a key's latest value once `timeToWait` of stream time has passed since its
 * first buffered update. Entries are indexed by due time (see
 * {@link SuppressionBuffer}), so a record costs O(log n) in buffered entries.
 * A full buffer (`maxRecords` / `maxBytes`) emits its oldest entries early or
 * fails the task with `RIVULET_STATE_BUFFER_FULL`, as the config chose.
 */
export function suppressProcessor<K, V>(o: SuppressOptions<K, V>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const s = o.suppressed;
  const maxRecords = s.buffer.maxRecords ?? Number.POSITIVE_INFINITY;
  const maxBytes = s.buffer.maxBytes ?? Number.POSITIVE_INFINITY;
  // Kafka Streams only lets untilWindowCloses take a strict (shut-down) buffer: a final result is final.
  const whenFull = s.buffer.whenFull ?? (s.kind === 'untilWindowCloses' ? 'shutDown' : 'emitEarly');
  const countBytes = Number.isFinite(maxBytes);
  const valueSerde = o.valueSerde;
  const sizeOf = (v: V | null | undefined): number => (v === null || v === undefined || valueSerde === undefined ? 0 : valueSerde.serialize(v).length);
  return () => {
    let ctx!: ProcessorContext<K, Change<V>>;
    let store: KeyValueStore<string, StoredBuffered<K, V>> | undefined;
    const buffer = new SuppressionBuffer<Held<K, V>>();
    let order = 0;
    let streamTime = Number.NEGATIVE_INFINITY;

    // A record updates many windows of one key in a row (60 for hopping 60 s / 1 s), so the
    // last key's bytes are kept rather than serialized again for each window (primitive keys
    // only: an object key equal by identity may have been mutated since).
    let lastKey: unknown;
    let lastKeyId = '';
    const keyId = (key: K): string => {
      if (s.kind === 'untilWindowCloses') {
        const wk = key as unknown as Windowed<unknown>;
        if (wk.key !== lastKey || lastKey === undefined || typeof lastKey === 'object') {
          lastKeyId = bytesToKey((o.keySerde as Serde<unknown>).serialize(wk.key));
          lastKey = wk.key;
        }
        return `${lastKeyId}@${wk.window.start}`;
      }
      return bytesToKey(o.keySerde.serialize(key));
    };
    const dueAt = (record: Held<K, V>, firstBufferedAt: number): number =>
      s.kind === 'untilWindowCloses' ? (record.key as unknown as Windowed<unknown>).window.end : firstBufferedAt + s.timeToWaitMs;
    const bytesOf = (id: string, record: Held<K, V>): number => (countBytes ? id.length + sizeOf(record.value.newValue) + sizeOf(record.value.oldValue) + 16 : 0);
    // The store is written at flush (every commit), as Kafka Streams' buffer logs its dirty keys:
    // a window updated 60 times between commits costs one store write, one emitted before the
    // commit none. `stored` holds the ids the store has, so only those get a tombstone.
    const dirty = new Set<string>();
    const stored = new Set<string>();
    const hold = (id: string, record: Held<K, V>, firstBufferedAt: number, ord: number, prev?: BufferedEntry<Held<K, V>>): void => {
      buffer.put(id, { record, dueAt: dueAt(record, firstBufferedAt), firstBufferedAt, order: ord, bytes: bytesOf(id, record) }, prev ?? buffer.get(id));
      if (store !== undefined) dirty.add(id);
    };
    const emit = (id: string, record: Held<K, V>): void => {
      if (store !== undefined) dirty.add(id);
      ctx.forward(record);
    };
    const writeDirty = (): void => {
      if (store === undefined) return;
      for (const id of dirty) {
        const e = buffer.get(id);
        if (e !== undefined) {
          // The entry is a StoredBuffered already (its serde reads only those fields): no copy per write.
          store.put(id, e);
          stored.add(id);
        } else if (stored.delete(id)) store.delete(id);
      }
      dirty.clear();
    };
    const emitDue = (): void => {
      if (buffer.size === 0) return;
      // Windows close when end <= streamTime - grace (end < … for inclusive ends); a time limit
      // passes when streamTime - firstBufferedAt >= timeToWait.
      const ready =
        s.kind === 'untilWindowCloses' ? buffer.popDue(streamTime - o.graceMs, !o.inclusiveEnd) : buffer.popDue(streamTime, true);
      for (const [id, e] of ready) emit(id, e.record);
    };
    const enforceLimits = (): void => {
      while (buffer.size > maxRecords || buffer.bytes > maxBytes) {
        if (whenFull === 'shutDown') {
          const over = buffer.size > maxRecords ? `${buffer.size} records > maxRecords ${maxRecords}` : `${buffer.bytes} bytes > maxBytes ${maxBytes}`;
          throw new TaskFailure(
            'RIVULET_STATE_BUFFER_FULL',
            `KTable.suppress "${o.name}" (task ${ctx.taskId}): suppression buffer full (${over}); raise the limit in BufferConfig, use BufferConfig.unbounded(), or choose emitEarlyWhenFull() to emit the oldest entries before their time`,
          );
        }
        const [id] = buffer.oldest() as [string, BufferedEntry<Held<K, V>>];
        emit(id, (buffer.remove(id) as BufferedEntry<Held<K, V>>).record);
      }
    };
    return {
      init: (c) => {
        ctx = c;
        if (o.storeName === undefined) return;
        // A restored buffer: what was held back before the task moved or restarted.
        const kv = c.getStateStore<KeyValueStore<string, StoredBuffered<K, V>>>(o.storeName);
        for (const { key, value } of kv.all().sort((a, b) => a.value.order - b.value.order)) {
          hold(key, { ...value.record, headers: {} }, value.firstBufferedAt, value.order);
          stored.add(key);
          order = Math.max(order, value.order + 1);
        }
        store = kv;
      },
      process: (r) => {
        // Only timestamps of records that reached this processor: the task's stream time may be
        // ahead of updates an upstream cache still holds (it forwards them at flush), and closing
        // windows by it would emit a window before its last update arrives.
        streamTime = Math.max(streamTime, r.timestamp);
        const id = keyId(r.key);
        const prev = buffer.get(id);
        // Retractions collapse: the emitted change carries the value before the first buffered update.
        const oldValue = prev === undefined ? r.value.oldValue : prev.record.value.oldValue;
        hold(id, { ...r, value: { newValue: r.value.newValue, oldValue } }, prev?.firstBufferedAt ?? r.timestamp, prev?.order ?? order++, prev);
        // Updates an upstream cache forwards at flush arrive outside any record (no record
        // metadata) and in cache order, not time order: a later window's update may come before
        // an earlier window's last one, so closing windows on it would emit that window early
        // (and once more when its update follows). Those close at the end of the flush.
        if (ctx.recordMetadata() !== undefined) emitDue();
        enforceLimits();
      },
      flush: () => {
        // Parents flush first, so every upstream cache has been forwarded by now.
        streamTime = Math.max(streamTime, ctx.currentStreamTimeMs());
        emitDue();
        writeDirty();
      },
    };
  };
}
