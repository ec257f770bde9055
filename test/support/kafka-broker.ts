/**
 * A private Apache Kafka broker for one test file, started with
 * scripts/kafka/start.sh in a run dir of its own, that the test may stop and
 * start again on the same port and data dir. Private so that an outage does
 * not break the test files running meanwhile against the shared broker.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/kafka/', import.meta.url));
const SCRIPT_TIMEOUT_MS = 150_000;

export interface ControlledBroker {
  /** `127.0.0.1:<port>`; the same after every restart. */
  readonly brokers: string;
  /** Every `KAFKA_*=value` line start.sh printed (with KAFKA_SECURITY=sasl_ssl: the secured listeners, KAFKA_TLS_DIR). */
  readonly vars: Readonly<Record<string, string>>;
  /** Stops the broker, keeping its data: SIGTERM (controlled shutdown) or, with `kill`, SIGKILL. */
  stop(opts?: { kill?: boolean }): Promise<void>;
  /** Starts the stopped broker again; resolves once it answers. */
  start(): Promise<void>;
  /** Stops the broker for good and deletes its run dir. */
  destroy(): Promise<void>;
}

async function script(name: string, runDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run('bash', [join(scripts, name), ...args], { env: { ...process.env, ...env, KAFKA_RUN_DIR: runDir }, timeout: SCRIPT_TIMEOUT_MS });
  return stdout;
}

/**
 * Why a broker cannot be controlled here, or undefined if it can: the run must
 * come from scripts/kafka/with-kafka.sh, whose run dir (KAFKA_RUN_DIR) hosts the
 * private broker and whose cleanup stops it should the test die half-way.
 */
export function brokerControlUnavailable(): string | undefined {
  if (!process.env['KAFKA_BROKERS']) return 'needs KAFKA_BROKERS (run `npm run test:integration`)';
  if (!process.env['KAFKA_RUN_DIR']) {
    return 'needs a broker it can stop and restart: KAFKA_BROKERS was given by hand without KAFKA_RUN_DIR; run through scripts/kafka/with-kafka.sh';
  }
  return undefined;
}

/** `env` is passed to start.sh, e.g. `{ KAFKA_SECURITY: 'sasl_ssl' }`. */
export async function startControlledBroker(prefix: string, env: Record<string, string> = {}): Promise<ControlledBroker> {
  const runDir = mkdtempSync(join(process.env['KAFKA_RUN_DIR'] as string, `${prefix}-`));
  const out = await script('start.sh', runDir, [], env);
  const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(out)?.[1];
  if (brokers === undefined) throw new Error(`start.sh printed no KAFKA_BROKERS:\n${out}`);
  const vars = Object.fromEntries([...out.matchAll(/^(KAFKA_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
  return {
    brokers,
    vars,
    stop: async (opts = {}) => void (await script('stop.sh', runDir, ['--keep-data', ...(opts.kill === true ? ['--kill'] : [])])),
    start: async () => {
      const again = await script('start.sh', runDir, [], env);
      if (!again.includes(`KAFKA_BROKERS=${brokers}`)) throw new Error(`the broker came back elsewhere:\n${again}`);
    },
    destroy: async () => {
      await script('stop.sh', runDir);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
