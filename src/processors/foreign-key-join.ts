import { SerdeError } from '../errors.js';
import { joinPair, splitPair } from '../serde/key-value-serde.js';
import type { Serde } from '../serde/serde.js';
import type { KeyValueStore } from '../state/store-api.js';
import { murmur2 } from '../util/murmur2.js';
import type { Change } from './change.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/*
 * Foreign-key table join (Kafka Streams' KIP-213), in three steps across two
 * sub-topologies:
 *  1. left side: a row of the left table subscribes its key K to the foreign
 *     key KO its value points at, through a topic keyed by KO (co-partitioned
 *     with the right table); a changed foreign key unsubscribes the old one;
 *  2. right side: subscriptions are kept per (KO, K); a subscription, and every
 *     later change of the right row KO, answers each subscriber through a topic
 *     keyed by K (co-partitioned with the left table);
 *  3. left side: an answer joins with the left row if the row still has the
 *     value it subscribed with (a hash of its bytes), else it is stale and dropped.
 */

/** Step 1 → 2: keyed by the foreign key. */
export interface Subscription<K> {
  readonly op: 'subscribe' | 'unsubscribe';
  readonly key: K;
  /** Hash of the left value that subscribed; answers carry it back. */
  readonly hash: number;
}

/** Step 2 → 3, or step 1 → 3 directly: keyed by the left key. */
export type JoinUpdate<VO> =
  | { readonly kind: 'response'; readonly hash: number; readonly other: VO | undefined }
  /** The left row itself decided the result: deleted, or (left join) no foreign key. */
  | { readonly kind: 'local' };

export function valueHash(bytes: Uint8Array): number {
  return murmur2(bytes);
}

export interface SubscribeOptions<V, KO> {
  readonly foreignKey: (value: V) => KO | null | undefined;
  readonly foreignKeySerde: Serde<KO>;
  readonly valueSerde: Serde<V>;
  readonly subscriptionSink: string;
  readonly resultNode: string;
}

/** Step 1: turns left-table changes into subscriptions (and local results where no answer will come). */
export function fkSubscribeProcessor<K, V, KO>(o: SubscribeOptions<V, KO>): ProcessorSupplier<K, Change<V>, unknown, unknown> {
  const fkOf = (v: V | undefined): KO | undefined => (v === undefined ? undefined : (o.foreignKey(v) ?? undefined));
  const same = (a: KO, b: KO) => Buffer.from(o.foreignKeySerde.serialize(a)).equals(Buffer.from(o.foreignKeySerde.serialize(b)));
  return () => {
    let ctx!: ProcessorContext<unknown, unknown>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        const oldFk = fkOf(r.value.oldValue);
        const newFk = fkOf(r.value.newValue);
        if (oldFk !== undefined && (newFk === undefined || !same(oldFk, newFk))) {
          ctx.forward({ ...r, key: oldFk, value: { op: 'unsubscribe', key: r.key, hash: 0 } satisfies Subscription<K> }, o.subscriptionSink);
        }
        if (r.value.newValue !== undefined && newFk !== undefined) {
          const hash = valueHash(o.valueSerde.serialize(r.value.newValue));
          ctx.forward({ ...r, key: newFk, value: { op: 'subscribe', key: r.key, hash } satisfies Subscription<K> }, o.subscriptionSink);
        } else {
          ctx.forward({ ...r, value: { kind: 'local' } satisfies JoinUpdate<never> }, o.resultNode);
        }
      },
    };
  };
}

/** Composite key of the subscription store: the foreign key as a prefix, so one right row finds its subscribers. */
export function subscriptionKeySerde<KO, K>(fkSerde: Serde<KO>, keySerde: Serde<K>): Serde<{ readonly fk: KO; readonly key?: K }> {
  return {
    name: `subscription-key(${fkSerde.name}, ${keySerde.name})`,
    // Without a key the bytes are the foreign key's prefix, for prefix scans.
    serialize: ({ fk, key }) => joinPair(fkSerde.serialize(fk), key === undefined ? new Uint8Array(0) : keySerde.serialize(key)),
    deserialize(bytes) {
      const [f, k] = splitPair(bytes, 'subscription key');
      return { fk: fkSerde.deserialize(f), key: keySerde.deserialize(k) };
    },
  };
}

export interface SubscriptionStoreOptions {
  readonly subscriptionStore: string;
  readonly otherStore: string;
}

/** Step 2a: records subscriptions and answers each new one with the right row as it is now. */
export function fkSubscriptionProcessor<KO, K, VO>(o: SubscriptionStoreOptions): ProcessorSupplier<KO, Subscription<K>, K, JoinUpdate<VO>> {
  return () => {
    let ctx!: ProcessorContext<K, JoinUpdate<VO>>;
    let subs!: KeyValueStore<{ fk: KO; key?: K }, number>;
    let other!: KeyValueStore<KO, VO>;
    return {
      init: (c) => {
        ctx = c;
        subs = c.getStateStore(o.subscriptionStore);
        other = c.getStateStore(o.otherStore);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        if (r.value.op === 'unsubscribe') {
          subs.delete({ fk: r.key, key: r.value.key });
          return;
        }
        subs.put({ fk: r.key, key: r.value.key }, r.value.hash);
        ctx.forward({ ...r, key: r.value.key, value: { kind: 'response', hash: r.value.hash, other: other.get(r.key) } });
      },
    };
  };
}

/** Step 2b: a change of a right row answers every subscriber of its key. */
export function fkOtherUpdateProcessor<KO, K, VO>(o: SubscriptionStoreOptions): ProcessorSupplier<KO, Change<VO>, K, JoinUpdate<VO>> {
  return () => {
    let ctx!: ProcessorContext<K, JoinUpdate<VO>>;
    let subs!: KeyValueStore<{ fk: KO; key?: K }, number>;
    return {
      init: (c) => {
        ctx = c;
        subs = c.getStateStore(o.subscriptionStore);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        for (const s of subs.prefixScan({ fk: r.key })) {
          ctx.forward({ ...r, key: s.key.key as K, value: { kind: 'response', hash: s.value, other: r.value.newValue } });
        }
      },
    };
  };
}

export interface ResultOptions<K, V, VO, VR> {
  readonly thisStore: string;
  readonly resultStore: string;
  readonly valueSerde: Serde<V>;
  readonly left: boolean;
  readonly joiner: (value: V, other: VO | undefined, key: K) => VR;
}

/** Step 3: joins answers with the current left row; keeps the result so changes carry old values. */
export function fkResultProcessor<K, V, VO, VR>(o: ResultOptions<K, V, VO, VR>): ProcessorSupplier<K, JoinUpdate<VO>, K, Change<VR>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<VR>>;
    let rows!: KeyValueStore<K, V>;
    let results!: KeyValueStore<K, VR>;
    return {
      init: (c) => {
        ctx = c;
        rows = c.getStateStore(o.thisStore);
        results = c.getStateStore(o.resultStore);
      },
      process: (r) => {
        if (r.key === null || r.key === undefined) return;
        const row = rows.get(r.key);
        let next: VR | undefined;
        if (r.value.kind === 'response') {
          // An answer to a value the row no longer has is stale: a newer answer is on its way.
          if (row === undefined || valueHash(o.valueSerde.serialize(row)) !== r.value.hash) return;
          next = r.value.other !== undefined || o.left ? o.joiner(row, r.value.other, r.key) : undefined;
        } else {
          next = row !== undefined && o.left ? o.joiner(row, undefined, r.key) : undefined;
        }
        const old = results.get(r.key);
        if (next === undefined && old === undefined) return;
        if (next === undefined) results.delete(r.key);
        else results.put(r.key, next);
        ctx.forward({ ...r, value: { newValue: next, oldValue: old } });
      },
    };
  };
}

/** Subscriptions through their topic: `u8 op | u32 hash | key bytes`. */
export function subscriptionSerde<K>(keySerde: Serde<K>): Serde<Subscription<K>> {
  return {
    name: `subscription(${keySerde.name})`,
    serialize(s) {
      const k = keySerde.serialize(s.key);
      const out = new Uint8Array(5 + k.length);
      out[0] = s.op === 'subscribe' ? 1 : 0;
      new DataView(out.buffer).setInt32(1, s.hash);
      out.set(k, 5);
      return out;
    },
    deserialize(bytes) {
      if (bytes.length < 5) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `subscription: ${bytes.length} bytes is too short`);
      const hash = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1);
      return { op: bytes[0] === 1 ? 'subscribe' : 'unsubscribe', hash, key: keySerde.deserialize(bytes.subarray(5)) };
    },
  };
}

/** Answers through their topic: `u8 kind | i32 hash | u8 present | other value bytes`. */
export function joinUpdateSerde<VO>(otherSerde: Serde<VO>): Serde<JoinUpdate<VO>> {
  return {
    name: `fk-response(${otherSerde.name})`,
    serialize(u) {
      if (u.kind === 'local') return new Uint8Array([0]);
      const v = u.other === undefined ? new Uint8Array(0) : otherSerde.serialize(u.other);
      const out = new Uint8Array(6 + v.length);
      out[0] = 1;
      new DataView(out.buffer).setInt32(1, u.hash);
      out[5] = u.other === undefined ? 0 : 1;
      out.set(v, 6);
      return out;
    },
    deserialize(bytes) {
      if (bytes[0] === 0 && bytes.length === 1) return { kind: 'local' };
      if (bytes.length < 6 || bytes[0] !== 1) throw new SerdeError('RIVULET_SERDE_DESERIALIZE', `fk response: malformed ${bytes.length}-byte record`);
      const hash = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(1);
      return { kind: 'response', hash, other: bytes[5] === 1 ? otherSerde.deserialize(bytes.subarray(6)) : undefined };
    },
  };
}
