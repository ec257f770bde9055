import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { produceJson } from '../support/embedded-io.js';
import type { FileSinkRunnerConfig } from '../support/file-sink-runner.js';

const brokers = process.env['KAFKA_BROKERS'];
const runner = fileURLToPath(new URL('../support/file-sink-runner.ts', import.meta.url));
const RECORDS = 20_000;

/** Lines of the file: whole JSON objects only (a torn line fails to parse). */
function lines(path: string): { seq: number }[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  expect(text === '' || text.endsWith('\n'), 'the file ends with a whole line').toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { seq: number });
}

function launch(config: FileSinkRunnerConfig): { child: ChildProcess; exit: Promise<void>; processed: () => number; state: () => string } {
  const child = spawn('npx', ['vite-node', runner, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
  let last = { state: 'CREATED', processed: 0 };
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      last = JSON.parse(l) as typeof last;
    } catch {
      // not a status line
    }
  });
  return { child, exit, processed: () => last.processed, state: () => last.state };
}

const kill = (c: ChildProcess) => {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    // gone
  }
};

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

if (brokers === undefined || brokers === '') {
  describe('file sink crashes on Apache Kafka', () => {
    it.skip('needs KAFKA_BROKERS (run `npm run test:integration`)', () => undefined);
  });
} else {
  describe('file sink crashes on Apache Kafka', () => {
    it('killed with SIGKILL three times while committing, exactly-once: every record is in the file once, and no line is torn', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-filesink-crash-'));
      const id = `${Date.now()}`;
      const config: FileSinkRunnerConfig = { brokers: brokers.split(','), applicationId: `file-crash-${id}`, input: `file-crash-in-${id}`, path: join(dir, 'out.jsonl'), stateDir: join(dir, 'state') };
      const admin = await createBrokerTransport({ brokers: config.brokers as string[] });
      await admin.connect();
      try {
        await admin.createTopics([{ topic: config.input, partitions: 2 }]);
        await produceJson(admin, config.input, Array.from({ length: RECORDS }, (_, seq) => ({ key: `k${seq % 13}`, value: { seq } })));
        const kills: number[] = [];
        for (let k = 0; k < 3; k++) {
          const run = launch(config);
          await until(() => run.state() === 'RUNNING', 120_000, 'the instance running');
          // Let it commit a few batches, then kill it wherever it is.
          const before = lines(config.path).length;
          await until(() => lines(config.path).length > before + 500 || run.processed() > 2_000, 120_000, 'progress');
          kill(run.child);
          await run.exit;
          kills.push(lines(config.path).length);
        }
        const last = launch(config);
        await until(() => lines(config.path).length >= RECORDS, 240_000, `${RECORDS} lines`);
        last.child.stdin!.write('close\n');
        const t = setTimeout(() => kill(last.child), 60_000);
        await last.exit;
        clearTimeout(t);
        const seqs = lines(config.path).map((l) => l.seq);
        console.log(`[file sink crash] ${RECORDS} records, 3 SIGKILLs with ${kills.join(', ')} lines written at the kills; ${seqs.length} lines in the end`);
        expect(seqs.length).toBe(RECORDS);
        expect(new Set(seqs).size).toBe(RECORDS);
        expect(Math.min(...seqs)).toBe(0);
        expect(Math.max(...seqs)).toBe(RECORDS - 1);
      } finally {
        await admin.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 10 * 60_000);
  });
}
