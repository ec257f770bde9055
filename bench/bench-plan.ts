/**
 * The sizes `npm run bench` runs at. The default run is sized to finish within
 * 15 minutes on a 2-core machine; `RIVULET_BENCH_FULL=1` runs the full sizes
 * (kernel at scale 1, 2 000 000 readings on the broker, 1 000 000 keys for
 * memory, three repetitions of every engine run on the broker, 60 s throughput
 * caps). Both write the same files with the same rows; the .md files state the
 * sizes. A part's own variable (RIVULET_PEERS_REPS, RIVULET_BROKER_BENCH_RECORDS,
 * RIVULET_BENCH_SCALE, ...) overrides the plan either way.
 */

export type BenchEnv = Readonly<Record<string, string | undefined>>;

export interface KernelPlan {
  /** Records and event-time span of W1–W4 (2 000 000 records at 1). */
  readonly scale: number;
}

export interface BrokerPlan {
  /** IoT readings loaded for bench/broker.bench.ts. */
  readonly records: number;
}

export interface PeersPlan {
  /** Workloads run through each system's test driver: all five in the full run, memory alone by default. */
  readonly engineWorkloads: readonly PeerEngineWorkload[];
  /** Test-driver input files (bench/peers/data.ts PEER_SIZES × scale). */
  readonly engineScale: number;
  /** Open window accumulators of the memory workload (real keys, nothing multiplied). */
  readonly memoryKeys: number;
  /** Systems of the engine runs on the broker: all six in the full run; by default without Kafka Streams' in-memory and EOS variants. */
  readonly brokerEngineSystems: readonly string[];
  /** Input files of the engine workloads on the broker. */
  readonly brokerEngineScale: number;
  /** Longest engine run on the broker; a system still behind is rated on what it committed. */
  readonly brokerEngineSeconds: number;
  /** Kafka Streams' JVM warm-up before each engine run on the broker. */
  readonly javaWarmupSeconds: number;
  /** Runs per system and engine workload on the broker (the median is reported). */
  readonly reps: number;
  /** IoT readings for the iot-broker throughput runs. */
  readonly brokerRecords: number;
  /** Longest iot-broker throughput run per system. */
  readonly brokerSeconds: number;
  /** Seconds of readings produced at the fixed rate in each latency run, after the warm-up: the measured window. */
  readonly latencySeconds: number;
  /** Seconds of readings produced at the same rate before the measured window (their alerts are not samples). */
  readonly latencyWarmupSeconds: number;
  /** Longest wait for alerts after the last reading of a latency run (a system far behind is not waited out). */
  readonly latencyDrainSeconds: number;
}

export interface SuppressPlan {
  /** `mode:keys:records:passes,…` (bench/suppress.bench.ts). */
  readonly cases: string;
}

export interface BenchPlan {
  readonly full: boolean;
  /** One line for the .md outputs: which run this is and how to get the other. */
  readonly label: string;
  readonly kernel: KernelPlan;
  readonly broker: BrokerPlan;
  readonly peers: PeersPlan;
  readonly suppress: SuppressPlan;
}

export const PEER_ENGINE_WORKLOADS = ['W1', 'W2', 'wordcount', 'join', 'memory'] as const;
export type PeerEngineWorkload = (typeof PEER_ENGINE_WORKLOADS)[number];

/** bench/peers/broker-engines.ts BROKER_ENGINE_SYSTEMS, and the default run's subset. */
export const FULL_BROKER_ENGINE_SYSTEMS = ['rivulet', 'rivulet-eos', 'kafka-streams', 'kafka-streams-inmem', 'kafka-streams-eos', 'kafkats-flow'] as const;
export const DEFAULT_BROKER_ENGINE_SYSTEMS = ['rivulet', 'rivulet-eos', 'kafka-streams', 'kafkats-flow'] as const;

export const FULL_SUPPRESS_CASES = 'runtime:100:10000:3,runtime:500:40000:3,driver:50:4000:3';
export const DEFAULT_SUPPRESS_CASES = 'runtime:100:10000:1,runtime:500:40000:1,driver:50:4000:3';

/** `RIVULET_BENCH_FULL`: 1/true for the full sizes, 0/false/unset for the default run. */
export function fullRequested(env: BenchEnv): boolean {
  const raw = (env['RIVULET_BENCH_FULL'] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new Error(`RIVULET_BENCH_FULL must be 1 (full sizes) or 0 (default run) (got ${JSON.stringify(env['RIVULET_BENCH_FULL'])})`);
}

/** A positive number from `env[name]`, or undefined when it is unset or empty. */
function positive(env: BenchEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number > 0 (got ${JSON.stringify(raw)})`);
  return n;
}

/** `RIVULET_PEERS_ENGINE_WORKLOADS=W1,memory`: the test-driver workloads to run. */
function engineWorkloads(env: BenchEnv, full: boolean): PeerEngineWorkload[] {
  const raw = env['RIVULET_PEERS_ENGINE_WORKLOADS'];
  // Test-driver speed is the drivers' (Kafka Streams' commits after every record), not the engines', and costs
  // minutes: the default run keeps only the memory workload, the one figure the broker runs do not give.
  if (raw === undefined || raw.trim() === '') return full ? [...PEER_ENGINE_WORKLOADS] : ['memory'];
  const names = raw.split(',').map((w) => w.trim()).filter((w) => w.length > 0);
  for (const w of names) if (!(PEER_ENGINE_WORKLOADS as readonly string[]).includes(w)) throw new Error(`RIVULET_PEERS_ENGINE_WORKLOADS: unknown workload '${w}' (one of ${PEER_ENGINE_WORKLOADS.join(', ')})`);
  return PEER_ENGINE_WORKLOADS.filter((w) => names.includes(w));
}

/** The sizes of every part for this environment (pure: reads only `env`). */
export function benchPlan(env: BenchEnv): BenchPlan {
  const full = fullRequested(env);
  // RIVULET_BENCH_SCALE keeps its meaning from before the plan: the kernel's scale,
  // capped for the peers' inputs, and 2 000 000 × scale iot-broker readings.
  const scale = positive(env, 'RIVULET_BENCH_SCALE');
  const engineScale = positive(env, 'RIVULET_PEERS_SCALE') ?? (scale !== undefined ? Math.min(scale, 0.01) : full ? 0.01 : 0.005);
  return {
    full,
    label: full
      ? 'Full run (RIVULET_BENCH_FULL=1).'
      : 'Default run: smaller sizes than the full run, so that `npm run bench` finishes within 15 minutes on 2 cores; RIVULET_BENCH_FULL=1 gives the full sizes.',
    kernel: { scale: scale ?? (full ? 1 : 0.02) },
    broker: { records: Math.round(positive(env, 'RIVULET_BROKER_BENCH_RECORDS') ?? (full ? 2_000_000 : 100_000)) },
    peers: {
      engineWorkloads: engineWorkloads(env, full),
      engineScale,
      // Each engine run on the broker costs 10-15 s of process start and stop beyond its cap.
      brokerEngineSystems: full ? [...FULL_BROKER_ENGINE_SYSTEMS] : [...DEFAULT_BROKER_ENGINE_SYSTEMS],
      memoryKeys: Math.round(positive(env, 'RIVULET_PEERS_MEMORY_KEYS') ?? (full ? 1_000_000 : 100_000)),
      // rivulet finishes W1 at 0.05 (100 000 records) in about 1.4 s, its exactly-once run before the first check: too little to time.
      brokerEngineScale: positive(env, 'RIVULET_PEERS_BROKER_ENGINE_SCALE') ?? (scale !== undefined ? Math.min(scale, 0.2) : full ? 0.2 : 0.05),
      brokerEngineSeconds: positive(env, 'RIVULET_PEERS_BROKER_ENGINE_SECONDS') ?? (full ? 20 : 6),
      javaWarmupSeconds: Math.round(positive(env, 'RIVULET_PEERS_JAVA_WARMUP_S') ?? (full ? 10 : 2)),
      reps: Math.round(positive(env, 'RIVULET_PEERS_REPS') ?? (full ? 3 : 1)),
      brokerRecords: Math.max(1_000, Math.round(positive(env, 'RIVULET_PEERS_BROKER_RECORDS') ?? 2_000_000 * (scale ?? (full ? 1 : 0.05)))),
      brokerSeconds: positive(env, 'RIVULET_PEERS_BROKER_SECONDS') ?? (full ? 60 : 10),
      latencySeconds: positive(env, 'RIVULET_PEERS_LATENCY_S') ?? (full ? 60 : 5),
      latencyWarmupSeconds: positive(env, 'RIVULET_PEERS_LATENCY_WARMUP_S') ?? (full ? 10 : 2),
      latencyDrainSeconds: full ? 30 : 10,
    },
    suppress: { cases: env['RIVULET_BENCH_SUPPRESS_CASES'] ?? (full ? FULL_SUPPRESS_CASES : DEFAULT_SUPPRESS_CASES) },
  };
}
