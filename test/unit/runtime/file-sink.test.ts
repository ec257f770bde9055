import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { AppendOnlyFile } from '../../../src/sinks/append-only-file.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

const dirs: string[] = [];
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-file-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sinkTopology(path: string, format: 'jsonl' | 'csv') {
  const b = new StreamsBuilder();
  b.stream<string, { v: number; note: string }>('in', { valueSerde: Serdes.json() }).toFile(path, { format, name: 'file-out' });
  return b.build();
}

describe('KStream.toFile', () => {
  it('appends each committed record once, as JSON lines or CSV with a header and quoting', () => {
    const d = dir();
    for (const format of ['jsonl', 'csv'] as const) {
      const path = join(d, `out.${format}`);
      const driver = new TopologyTestDriver(sinkTopology(path, format));
      const input = driver.createInputTopic('in', Serdes.string(), Serdes.json<{ v: number; note: string }>());
      input.pipeInput('a', { v: 1, note: 'plain' });
      input.pipeInput('b', { v: 2, note: 'has, comma and "quotes"' });
      driver.close();
      const text = readFileSync(path, 'utf8');
      if (format === 'jsonl') expect(text).toBe('{"key":"a","v":1,"note":"plain"}\n{"key":"b","v":2,"note":"has, comma and \\"quotes\\""}\n');
      else expect(text).toBe('key,v,note\na,1,plain\nb,2,"has, comma and ""quotes"""\n');
      expect(readdirPending(d)).toEqual([]);
    }
  });

  it('a torn tail (an append cut short by a crash) is cut off when the file is opened again, and the batch is appended again whole', () => {
    const d = dir();
    const path = join(d, 'torn.jsonl');
    const first = AppendOnlyFile.at(path);
    first.append('app/sink/0_0', 0, '{"n":1}\n');
    // A crash mid-append: bytes past the manifest's length, and the process gone.
    appendFileSync(path, '{"n":2');
    expect(statSync(path).size).toBeGreaterThan(8);
    const reopened = reopen(path);
    expect(reopened.lastBatch('app/sink/0_0')).toBe(0);
    reopened.append('app/sink/0_0', 1, '{"n":2}\n');
    reopened.append('app/sink/0_0', 1, '{"n":2}\n'); // a retry of the same batch: written once
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('a file changed behind the sink is refused with a clear error instead of being overwritten', () => {
    const d = dir();
    const path = join(d, 'changed.jsonl');
    AppendOnlyFile.at(path).append('w', 0, '{"n":1}\n');
    writeFileSync(path, '');
    expect(() => reopen(path).append('w', 1, 'x\n')).toThrow(/has 0 bytes but its manifest records 8; it was changed by something else/);
  });
});

/** A fresh handle on the file, as after a restart (the process-wide instance would keep its manifest). */
function reopen(path: string): AppendOnlyFile {
  return new (AppendOnlyFile as unknown as { new (p: string): AppendOnlyFile })(path);
}

function readdirPending(d: string): string[] {
  return existsSync(d) ? readdirSync(d).filter((f) => f.includes('.pending-')) : [];
}
