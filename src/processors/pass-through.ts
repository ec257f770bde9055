import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** Forwards every record; used where the DSL needs a node to join branches (merge). */
export function passThroughProcessor<K, V>(): ProcessorSupplier<K, V, K, V> {
  return () => {
    let ctx!: ProcessorContext<K, V>;
    return { init: (c) => void (ctx = c), process: (r) => ctx.forward(r) };
  };
}
