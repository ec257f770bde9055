import type { Suppressed } from '../dsl/suppressed.js';
import type { Windowed } from '../dsl/windows.js';
import type { Serde } from '../serde/serde.js';
import { bytesToKey } from '../state/byte-keys.js';
import type { KeyValueStore } from '../state/store-api.js';
import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';
import type { StreamRecord } from './stream-record.js';

export interface SuppressOptions<K> {
  readonly suppressed: Suppressed;
  readonly keySerde: Serde<K>;
  /** For `untilWindowCloses`: the upstream windows' grace, ms. */
  readonly graceMs: number;
  /** Session and sliding windows have inclusive ends: they close when `end < streamTime - grace`. */
  readonly inclusiveEnd: boolean;
  /**
   * Key-value store (changelogged) holding the buffer, so buffered results
   * survive a task moving or restarting. Without one the buffer is memory only.
   */
  readonly storeName?: string;
}

interface Buffered<K, V> {
  record: StreamRecord<K, Change<V>>;
  firstBufferedAt: number;
  order: number;
}

/** A buffered entry as stored (headers are not kept across restarts). */
export interface StoredBuffered<K, V> {
  readonly record: { readonly key: K; readonly value: Change<V>; readonly timestamp: number };
  readonly firstBufferedAt: number;
  readonly order: number;
}

/**
 * Holds back a KTable's updates. `untilWindowCloses`: one final result per
 * window, emitted once stream time reaches window end + grace. `untilTimeLimit`:
 * a key's latest value once `timeToWait` of stream time has passed since its
 * first buffered update. A full buffer (maxRecords) emits its oldest entries early.
 */
export function suppressProcessor<K, V>(o: SuppressOptions<K>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<V>>;
    let store: KeyValueStore<string, StoredBuffered<K, V>> | undefined;
    const buffer = new Map<string, Buffered<K, V>>();
    let order = 0;
    const put = (id: string, b: Buffered<K, V>): void => {
      buffer.set(id, b);
      store?.put(id, { record: { key: b.record.key, value: b.record.value, timestamp: b.record.timestamp }, firstBufferedAt: b.firstBufferedAt, order: b.order });
    };
    const remove = (id: string): void => {
      buffer.delete(id);
      store?.delete(id);
    };
    let streamTime = Number.NEGATIVE_INFINITY;
    const s = o.suppressed;
    const maxRecords = s.buffer.maxRecords ?? Number.POSITIVE_INFINITY;

    const keyId = (key: K): string => {
      if (s.kind === 'untilWindowCloses') {
        const wk = key as unknown as Windowed<unknown>;
        return `${bytesToKey((o.keySerde as Serde<unknown>).serialize(wk.key))}@${wk.window.start}`;
      }
      return bytesToKey(o.keySerde.serialize(key));
    };
    const due = (b: Buffered<K, V>): boolean => {
      if (s.kind === 'untilWindowCloses') {
        const wk = b.record.key as unknown as Windowed<unknown>;
        const closeTime = streamTime - o.graceMs;
        return o.inclusiveEnd ? wk.window.end < closeTime : wk.window.end <= closeTime;
      }
      return streamTime - b.firstBufferedAt >= s.timeToWaitMs;
    };
    const emitDue = (): void => {
      const ready = [...buffer.entries()].filter(([, b]) => due(b));
      if (s.kind === 'untilWindowCloses') {
        ready.sort(([, a], [, b]) => {
          const wa = (a.record.key as unknown as Windowed<unknown>).window;
          const wb = (b.record.key as unknown as Windowed<unknown>).window;
          return wa.end - wb.end || a.order - b.order;
        });
      } else ready.sort(([, a], [, b]) => a.order - b.order);
      for (const [id, b] of ready) {
        remove(id);
        ctx.forward(b.record);
      }
    };
    return {
      init: (c) => {
        ctx = c;
        if (o.storeName === undefined) return;
        // A restored buffer: what was held back before the task moved or restarted.
        store = c.getStateStore<KeyValueStore<string, StoredBuffered<K, V>>>(o.storeName);
        for (const { key, value } of store.all()) {
          buffer.set(key, { record: { ...value.record, headers: {} }, firstBufferedAt: value.firstBufferedAt, order: value.order });
          order = Math.max(order, value.order + 1);
        }
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
        put(id, {
          record: { ...r, value: { newValue: r.value.newValue, oldValue } },
          firstBufferedAt: prev?.firstBufferedAt ?? r.timestamp,
          order: prev?.order ?? order++,
        });
        emitDue();
        while (buffer.size > maxRecords) {
          const [oldestId, oldest] = [...buffer.entries()].reduce((a, b) => (a[1].order <= b[1].order ? a : b));
          remove(oldestId);
          ctx.forward(oldest.record);
        }
      },
      flush: () => {
        // Parents flush first, so every upstream cache has been forwarded by now.
        streamTime = Math.max(streamTime, ctx.currentStreamTimeMs());
        emitDue();
      },
    };
  };
}
