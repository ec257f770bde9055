import type { Windowed } from '../dsl/windows.js';
import type { Serde } from '../serde/serde.js';
import type { TimestampedWindowEntry, WorkingWindowStore } from '../state/working-window-store.js';
import type { Change } from './change.js';
import { dropUnaggregatable, internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';
import { WindowChangeBuffer } from './window-change-buffer.js';

export interface SlidingWindowAggregateOptions<K, V, VA> {
  readonly storeName: string;
  readonly keySerde: Serde<K>;
  /** Copies an aggregate into a new window, so windows never share a mutable object. */
  readonly valueSerde: Serde<VA>;
  readonly timeDifferenceMs: number;
  readonly graceMs: number;
  readonly initializer: () => VA;
  readonly aggregator: (key: K, value: V, aggregate: VA) => VA;
  readonly caching: boolean;
}

/**
 * count/reduce/aggregate over Kafka Streams sliding windows (KIP-450): windows
 * `[start, start + D]`, both ends inclusive; each record has a left window
 * `[t - D, t]`, and a right window `[t + 1, t + 1 + D]` once a later record
 * falls in it. Aggregators cannot subtract, so a new window starts from the
 * existing window that holds exactly the records it must hold (Kafka Streams'
 * algorithm); that needs each window's largest record timestamp, which the
 * timestamped store keeps. Windows with negative starts are allowed, as in the
 * WASM kernel's sliding windows, so early records need no special case.
 *
 * A window accepts records while `end >= streamTime - grace`; a record with
 * `t + 1 + D <= streamTime - grace` fits no open window and is dropped as late.
 */
export function slidingWindowAggregateProcessor<K, V, VA>(o: SlidingWindowAggregateOptions<K, V, VA>): ProcessorSupplier<K, V, Windowed<K>, Change<VA>> {
  const d = o.timeDifferenceMs;
  const copy = (agg: VA): VA => o.valueSerde.deserialize(o.valueSerde.serialize(agg));
  return () => {
    let ctx!: InternalProcessorContext<Windowed<K>, Change<VA>>;
    let store!: WorkingWindowStore<K, VA>;
    let streamTime = Number.NEGATIVE_INFINITY;
    let changes!: WindowChangeBuffer<K, VA>;
    const emit = (key: K, start: number, oldValue: VA | undefined, newValue: VA, timestamp: number): void => changes.emit(key, { start, end: start + d }, oldValue, newValue, timestamp);

    /** Adds the record to a window (existing, or new from `base`) if the window is still open. */
    const apply = (key: K, value: V, t: number, closeTime: number, start: number, existing: TimestampedWindowEntry<K, VA> | undefined, base: VA): void => {
      if (start + d < closeTime) return;
      const next = o.aggregator(key, value, base);
      const timestamp = existing === undefined ? t : Math.max(t, existing.timestamp);
      store.putWithTimestamp(key, next, start, timestamp);
      emit(key, start, existing?.value, next, timestamp);
    };

    return {
      init: (c) => {
        ctx = internal(c);
        store = c.getStateStore<WorkingWindowStore<K, VA>>(o.storeName);
        changes = new WindowChangeBuffer(o.keySerde, o.caching, (r) => ctx.forward(r));
      },
      process: (r) => {
        if (dropUnaggregatable(ctx as InternalProcessorContext<unknown, unknown>, r, o.storeName)) return;
        const t = r.timestamp;
        streamTime = Math.max(streamTime, t);
        const closeTime = streamTime - o.graceMs;
        if (t + 1 + d <= closeTime) {
          ctx.dropRecord('late', r, `${o.storeName}: every sliding window that could hold timestamp ${t} closed (stream time ${streamTime}, grace ${o.graceMs} ms)`);
          return;
        }
        // Every window that can hold t or seed t's new windows starts in [t - 2D, t + 1].
        const windows = store.fetchRangeWithTimestamps(r.key, t - 2 * d, t + 1);
        let leftWinAgg: TimestampedWindowEntry<K, VA> | undefined;
        let rightWinAgg: { value: VA; timestamp: number } | undefined;
        let rightWinSource: TimestampedWindowEntry<K, VA> | undefined;
        let leftWinExists = false;
        let rightWinExists = false;
        let previousRecordTs: number | undefined;
        const containing: TimestampedWindowEntry<K, VA>[] = [];
        const starts = new Set<number>();
        for (const w of windows) {
          starts.add(w.windowStart);
          const end = w.windowStart + d;
          if (end < t) {
            // The latest window ending before t holds exactly t's left-window records before t.
            leftWinAgg = w;
            previousRecordTs = w.timestamp;
          } else if (end === t) {
            leftWinExists = true;
            if (w.timestamp < t) previousRecordTs = w.timestamp;
            containing.push(w);
          } else if (w.windowStart <= t) {
            // The latest-starting window holding t holds exactly the records of t's right window.
            rightWinSource = w;
            containing.push(w);
          } else {
            rightWinExists = true;
          }
        }
        // Snapshot before updating: the aggregator may change the aggregate in place.
        if (rightWinSource !== undefined) rightWinAgg = { value: copy(rightWinSource.value), timestamp: rightWinSource.timestamp };
        for (const w of containing) apply(r.key, r.value, t, closeTime, w.windowStart, w, w.value);

        // The previous record's right window, now that t falls in it.
        if (previousRecordTs !== undefined) {
          const start = previousRecordTs + 1;
          if (!starts.has(start) && start + d >= t) apply(r.key, r.value, t, closeTime, start, undefined, o.initializer());
        }
        if (!leftWinExists) {
          const base = leftWinAgg !== undefined && previousRecordTs !== undefined && t - d <= previousRecordTs ? copy(leftWinAgg.value) : o.initializer();
          apply(r.key, r.value, t, closeTime, t - d, undefined, base);
        }
        // t's own right window, holding the records after t that already arrived.
        if (!rightWinExists && rightWinAgg !== undefined && rightWinAgg.timestamp > t) {
          store.putWithTimestamp(r.key, rightWinAgg.value, t + 1, rightWinAgg.timestamp);
          emit(r.key, t + 1, undefined, rightWinAgg.value, rightWinAgg.timestamp);
        }
      },
      flush: () => {
        changes.flush();
        if (Number.isFinite(streamTime)) store.expire(streamTime);
      },
    };
  };
}
