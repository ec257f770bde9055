import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import { StateErrorCode } from './state-error-codes.js';
import { describeValue, invalidArgument } from './validation.js';

/** Changelog offsets by `"<topic>:<partition>"`. */
export type CheckpointOffsets = ReadonlyMap<string, number>;

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The checkpoint file of a task directory: for each changelog partition, the
 * offset up to which the task's stores already hold the changelog, so a
 * restart restores only the tail instead of the whole topic.
 *
 * Format: `<taskDirectory>/.checkpoint`, JSON
 * `{ "<changelog topic>:<partition>": offset }`. The offset is the **next**
 * offset to restore from (last applied + 1), Kafka's committed-offset
 * convention, so the runtime seeks to it as is; a missing entry means
 * "restore from the beginning".
 *
 * Guarantees:
 * - `write` is atomic: a temp file is written, fsynced and renamed over the
 *   old one, so a crash leaves either the old or the new checkpoint, never a
 *   torn one.
 * - `read` of a missing file is an empty map; of a malformed one, a
 *   `RIVULET_STATE_CORRUPT` error — the runtime should then wipe the task's
 *   stores and restore them fully.
 *
 * Write it after flushing the stores at a commit, never before: the offsets
 * must not claim writes the stores do not yet hold. Under exactly-once,
 * delete it while the task processes (Kafka Streams does the same), so a
 * crash mid-transaction forces a full restore instead of trusting state that
 * may include aborted writes.
 */
export class Checkpoint {
  /** File name inside the task directory. */
  static readonly FILE_NAME = '.checkpoint';
  /** The checkpoint file's full path. */
  readonly path: string;
  readonly #directory: string;

  constructor(taskDirectory: string) {
    if (typeof taskDirectory !== 'string' || taskDirectory === '') {
      throw invalidArgument('Checkpoint', 'taskDirectory', 'be a non-empty path', describeValue(taskDirectory));
    }
    this.#directory = taskDirectory;
    this.path = join(taskDirectory, Checkpoint.FILE_NAME);
  }

  /** The map key of a changelog partition: `"<topic>:<partition>"`. */
  static key(topic: string, partition: number): string {
    if (typeof topic !== 'string' || !TOPIC.test(topic)) {
      throw invalidArgument('Checkpoint.key', 'topic', 'be a Kafka topic name ([A-Za-z0-9._-], 1-249 characters)', typeof topic === 'string' ? JSON.stringify(topic) : describeValue(topic));
    }
    if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0) {
      throw invalidArgument('Checkpoint.key', 'partition', 'be an integer >= 0', describeValue(partition));
    }
    return `${topic}:${partition}`;
  }

  /** Splits a map key made by {@link key}. Topics cannot contain `:`, so the last one separates. */
  static parseKey(key: string): { readonly topic: string; readonly partition: number } {
    const i = key.lastIndexOf(':');
    const topic = key.slice(0, i);
    const partition = Number(key.slice(i + 1));
    if (i < 0 || !TOPIC.test(topic) || !/^\d+$/.test(key.slice(i + 1)) || !Number.isSafeInteger(partition)) {
      throw invalidArgument('Checkpoint.parseKey', 'key', 'be "<topic>:<partition>"', JSON.stringify(key));
    }
    return { topic, partition };
  }

  /** The offsets on disk; empty when there is no checkpoint file. */
  async read(): Promise<Map<string, number>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StateError(StateErrorCode.IO, `Checkpoint.read: could not read ${this.path}`, { cause: e });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw this.#corrupt('is not JSON', e);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw this.#corrupt(`must hold a JSON object (got ${describeValue(parsed)})`);
    const offsets = new Map<string, number>();
    for (const [key, offset] of Object.entries(parsed)) {
      try {
        Checkpoint.parseKey(key);
      } catch {
        throw this.#corrupt(`has a key that is not "<topic>:<partition>" (got ${JSON.stringify(key)})`);
      }
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw this.#corrupt(`has an offset that is not an integer >= 0 for ${key} (got ${JSON.stringify(offset)})`);
      }
      offsets.set(key, offset);
    }
    return offsets;
  }

  /** Replaces the checkpoint with `offsets`, atomically. Creates the task directory if needed. */
  async write(offsets: CheckpointOffsets | Readonly<Record<string, number>>): Promise<void> {
    const entries = offsets instanceof Map ? [...offsets.entries()] : Object.entries(offsets as Record<string, number>);
    const json: Record<string, number> = {};
    for (const [key, offset] of entries) {
      Checkpoint.parseKey(key);
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw invalidArgument('Checkpoint.write', `offsets["${key}"]`, 'be an integer >= 0', describeValue(offset));
      }
      json[key] = offset;
    }
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(json)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw new StateError(StateErrorCode.IO, `Checkpoint.write: could not write ${this.path}`, { cause: e });
    }
    await this.#syncDirectory();
  }

  /** Removes the checkpoint file (no error if absent). */
  async delete(): Promise<void> {
    try {
      await rm(this.path, { force: true });
    } catch (e) {
      throw new StateError(StateErrorCode.IO, `Checkpoint.delete: could not remove ${this.path}`, { cause: e });
    }
  }

  // Makes the rename itself durable. Some platforms cannot fsync a
  // directory; the file is still whole, only possibly the older version.
  async #syncDirectory(): Promise<void> {
    try {
      const dir = await open(this.#directory, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // best effort, see above
    }
  }

  #corrupt(problem: string, cause?: unknown): StateError {
    return new StateError(
      StateErrorCode.CORRUPT,
      `Checkpoint.read: ${this.path} ${problem}; delete it to restore the task's stores fully from their changelogs`,
      cause === undefined ? {} : { cause },
    );
  }
}
