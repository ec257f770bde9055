import type { Serde } from '../serde/serde.js';
import { SerdeError } from '../errors.js';
import { bytesToKey } from '../state/byte-keys.js';
import type { WorkingWindowStore } from '../state/working-window-store.js';
import { internal, type InternalProcessorContext } from './internal-context.js';
import type { ProcessorSupplier } from './processor.js';

/** Which unmatched records a stream–stream join emits once their window closed. */
export type StreamJoinMode = 'inner' | 'left' | 'outer';

/** Records of one key and timestamp buffered by a join side, and whether each joined yet. */
export type BufferedRecords<V> = { value: V; matched: boolean }[];

/** Unmatched records waiting for their window to close: per timestamp, the sides and keys to look at. */
export type PendingRefs<K> = { side: 'left' | 'right'; key: K }[];

export interface StreamStreamJoinOptions<K, V1, V2, VR> {
  readonly side: 'left' | 'right';
  readonly mode: StreamJoinMode;
  readonly thisStore: string;
  readonly otherStore: string;
  /** Window store of unmatched records (left and outer joins); shared by both sides. */
  readonly pendingStore: string | undefined;
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;
  readonly keySerde: Serde<K>;
  readonly joiner: (left: V1 | undefined, right: V2 | undefined, key: K) => VR;
}

/** The single key under which pending references are kept, ordered by timestamp. */
const PENDING = '';

/** Earlier than any timestamp a window store key encodes (they are offset by 2^52). */
const EARLIEST = -(2 ** 51);

/**
 * One side of a windowed stream–stream join (Kafka Streams' `KStreamKStreamJoin`).
 * Both sides are buffered in window stores keyed by (key, timestamp). A left
 * record at `t` joins right records with `t - before <= t' <= t + after` (a right
 * record the mirror image). A record is late when `t + after + grace` (its side's
 * look-ahead) is behind stream time.
 *
 * Left and outer joins emit a record without a match only once no record of the
 * other side can still arrive in time to join it — `t + before + after + grace <
 * streamTime` — so they never emit an unmatched result that a later match would
 * contradict (Kafka Streams since 3.1 avoids these spurious results the same way).
 */
export function streamStreamJoinProcessor<K, V1, V2, VR>(o: StreamStreamJoinOptions<K, V1, V2, VR>): ProcessorSupplier<K, V1 | V2, K, VR> {
  const lookBefore = o.side === 'left' ? o.beforeMs : o.afterMs;
  const lookAfter = o.side === 'left' ? o.afterMs : o.beforeMs;
  const emitsUnmatched = (side: 'left' | 'right') => o.mode === 'outer' || (o.mode === 'left' && side === 'left');
  const span = o.beforeMs + o.afterMs + o.graceMs;
  return () => {
    let ctx!: InternalProcessorContext<K, VR>;
    let mine!: WorkingWindowStore<K, BufferedRecords<V1 | V2>>;
    let theirs!: WorkingWindowStore<K, BufferedRecords<V1 | V2>>;
    let pending: WorkingWindowStore<string, PendingRefs<K>> | undefined;
    let stores!: Record<'left' | 'right', WorkingWindowStore<K, BufferedRecords<V1 | V2>>>;

    const join = (side: 'left' | 'right', a: V1 | V2 | undefined, b: V1 | V2 | undefined, key: K): VR =>
      side === 'left' ? o.joiner(a as V1 | undefined, b as V2 | undefined, key) : o.joiner(b as V1 | undefined, a as V2 | undefined, key);

    /** Emits the unmatched records whose join window can no longer receive a partner. */
    const emitClosed = (streamTime: number): void => {
      if (pending === undefined) return;
      const cutoff = streamTime - span - 1;
      for (const entry of pending.fetchRange(PENDING, EARLIEST, cutoff)) {
        const t = entry.windowStart;
        const seen = new Set<string>();
        for (const ref of entry.value) {
          const id = `${ref.side}:${bytesToKey(o.keySerde.serialize(ref.key))}`;
          if (seen.has(id)) continue;
          seen.add(id);
          for (const rec of stores[ref.side].fetch(ref.key, t) ?? []) {
            if (!rec.matched) ctx.forward({ key: ref.key, value: join(ref.side, rec.value, undefined, ref.key), timestamp: t });
          }
        }
        pending.put(PENDING, undefined, t);
      }
    };

    return {
      init: (c) => {
        ctx = internal(c);
        mine = c.getStateStore(o.thisStore);
        theirs = c.getStateStore(o.otherStore);
        stores = o.side === 'left' ? { left: mine, right: theirs } : { left: theirs, right: mine };
        if (o.pendingStore !== undefined) pending = c.getStateStore(o.pendingStore);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) {
          ctx.dropRecord(r.key === null || r.key === undefined ? 'null-key' : 'null-value', r, `join ${o.thisStore}: records need a key and a value to join`);
          return;
        }
        const t = r.timestamp;
        const streamTime = Math.max(ctx.currentStreamTimeMs(), t);
        if (t + lookAfter + o.graceMs < streamTime) {
          ctx.dropRecord('late', r, `join ${o.thisStore}: the join window of timestamp ${t} closed (stream time ${streamTime}, grace ${o.graceMs} ms)`);
          emitClosed(streamTime);
          return;
        }
        let matched = false;
        for (const w of theirs.fetchRange(r.key, t - lookBefore, t + lookAfter)) {
          let changed = false;
          for (const rec of w.value) {
            ctx.forward({ key: r.key, value: join(o.side, r.value, rec.value, r.key), timestamp: Math.max(t, w.windowStart) });
            matched = true;
            if (!rec.matched) {
              rec.matched = true;
              changed = true;
            }
          }
          if (changed) theirs.put(r.key, w.value, w.windowStart);
        }
        const buffered = mine.fetch(r.key, t) ?? [];
        mine.put(r.key, [...buffered, { value: r.value, matched }], t);
        if (!matched && pending !== undefined && emitsUnmatched(o.side)) {
          pending.put(PENDING, [...(pending.fetch(PENDING, t) ?? []), { side: o.side, key: r.key }], t);
        }
        emitClosed(streamTime);
      },
      flush: () => {
        const streamTime = ctx.currentStreamTimeMs();
        if (!Number.isFinite(streamTime)) return;
        // Unmatched records leave the pending list before expiry can drop their buffers.
        emitClosed(streamTime);
        mine.expire(streamTime);
        pending?.expire(streamTime);
      },
    };
  };
}

/** A list of items, each with a one-byte flag: `u32 count`, then per item `u8 flag, u32 length, bytes`. */
function flaggedListSerde<T>(name: string, itemSerde: Serde<T>): Serde<{ flag: number; item: T }[]> {
  return {
    name,
    serialize(items) {
      const parts = items.map((x) => itemSerde.serialize(x.item));
      const out = new Uint8Array(4 + parts.reduce((n, p) => n + 5 + p.length, 0));
      const view = new DataView(out.buffer);
      view.setUint32(0, items.length);
      let at = 4;
      parts.forEach((p, i) => {
        out[at] = items[i]?.flag ?? 0;
        view.setUint32(at + 1, p.length);
        out.set(p, at + 5);
        at += 5 + p.length;
      });
      return out;
    },
    deserialize(bytes) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const fail = () => new SerdeError('RIVULET_SERDE_DESERIALIZE', `${name}: truncated entry (${bytes.length} bytes)`);
      if (bytes.length < 4) throw fail();
      const n = view.getUint32(0);
      const out: { flag: number; item: T }[] = [];
      let at = 4;
      for (let i = 0; i < n; i++) {
        if (at + 5 > bytes.length) throw fail();
        const len = view.getUint32(at + 1);
        if (at + 5 + len > bytes.length) throw fail();
        out.push({ flag: bytes[at] as number, item: itemSerde.deserialize(bytes.subarray(at + 5, at + 5 + len)) });
        at += 5 + len;
      }
      return out;
    },
  };
}

/** Serde of a join side's buffered records, through the side's value serde (any serde works). */
export function bufferedRecordsSerde<V>(valueSerde: Serde<V>): Serde<BufferedRecords<V>> {
  const list = flaggedListSerde('join buffer', valueSerde);
  return {
    name: `join-buffer(${valueSerde.name})`,
    serialize: (records) => list.serialize(records.map((r) => ({ flag: r.matched ? 1 : 0, item: r.value }))),
    deserialize: (bytes) => list.deserialize(bytes).map((x) => ({ value: x.item, matched: x.flag === 1 })),
  };
}

/** Serde of the references to unmatched records, through the key serde. */
export function pendingRefsSerde<K>(keySerde: Serde<K>): Serde<PendingRefs<K>> {
  const list = flaggedListSerde('join pending records', keySerde);
  return {
    name: `join-pending(${keySerde.name})`,
    serialize: (refs) => list.serialize(refs.map((r) => ({ flag: r.side === 'left' ? 0 : 1, item: r.key }))),
    deserialize: (bytes) => list.deserialize(bytes).map((x) => ({ side: x.flag === 0 ? ('left' as const) : ('right' as const), key: x.item })),
  };
}
