import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { StateError } from '../errors.js';

/** What the manifest beside the file records: its committed length and the last batch each task appended. */
interface Manifest {
  length: number;
  appended: Record<string, number>;
}

/** Writes `text` to `path` through a temporary file and a rename, so readers see the old or the new content whole. */
export function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * A file that only grows by whole batches, each at most once: after every
 * append the manifest `<path>.manifest.json` records the new length and the
 * batch id per task. Bytes past the recorded length are a batch whose append
 * was cut short by a crash; they are cut off when the file is opened again, and
 * the batch is appended again by whoever retries it.
 */
export class AppendOnlyFile {
  private manifest: Manifest | undefined;

  private constructor(readonly path: string) {}

  private static readonly open = new Map<string, AppendOnlyFile>();

  /** One instance per file in a process, so tasks writing the same file share its manifest. */
  static at(path: string): AppendOnlyFile {
    const abs = resolve(path);
    let f = AppendOnlyFile.open.get(abs);
    if (f === undefined) AppendOnlyFile.open.set(abs, (f = new AppendOnlyFile(abs)));
    return f;
  }

  private get manifestPath(): string {
    return `${this.path}.manifest.json`;
  }

  private load(): Manifest {
    if (this.manifest !== undefined) return this.manifest;
    const m: Manifest = existsSync(this.manifestPath) ? (JSON.parse(readFileSync(this.manifestPath, 'utf8')) as Manifest) : { length: 0, appended: {} };
    const size = existsSync(this.path) ? statSync(this.path).size : 0;
    if (size < m.length) {
      throw new StateError('RIVULET_STATE_CORRUPT', `file sink: ${this.path} has ${size} bytes but its manifest records ${m.length}; it was changed by something else. Move it away (and its .manifest.json) to start a new file`);
    }
    if (size > m.length) truncateSync(this.path, m.length);
    this.manifest = m;
    return m;
  }

  /** The last batch id `taskId` appended, or -1. */
  lastBatch(taskId: string): number {
    return this.load().appended[taskId] ?? -1;
  }

  /** Appends a batch unless this task already appended it (or a later one); `header` goes first into an empty file. */
  append(taskId: string, batchId: number, text: string, header = ''): void {
    const m = this.load();
    if ((m.appended[taskId] ?? -1) >= batchId) return;
    const bytes = Buffer.from(m.length === 0 ? header + text : text, 'utf8');
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    m.length += bytes.length;
    m.appended[taskId] = batchId;
    writeAtomically(this.manifestPath, JSON.stringify(m));
  }
}
