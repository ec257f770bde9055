import type { KeyValue } from './map.js';
import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** One record in, zero or more key-value pairs out. */
export function flatMapProcessor<K, V, KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR>>): ProcessorSupplier<K, V, KR, VR> {
  return () => {
    let ctx!: ProcessorContext<KR, VR>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        for (const kv of mapper(r.key, r.value)) ctx.forward({ ...r, key: kv.key, value: kv.value });
      },
    };
  };
}

/** One record in, zero or more values out under the same key. */
export function flatMapValuesProcessor<K, V, VR>(mapper: (value: V, key: K) => Iterable<VR>): ProcessorSupplier<K, V, K, VR> {
  return () => {
    let ctx!: ProcessorContext<K, VR>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        for (const v of mapper(r.value, r.key)) ctx.forward({ ...r, value: v });
      },
    };
  };
}
