/**
 * rivulet as a service gets it: `npm pack` (whose prepack builds the WASM kernel from source
 * and compiles src/ to dist/), the tarball installed with npm into a scratch app outside the
 * repository, the README's quick start run there as plain ESM, and a strict TypeScript
 * consumer type-checked against the installed typings. `npm test` runs this file as its own
 * step (scripts/test.sh); it needs the toolchain `npm run setup` installs and the npm registry
 * (or npm's cache) for rivulet's dependencies.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed at the deadline: the process did not end by itself. */
  readonly timedOut: boolean;
  readonly ms: number;
}

/** Runs a command to its end, or kills its process group at `timeoutMs`. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

const explain = (r: Run): string => `exit ${r.code}${r.timedOut ? ' (killed at the deadline)' : ''}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;

interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly { readonly path: string }[];
}

describe('the npm package, installed into a service', () => {
  const work = mkdtempSync(join(tmpdir(), 'rivulet-consumer-'));
  const app = join(work, 'app');
  let pack: PackResult;

  beforeAll(async () => {
    // prepack builds the kernel and dist/, so this is also the test that `npm pack` works from a clone.
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], repo, 240_000);
    expect(packed.code, explain(packed)).toBe(0);
    // npm prints the JSON array last; the lifecycle scripts' output may precede it.
    const results = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\s*$/m))) as PackResult[];
    pack = results[0] as PackResult;
    console.log(`rivulet tarball: ${pack.filename}, ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${pack.entryCount} files`);

    writeFileSync(join(work, 'package.json'), '{}\n'); // keeps npm from looking for a project above the scratch dir
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'scratch-service', private: true, type: 'module' }, null, 2)}\n`);
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(work, pack.filename)], app, 180_000);
    expect(installed.code, explain(installed)).toBe(0);
  }, 420_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('is built outside the repository', () => {
    expect(relative(repo, realpathSync(app)).startsWith('..')).toBe(true);
  });

  it('holds the compiled JS, the typings and the WASM kernel, and nothing of the repository a service does not run', () => {
    const paths = pack.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/wasm/wasm-core.js', 'wasm-core/pkg/rivulet_wasm_core.js', 'wasm-core/pkg/rivulet_wasm_core_bg.wasm', 'wasm-core/pkg/package.json']) {
      expect(paths).toContain(needed);
    }
    const unwanted = paths.filter((p) => /^(src|test|bench|examples|scripts|target|\.ci)\/|^dist\/(src|test|bench|examples)\/|^wasm-core\/(src|Cargo)|Cargo\.|tsconfig|vitest|\.map$|\.tgz$/.test(p));
    expect(unwanted).toEqual([]);
    const installed = join(app, 'node_modules', 'rivulet');
    expect(existsSync(join(installed, 'wasm-core', 'pkg', 'rivulet_wasm_core_bg.wasm'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // rivulet reaches into kafkajs's private modules, so any other kafkajs version may break it.
    expect(manifest.dependencies['kafkajs']).toMatch(/^\d+\.\d+\.\d+$/);
    const kafkajs = JSON.parse(readFileSync(join(app, 'node_modules', 'kafkajs', 'package.json'), 'utf8')) as { version: string };
    expect(kafkajs.version).toBe(manifest.dependencies['kafkajs']);
  });

  it('runs the README quick start as plain ESM: 18 final windows printed, and the process exits by itself after close()', async () => {
    copyFileSync(join(repo, 'examples', 'quick-start', 'quick-start.mjs'), join(app, 'quick-start.mjs'));
    const r = await run(process.execPath, ['quick-start.mjs'], app, 60_000);
    expect(r.timedOut, `the quick start did not exit within 60 s after it began\n${explain(r)}`).toBe(false);
    expect(r.code, explain(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('18 final windows');
    const windows = lines.slice(0, -1).map((line) => {
      const m = /^(d\d) \[(\d+)s, (\d+)s\) count=(\d+) mean=([\d.]+) min=([\d.]+) max=([\d.]+) stddev=([\d.]+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, device = '', start, end, count, mean = '', min, max, stddev = ''] = m as RegExpExecArray;
      return { device, start: Number(start), end: Number(end), count: Number(count), mean, min: Number(min), max: Number(max), stddev };
    });
    const expected = ['d1', 'd2', 'd3'].flatMap((device, d) =>
      [0, 10, 20, 30, 40, 50].map((start) => ({
        device,
        start,
        end: start + 10,
        count: 10,
        // Values 20 + 5d + (i % 10) / 2 for the ten seconds of a window: 0, 0.5, ..., 4.5 above 20 + 5d.
        mean: (22.25 + 5 * d).toFixed(2),
        min: 20 + 5 * d,
        max: 24.5 + 5 * d,
        stddev: '1.514',
      })),
    );
    const order = (a: { device: string; start: number }, b: { device: string; start: number }) => a.device.localeCompare(b.device) || a.start - b.start;
    expect([...windows].sort(order)).toEqual(expected);
  }, 90_000);

  it('runs the README test-driver snippet as plain ESM', async () => {
    copyFileSync(join(repo, 'examples', 'quick-start', 'test-driver.mjs'), join(app, 'test-driver.mjs'));
    const r = await run(process.execPath, ['test-driver.mjs'], app, 30_000);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout.trim()).toBe('d1 [0, 10000) count=2 mean=4');
  }, 40_000);

  it('loads from CommonJS with require() (Node >= 20.19 requires ES modules)', async () => {
    writeFileSync(join(app, 'load.cjs'), "const { KafkaStreams, StreamsBuilder } = require('rivulet');\nconsole.log(typeof KafkaStreams, typeof StreamsBuilder);\n");
    const r = await run(process.execPath, ['load.cjs'], app, 30_000);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout.trim()).toBe('function function');
  }, 40_000);

  it('type-checks a strict TypeScript service against the installed typings (NodeNext)', async () => {
    copyFileSync(join(repo, 'examples', 'service', 'service.ts'), join(app, 'service.ts'));
    // Proves the typings are read, not `any`: each misuse below must be an error.
    writeFileSync(
      join(app, 'misuse.ts'),
      [
        "import { KafkaStreams, StreamsBuilder, TimeWindows, defaultEmbeddedBroker, Serdes } from 'rivulet';",
        'const topology = new StreamsBuilder().build();',
        '// @ts-expect-error applicationId is required',
        'new KafkaStreams(topology, {});',
        "// @ts-expect-error processingGuarantee is 'at_least_once' | 'exactly_once'",
        "new KafkaStreams(topology, { applicationId: 'a', processingGuarantee: 'sometimes' });",
        '// @ts-expect-error a duration is ms or a string',
        'TimeWindows.ofSizeAndGrace(true, 1);',
        "const producer = defaultEmbeddedBroker().producer({ keySerde: Serdes.string(), valueSerde: Serdes.json<{ v: number }>() });",
        "// @ts-expect-error the value must be what the value serde takes",
        "await producer.send({ topic: 't', key: 'k', value: { v: 'not a number' } });",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      `${JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            // The scratch app has no @types/node of its own; the repository's is the one rivulet is built with.
            typeRoots: [join(repo, 'node_modules', '@types')],
            types: ['node'],
          },
          files: ['service.ts', 'misuse.ts'],
        },
        null,
        2,
      )}\n`,
    );
    const r = await run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app, 120_000);
    expect(r.code, explain(r)).toBe(0);
  }, 130_000);
});
