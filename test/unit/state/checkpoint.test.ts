import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint } from '../../../src/state/checkpoint.js';
import { expectStateError, rejection, thrown } from '../../support/store-contracts.js';

describe('Checkpoint', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-ckpt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an empty map when there is no file', async () => {
    expect(await new Checkpoint(join(dir, 'task')).read()).toEqual(new Map());
  });

  it('writes JSON { "topic:partition": offset } in the task directory and reads it back', async () => {
    const taskDir = join(dir, 'app', '0_3');
    const cp = new Checkpoint(taskDir);
    await cp.write(new Map([[Checkpoint.key('app-counts-changelog', 3), 42]]));
    expect(JSON.parse(await readFile(join(taskDir, '.checkpoint'), 'utf8'))).toEqual({ 'app-counts-changelog:3': 42 });
    await cp.write({ 'app-counts-changelog:3': 50, 'app-windows-changelog:3': 0 });
    expect(await cp.read()).toEqual(
      new Map([
        ['app-counts-changelog:3', 50],
        ['app-windows-changelog:3', 0],
      ]),
    );
    // The rename leaves no temp files behind.
    expect(await readdir(taskDir)).toEqual(['.checkpoint']);
    await cp.delete();
    await cp.delete();
    expect(await cp.read()).toEqual(new Map());
  });

  it('keeps the old checkpoint whole when a write is rejected', async () => {
    const cp = new Checkpoint(dir);
    await cp.write({ 't:0': 1 });
    expectStateError(await rejection(cp.write({ 't:0': -1 })), 'RIVULET_STATE_INVALID_ARGUMENT', 'Checkpoint.write: offsets["t:0"] must be an integer >= 0 (got number -1)');
    expectStateError(await rejection(cp.write({ 'no-partition': 1 })), 'RIVULET_STATE_INVALID_ARGUMENT', 'Checkpoint.parseKey: key must be "<topic>:<partition>" (got "no-partition")');
    expect(await cp.read()).toEqual(new Map([['t:0', 1]]));
  });

  it('reports a malformed file as corrupt, saying what to do', async () => {
    await mkdir(dir, { recursive: true });
    const cp = new Checkpoint(dir);
    const cases: [string, RegExp][] = [
      ['{"t:0": 1', /is not JSON; delete it to restore the task's stores fully from their changelogs$/],
      ['[1]', /must hold a JSON object \(got Array\)/],
      ['{"t": 1}', /has a key that is not "<topic>:<partition>" \(got "t"\)/],
      ['{"t:0": "5"}', /has an offset that is not an integer >= 0 for t:0 \(got "5"\)/],
      ['{"t:0": 1.5}', /got 1\.5/],
    ];
    for (const [text, message] of cases) {
      await writeFile(cp.path, text);
      expectStateError(await rejection(cp.read()), 'RIVULET_STATE_CORRUPT', message);
    }
  });

  it('builds and parses keys; topics may contain dots and dashes but not colons', () => {
    expect(Checkpoint.key('my.app-store-changelog', 0)).toBe('my.app-store-changelog:0');
    expect(Checkpoint.parseKey('my.app-store-changelog:12')).toEqual({ topic: 'my.app-store-changelog', partition: 12 });
    expectStateError(thrown(() => Checkpoint.key('a:b', 0)), 'RIVULET_STATE_INVALID_ARGUMENT', /topic must be a Kafka topic name .* \(got "a:b"\)/);
    expectStateError(thrown(() => Checkpoint.key('t', -1)), 'RIVULET_STATE_INVALID_ARGUMENT', 'Checkpoint.key: partition must be an integer >= 0 (got number -1)');
  });
});
