/** Command line of the peer runners (bench/peers/README.md): `engine|broker --name value ...`. */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export type EngineArgs = { readonly mode: 'engine'; readonly workload: 'W1' | 'W2' | 'wordcount' | 'join' | 'memory'; readonly data: string };
export type BrokerArgs = {
  readonly mode: 'broker';
  readonly brokers: string[];
  readonly input: string;
  readonly windowed: string;
  readonly alerts: string;
  readonly status: string;
  readonly appId: string;
  /** `--guarantee` (at-least-once unless given): rivulet-eos and kafka-streams-eos are the same runners under exactly-once. */
  readonly guarantee: 'at_least_once' | 'exactly_once';
};
/**
 * `broker-engine`: an engine workload (not memory) as a real instance on topics
 * the orchestrator pre-loaded; `inputs` is `[input]`, or `[impressions, clicks]`
 * for the join.
 */
export type BrokerEngineArgs = {
  readonly mode: 'broker-engine';
  readonly workload: 'W1' | 'W2' | 'wordcount' | 'join';
  readonly brokers: string[];
  readonly inputs: string[];
  readonly output: string;
  readonly appId: string;
  readonly guarantee: 'at_least_once' | 'exactly_once';
};

const WORKLOADS = ['W1', 'W2', 'wordcount', 'join', 'memory'] as const;

/** Parses `argv` (process.argv.slice(2); a leading `--` is skipped); throws with a usage message. */
export function parseRunnerArgs(argv: readonly string[]): EngineArgs | BrokerArgs | BrokerEngineArgs {
  const args = argv.filter((a) => a !== '--');
  const mode = args[0];
  const opt = (name: string): string => {
    const i = args.indexOf(`--${name}`);
    const v = i >= 0 ? args[i + 1] : undefined;
    if (v === undefined || v.startsWith('--')) throw new Error(`missing --${name} (usage: engine --workload W1|W2|wordcount|join|memory --data DIR | broker --brokers HOST:PORT --input T --windowed T --alerts T --status T --app-id ID [--guarantee at_least_once|exactly_once] | broker-engine --workload W1|W2|wordcount|join --brokers HOST:PORT --inputs T[,T] --output T --app-id ID [--guarantee at_least_once|exactly_once])`);
    return v;
  };
  if (mode === 'engine') {
    const workload = opt('workload');
    if (!(WORKLOADS as readonly string[]).includes(workload)) throw new Error(`unknown workload ${workload} (one of ${WORKLOADS.join(', ')})`);
    return { mode, workload: workload as EngineArgs['workload'], data: opt('data') };
  }
  const guaranteeOpt = (): 'at_least_once' | 'exactly_once' => {
    const guarantee = args.includes('--guarantee') ? opt('guarantee') : 'at_least_once';
    if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once') throw new Error(`--guarantee must be at_least_once or exactly_once (got ${guarantee})`);
    return guarantee;
  };
  if (mode === 'broker') {
    return {
      mode,
      brokers: opt('brokers').split(',').map((b) => b.trim()).filter((b) => b.length > 0),
      input: opt('input'),
      windowed: opt('windowed'),
      alerts: opt('alerts'),
      status: opt('status'),
      appId: opt('app-id'),
      guarantee: guaranteeOpt(),
    };
  }
  if (mode === 'broker-engine') {
    const workload = opt('workload');
    if (!['W1', 'W2', 'wordcount', 'join'].includes(workload)) throw new Error(`broker-engine: unknown workload ${workload} (one of W1, W2, wordcount, join)`);
    const inputs = opt('inputs').split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    if (inputs.length !== (workload === 'join' ? 2 : 1)) throw new Error(`broker-engine: --inputs must name ${workload === 'join' ? 'two topics (impressions,clicks)' : 'one topic'} for ${workload} (got ${inputs.join(',')})`);
    return { mode, workload: workload as BrokerEngineArgs['workload'], brokers: opt('brokers').split(',').map((b) => b.trim()).filter((b) => b.length > 0), inputs, output: opt('output'), appId: opt('app-id'), guarantee: guaranteeOpt() };
  }
  throw new Error(`first argument must be engine, broker or broker-engine (got ${JSON.stringify(mode)})`);
}

/** Runs `main`; a failure exits 1 with its message on stderr (the orchestrator records it). */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exit(1);
    },
  );
}

/** Current and peak resident set size from /proc/self/status (falls back to process.memoryUsage). */
export function rss(): { rss: number; hwm: number } {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    const r = { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    if (Number.isFinite(r.rss) && Number.isFinite(r.hwm)) return r;
  } catch {
    // not Linux
  }
  const m = process.memoryUsage().rss;
  return { rss: m, hwm: m };
}

setFlagsFromString('--expose-gc');
/** A full garbage collection (the runners measure memory after one). */
export const gc = runInNewContext('gc') as () => void;

/** RSS after a GC: the baseline taken before the first record. */
export function rssBaseline(): number {
  gc();
  return rss().rss;
}

/**
 * Memory held per 1 000 000 open accumulators: RSS (and peak RSS) after a GC
 * minus `baseline`, scaled from `count` keys; `ms` is the time the GC and the
 * reading took, which is not processing time.
 */
export function rssPerMillion(baseline: number, count: number): { rssBytes: number; peakRssBytes: number; ms: number } {
  const t = performance.now();
  gc();
  const after = rss();
  return {
    rssBytes: Math.round(((after.rss - baseline) * 1e6) / count),
    peakRssBytes: Math.round(((after.hwm - baseline) * 1e6) / count),
    ms: performance.now() - t,
  };
}
