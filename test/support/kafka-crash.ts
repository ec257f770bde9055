import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import type { CrashableInstance, CrashEnvironment, LaunchOptions } from './crash-scenarios.js';
import type { RunnerConfig } from './crash-runner.js';

const runner = fileURLToPath(new URL('./crash-runner.ts', import.meta.url));

/** Crash scenarios on real Kafka: each instance is a child process (crash-runner.ts), killed with SIGKILL. */
export function kafkaCrashEnvironment(brokers: readonly string[], opts: { records: number; sessionTimeoutMs: number; transactionTimeoutMs: number }): CrashEnvironment {
  let seq = 0;
  return {
    admin: async () => {
      const t = await createBrokerTransport({ brokers: [...brokers] });
      await t.connect();
      return t;
    },
    instanceOptions: () => ({ brokers }),
    waitMs: 120_000,
    // Only a kill wherever the process is: SIGKILL cannot aim at a point inside a commit.
    crashModes: ['now'],
    records: opts.records,
    scenarioTimeoutMs: 6 * 60_000,
    reuseStateDir: true,
    async launch(o: LaunchOptions): Promise<CrashableInstance> {
      const name = `process-${++seq}`;
      const config: RunnerConfig = { ...o, brokers, sessionTimeoutMs: opts.sessionTimeoutMs, transactionTimeoutMs: opts.transactionTimeoutMs };
      // Detached: its own process group, so SIGKILL reaches npx and the node process under it.
      const child: ChildProcess = spawn('npx', ['vite-node', runner, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
      let last = { state: 'CREATED', tasks: 0 };
      let exited = false;
      const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          last = JSON.parse(line) as typeof last;
        } catch {
          // not a status line
        }
      });
      return {
        name,
        state: () => (exited ? 'DEAD' : last.state),
        tasks: () => (exited ? 0 : last.tasks),
        async crash() {
          killGroup(child);
          await exit;
          return 'now (SIGKILL)';
        },
        async close() {
          if (exited) return;
          child.stdin!.write('close\n');
          const t = setTimeout(() => killGroup(child), 60_000);
          await exit;
          clearTimeout(t);
        },
      };
    },
  };
}

/** SIGKILLs the child's process group (npx and the node process running vite-node). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}
