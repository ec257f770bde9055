import { RivuletError } from '../errors.js';
import { internal, type AsyncAware, type DeferredRecord, type InternalProcessorContext } from './internal-context.js';
import type { Processor, ProcessorSupplier } from './processor.js';
import type { StreamRecord } from './stream-record.js';

/** What an asynchronous UDF gets besides the value and key. */
export interface AsyncCallContext {
  /** Aborted when the attempt timed out; pass it to `fetch` and the like. */
  readonly signal: AbortSignal;
  /** 0 for the first attempt. */
  readonly attempt: number;
}

export interface AsyncMapOptions<K, V, KR, VR> {
  readonly name: string;
  /** The records a record turns into (its key for `mapValuesAsync`). */
  readonly fn: (value: V, key: K, call: AsyncCallContext) => Promise<Iterable<{ readonly key: KR; readonly value: VR }>>;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Delay before retry `n` (1-based): `backoffMs * 2^(n-1)`. */
  readonly backoffMs: number;
}

interface InFlight<K, KR, VR> {
  readonly record: StreamRecord<K, unknown>;
  readonly deferred: DeferredRecord<KR, VR>;
  done: boolean;
  results?: Iterable<{ readonly key: KR; readonly value: VR }>;
  error?: unknown;
}

/**
 * Runs an asynchronous function per record with bounded concurrency and emits
 * the results in input order: a record's results wait until every earlier
 * record's are out. The runtime waits for all records in flight before it
 * commits, so an offset is only committed once everything before it finished
 * (and, under exactly-once, in the same transaction as their outputs); a crash
 * loses the work in flight, which is then redone from the last commit. A record
 * that still fails after `retries` goes to the processing error handler
 * (dead-letter topic by default).
 */
export function asyncMapProcessor<K, V, KR, VR>(o: AsyncMapOptions<K, V, KR, VR>): ProcessorSupplier<K, V, KR, VR> {
  return () => {
    let ctx!: InternalProcessorContext<KR, VR>;
    /** Every record handed in and not yet emitted, in input order. */
    const queue: InFlight<K, KR, VR>[] = [];
    /** Records beyond the concurrency limit, started as calls finish. */
    const waiting: InFlight<K, KR, VR>[] = [];
    let running = 0;
    let wake: (() => void)[] = [];
    const notify = (): void => {
      const w = wake;
      wake = [];
      for (const f of w) f();
    };

    const attempt = async (r: StreamRecord<K, V>, n: number): Promise<Iterable<{ readonly key: KR; readonly value: VR }>> => {
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(new RivuletError('RIVULET_ASYNC_TIMEOUT', `${o.name}: the call for the record at ${r.timestamp} did not finish within ${o.timeoutMs} ms (attempt ${n + 1} of ${o.retries + 1})`));
        }, o.timeoutMs);
      });
      try {
        return await Promise.race([o.fn(r.value, r.key, { signal: abort.signal, attempt: n }), timeout]);
      } finally {
        clearTimeout(timer);
      }
    };

    const start = (entry: InFlight<K, KR, VR>): void => {
      running++;
      void run(entry);
    };

    const run = async (entry: InFlight<K, KR, VR>): Promise<void> => {
      const r = entry.record as StreamRecord<K, V>;
      for (let n = 0; ; n++) {
        try {
          entry.results = await attempt(r, n);
          break;
        } catch (e) {
          if (n >= o.retries) {
            entry.error = e;
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, o.backoffMs * 2 ** n));
        }
      }
      entry.done = true;
      running--;
      const next = waiting.shift();
      if (next !== undefined) start(next);
      // Emit the finished prefix, in input order.
      while (queue.length > 0 && (queue[0] as InFlight<K, KR, VR>).done) {
        const head = queue.shift() as InFlight<K, KR, VR>;
        if (head.error !== undefined) head.deferred.fail(head.error);
        else for (const out of head.results ?? []) head.deferred.forward({ ...head.record, key: out.key, value: out.value });
      }
      notify();
    };

    const processor: Processor<K, V, KR, VR> & AsyncAware = {
      init: (c) => void (ctx = internal(c)),
      process: (r) => {
        const entry: InFlight<K, KR, VR> = { record: r, deferred: ctx.defer(), done: false };
        queue.push(entry);
        if (running < o.concurrency) start(entry);
        else waiting.push(entry);
      },
      get pending() {
        return queue.length;
      },
      get saturated() {
        return running + waiting.length >= o.concurrency;
      },
      capacity: async () => {
        while (running + waiting.length >= o.concurrency) await new Promise<void>((resolve) => wake.push(resolve));
      },
      settle: async () => {
        while (queue.length > 0) await new Promise<void>((resolve) => wake.push(resolve));
      },
    };
    return processor;
  };
}
