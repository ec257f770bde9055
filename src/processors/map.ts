import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** A key-value pair produced by `map`/`flatMap` (Kafka Streams' `KeyValue`). */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

/** Replaces key and value. */
export function mapProcessor<K, V, KR, VR>(mapper: (key: K, value: V) => KeyValue<KR, VR>): ProcessorSupplier<K, V, KR, VR> {
  return () => {
    let ctx!: ProcessorContext<KR, VR>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        const kv = mapper(r.key, r.value);
        ctx.forward({ ...r, key: kv.key, value: kv.value });
      },
    };
  };
}

/** Replaces the value; the key and so the partitioning stay. */
export function mapValuesProcessor<K, V, VR>(mapper: (value: V, key: K) => VR): ProcessorSupplier<K, V, K, VR> {
  return () => {
    let ctx!: ProcessorContext<K, VR>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => ctx.forward({ ...r, value: mapper(r.value, r.key) }),
    };
  };
}

/** Replaces the key. */
export function selectKeyProcessor<K, V, KR>(mapper: (key: K, value: V) => KR): ProcessorSupplier<K, V, KR, V> {
  return () => {
    let ctx!: ProcessorContext<KR, V>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => ctx.forward({ ...r, key: mapper(r.key, r.value) }),
    };
  };
}
