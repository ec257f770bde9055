import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Calls `action` per record; forwards the record unchanged when `forward` (peek) and not (foreach). */
export function peekProcessor<K, V>(action: (key: K, value: V) => void, forward: boolean): ProcessorSupplier<K, V, K, V> {
  return () => {
    let ctx!: ProcessorContext<K, V>;
    return {
      init: (c) => void (ctx = c),
      process: (r) => {
        action(r.key, r.value);
        if (forward) ctx.forward(r);
      },
    };
  };
}
