import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Forwards records whose predicate result equals `keep` (filter: true, filterNot: false). */
export function filterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean): ProcessorSupplier<K, V, K, V> {
  return () => {
    let ctx!: ProcessorContext<K, V>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        if (Boolean(predicate(r.key, r.value)) === keep) ctx.forward(r);
      },
    };
  };
}
