/**
 * A private 3-node Apache Kafka cluster for one test file (scripts/kafka/cluster.sh),
 * in a run dir under the one scripts/kafka/with-kafka.sh made, so that its cleanup
 * stops the cluster should the test die half-way.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/kafka/cluster.sh', import.meta.url));
const SCRIPT_TIMEOUT_MS = 240_000;

export interface KafkaCluster {
  /** Bootstrap servers of all three nodes. */
  readonly brokers: string[];
  /** Stops node `id` (1..3), keeping its data: SIGTERM, or with `kill` SIGKILL (a crash). */
  stopNode(id: number, opts?: { kill?: boolean }): Promise<void>;
  /** Starts the stopped node again on its ports and data; resolves once it answers. */
  startNode(id: number): Promise<void>;
  destroy(): Promise<void>;
}

/** Why no cluster can be started here, or undefined: it needs the run dir of scripts/kafka/with-kafka.sh. */
export function clusterUnavailable(): string | undefined {
  if (!process.env['KAFKA_RUN_DIR']) return 'needs KAFKA_RUN_DIR (run `npm run test:integration`, which goes through scripts/kafka/with-kafka.sh)';
  return undefined;
}

export async function startCluster(prefix: string): Promise<KafkaCluster> {
  const runDir = mkdtempSync(join(process.env['KAFKA_RUN_DIR'] as string, `${prefix}-`));
  const call = async (...args: string[]) => (await run('bash', [script, ...args], { env: { ...process.env, KAFKA_RUN_DIR: runDir }, timeout: SCRIPT_TIMEOUT_MS })).stdout;
  const out = await call('start');
  const brokers = /^KAFKA_CLUSTER_BROKERS=(.+)$/m.exec(out)?.[1]?.split(',');
  if (brokers === undefined) throw new Error(`cluster.sh printed no KAFKA_CLUSTER_BROKERS:\n${out}`);
  return {
    brokers,
    stopNode: async (id, opts = {}) => void (await call('stop-node', String(id), ...(opts.kill === true ? ['--kill'] : []))),
    startNode: async (id) => void (await call('start-node', String(id))),
    destroy: async () => {
      await call('stop');
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
