import { StateError } from '../errors.js';
import type { ChangelogRecord } from './changelog-record.js';
import { StateErrorCode } from './state-error-codes.js';
import { describeValue, invalidArgument, requireBytes, requireBytesOrNull, requireStoreName } from './validation.js';

/**
 * What a store can do, declared up front so callers (the runtime, the contract
 * test suites) branch on capabilities instead of on classes.
 */
export interface StoreSupports {
  /**
   * Data survives `close()` followed by `open()`, and a new instance over the
   * same location sees it.
   */
  readonly persistent: boolean;
  /** Iteration follows unsigned lexicographic order of the stored key bytes. Always true. */
  readonly ordered: true;
}

/**
 * Lifecycle of a store. Only `open` accepts reads and writes; every other
 * status makes data methods fail with `RIVULET_STATE_CLOSED`.
 */
export type StoreStatus = 'closed' | 'opening' | 'open' | 'closing';

/**
 * The lifecycle half of the asynchronous byte-store contract (LevelDB, under
 * the working stores of `store-api.ts`): a name, open/close, `flush`, and a
 * way to replay changelog records.
 *
 * Modeled on `abstract-level`: public methods check arguments and state, then
 * call a protected `_hook` that implementations override, so every
 * implementation rejects bad input with the same class, code and message.
 *
 * Guarantees:
 * - `open()` and `close()` are idempotent and may be called concurrently; a
 *   second call waits for the first transition to finish.
 * - A closed store can be opened again.
 * - Methods returning promises report every error by rejecting; methods
 *   returning iterators throw synchronously for bad arguments or a closed
 *   store, and the iterator rejects `next()` once the store closes.
 */
export abstract class StateStore {
  /** Store name: the directory name under the task directory and the changelog topic's middle part. */
  readonly name: string;
  /** Capabilities, see {@link StoreSupports}. */
  abstract readonly supports: StoreSupports;
  /** Contract name used in error messages, e.g. `KeyValueStore`. */
  protected abstract readonly contract: string;

  #status: StoreStatus = 'closed';
  #transition: Promise<void> | undefined;
  // Bumped on every close so an iterator created before a close/open cycle
  // fails instead of silently reading the reopened store.
  #epoch = 0;

  protected constructor(name: string) {
    requireStoreName(new.target.name, name);
    this.name = name;
  }

  /** Current lifecycle status. */
  get status(): StoreStatus {
    return this.#status;
  }

  /** Opens the store (creating it if missing). Resolves at once when already open. */
  async open(): Promise<void> {
    while (this.#transition !== undefined) await this.#transition.catch(() => undefined);
    if (this.#status === 'open') return;
    this.#status = 'opening';
    const transition = this._open();
    this.#transition = transition;
    try {
      await transition;
      this.#status = 'open';
    } catch (e) {
      this.#status = 'closed';
      throw e;
    } finally {
      this.#transition = undefined;
    }
  }

  /**
   * Closes the store, after writing anything buffered.
   * Resolves at once when already closed. Iterators still open fail on their
   * next step.
   */
  async close(): Promise<void> {
    while (this.#transition !== undefined) await this.#transition.catch(() => undefined);
    if (this.#status === 'closed') return;
    this.#status = 'closing';
    this.#epoch++;
    const transition = this._close();
    this.#transition = transition;
    try {
      await transition;
    } finally {
      // A failed close still leaves the store unusable; reporting it as
      // closed lets the caller reopen rather than wedge in `closing`.
      this.#status = 'closed';
      this.#transition = undefined;
    }
  }

  /** Makes every write so far durable in the backend. */
  async flush(): Promise<void> {
    this.assertOpen('flush');
    await this._flush();
  }

  /**
   * Applies changelog records in order, `null` deleting, as one write where
   * the backend allows. The runtime writes each commit's changes, and each
   * restored changelog batch, through it.
   */
  async restoreBatch(records: Iterable<ChangelogRecord>): Promise<void> {
    const api = `${this.contract}.restoreBatch`;
    this.assertOpen('restoreBatch');
    if (records === null || typeof records !== 'object' || !(Symbol.iterator in records)) {
      throw invalidArgument(api, 'records', 'be an iterable of { key, value }', describeValue(records));
    }
    const batch: ChangelogRecord[] = [];
    for (const r of records) {
      if (r === null || typeof r !== 'object') {
        throw invalidArgument(api, `records[${batch.length}]`, 'be a { key, value } object', describeValue(r));
      }
      requireBytes(api, `records[${batch.length}].key`, r.key);
      requireBytesOrNull(api, `records[${batch.length}].value`, r.value);
      batch.push(r);
    }
    if (batch.length > 0) await this._restoreBatch(batch);
  }

  /** Throws `RIVULET_STATE_CLOSED` unless the store is open. */
  protected assertOpen(method: string): void {
    if (this.#status !== 'open') throw this.closedError(method);
  }

  /** The `RIVULET_STATE_CLOSED` error for `method`, naming the store and the remedy. */
  protected closedError(method: string, cause?: unknown): StateError {
    return new StateError(
      StateErrorCode.CLOSED,
      `${this.contract}.${method}: store "${this.name}" must be open (got ${this.#status}); call open() before using it`,
      cause === undefined ? {} : { cause },
    );
  }

  /**
   * Wraps an implementation's iterable so that each step first checks the
   * store is still open in the same open/close cycle, and the source iterator
   * is released however the caller stops (break, throw, return).
   */
  protected guardIterator<T>(method: string, source: AsyncIterable<T>): AsyncIterableIterator<T> {
    const epoch = this.#epoch;
    const check = (cause?: unknown): void => {
      if (this.#status !== 'open') throw this.closedError(method, cause);
      if (this.#epoch !== epoch) {
        throw new StateError(
          StateErrorCode.CLOSED,
          `${this.contract}.${method}: store "${this.name}" was closed after this iterator was created; an iterator does not survive close() — start a new one`,
          cause === undefined ? {} : { cause },
        );
      }
    };
    async function* guarded(): AsyncGenerator<T, void, undefined> {
      check();
      const it = source[Symbol.asyncIterator]();
      let done = false;
      try {
        for (;;) {
          check();
          let step: IteratorResult<T>;
          try {
            step = await it.next();
          } catch (e) {
            check(e);
            throw e;
          }
          if (step.done === true) {
            done = true;
            return;
          }
          check();
          yield step.value;
        }
      } finally {
        if (!done) await it.return?.();
      }
    }
    return guarded();
  }

  protected abstract _open(): Promise<void>;
  protected abstract _close(): Promise<void>;
  protected abstract _flush(): Promise<void>;
  protected abstract _restoreBatch(records: readonly ChangelogRecord[]): Promise<void>;
}
