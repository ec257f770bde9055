import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Every relative import of the files under `folder`: which file, what it imports (relative to src/), type-only or not. */
function imports(folder: string): { file: string; target: string; typeOnly: boolean }[] {
  const out: { file: string; target: string; typeOnly: boolean }[] = [];
  for (const f of files(join(SRC, folder))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/(import type |import |export (?:type )?\{[^}]*\} |import\()[^;]*?'(\.[^']+)'/g)) {
      out.push({ file: relative(SRC, f), target: relative(SRC, join(f, '..', m[2]!)), typeOnly: m[1] === 'import type ' });
    }
  }
  return out;
}

describe('layering: imports run from the top layers down', () => {
  it.each([
    ['processors', ['runtime/', 'transport/']],
    ['serde', ['processors/', 'runtime/', 'transport/']],
    ['metrics', ['runtime/']],
  ] as const)('%s/ imports nothing from %j', (folder, forbidden) => {
    const bad = imports(folder).filter((i) => forbidden.some((f) => i.target.startsWith(f)));
    expect(bad).toEqual([]);
  });

  it('runtime/ loads no transport implementation: it creates transports through transport/create-transport.ts', () => {
    const bad = imports('runtime').filter((i) => !i.typeOnly && (i.target.startsWith('transport/kafkajs/') || i.target.startsWith('transport/embedded/')));
    expect(bad).toEqual([]);
    expect(imports('runtime').some((i) => i.target === 'transport/create-transport.js')).toBe(true);
  });
});
