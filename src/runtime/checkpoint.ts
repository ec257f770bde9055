import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * The changelog offsets a task's LevelDB stores already contain, per store:
 * a restart restores only the changelog tail after them. Written atomically
 * (temp file + rename). Under exactly-once it exists only while the task is
 * closed cleanly, so a crash forces a full restore from the changelog.
 */
export class Checkpoint {
  readonly file: string;

  constructor(taskDir: string) {
    this.file = join(taskDir, '.checkpoint');
  }

  async read(): Promise<Map<string, number>> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, unknown>;
      const m = new Map<string, number>();
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && Number.isInteger(v) && v >= 0) m.set(k, v);
      return m;
    } catch {
      return new Map();
    }
  }

  async write(offsets: ReadonlyMap<string, number>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(offsets)));
    await rename(tmp, this.file);
  }

  async delete(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
