import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { RestartRunnerConfig } from '../../support/embedded-restart-runner.js';

const runner = fileURLToPath(new URL('../../support/embedded-restart-runner.ts', import.meta.url));
// vite-node runs the script in its own process, so a SIGKILL the script sends itself is the exit signal.
const viteNode = fileURLToPath(new URL('../../../node_modules/vite-node/vite-node.mjs', import.meta.url));

interface RunResult { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly out: string; readonly err: string }

/** Runs the service once in its own process (its own embedded broker), bounded to 90 s. */
function runService(config: RestartRunnerConfig): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteNode, runner, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service run did not exit within 90 s; stderr: ${err.slice(-2000)}`));
    }, 90_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

const resultOf = (r: RunResult): { counts: Record<string, number>; windows: [string, unknown][]; late: number } => {
  expect(r.code, r.err.slice(-2000)).toBe(0);
  return JSON.parse(r.out.trim().split('\n').pop() ?? '') as { counts: Record<string, number>; windows: [string, unknown][]; late: number };
};

/**
 * The embedded broker lives in memory: a restarted service starts with an empty
 * log. State left on disk by an earlier run belongs to that run's log, so a
 * restart must give what a first run gives, not old counts plus new ones or
 * windows dropped as late against the old run's stream time.
 */
describe('restarting a service on the embedded broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let first: ReturnType<typeof resultOf>;

  it('a first run computes every window and count', async () => {
    first = resultOf(await runService({ stateDir: dir }));
    expect(first.counts).toEqual({ d1: 201, d2: 200, d3: 200 });
    expect(first.windows).toHaveLength(90);
    expect(first.late).toBe(0);
    expect(statSync(join(dir, 'restart-app')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'restart-app', 'cluster-id')).mode & 0o777).toBe(0o600);
  }, 120_000);

  it('a clean restart with the same state directory gives the same results', async () => {
    const r = await runService({ stateDir: dir });
    expect(resultOf(r)).toEqual(first);
    expect(r.err).toContain('was built against cluster embedded-');
  }, 120_000);

  it('a restart after SIGKILL mid-run gives the same results', async () => {
    const killed = await runService({ stateDir: dir, killAfterCommits: 3 });
    expect(killed.signal).toBe('SIGKILL');
    // The killed run left committed state and a checkpoint behind.
    expect(readFileSync(join(dir, 'restart-app', 'cluster-id'), 'utf8')).toMatch(/^embedded-/);
    expect(resultOf(await runService({ stateDir: dir }))).toEqual(first);
  }, 180_000);
});
