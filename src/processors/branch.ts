import type { ProcessorContext, ProcessorSupplier } from './processor.js';

/** A branch: records matching `predicate` (first match wins) go to child `child`. */
export interface BranchRoute<K, V> {
  readonly predicate: (key: K, value: V) => boolean;
  readonly child: string;
}

/** Routes each record to the first branch whose predicate holds, else to `defaultChild` (if any). */
export function branchProcessor<K, V>(routes: readonly BranchRoute<K, V>[], defaultChild: () => string | undefined): ProcessorSupplier<K, V, K, V> {
  return () => {
    let ctx!: ProcessorContext<K, V>;
    let fallback: string | undefined;
    return {
      init: (c) => {
        ctx = c;
        fallback = defaultChild();
      },
      process: (r) => {
        for (const route of routes) {
          if (route.predicate(r.key, r.value)) {
            ctx.forward(r, route.child);
            return;
          }
        }
        if (fallback !== undefined) ctx.forward(r, fallback);
      },
    };
  };
}
