import { StateStore } from './state-store.js';
import { invalidArgument, requireBytes, requireBytesOrNull, requireTime } from './validation.js';

/** One session of one key, as session-store iterators yield it. */
export interface SessionRecord {
  readonly key: Uint8Array;
  /** First event time of the session, epoch ms. */
  readonly start: number;
  /** Last event time of the session, epoch ms; `>= start`. */
  readonly end: number;
  readonly value: Uint8Array;
}

/**
 * A store of values per (key, session start, session end), over byte keys
 * and values — what session-windowed aggregations keep. A session is
 * identified by all three; merging sessions is the caller's job (remove the
 * old ones, put the merged one). Async for the same reason as
 * {@link KeyValueStore}.
 *
 * Retention: `observedStreamTime` is the largest session end put so far; a
 * session whose end is `< observedStreamTime - retentionMs` is expired — not
 * returned, dropped on put, deleted lazily (as for {@link WindowStore}).
 *
 * Guarantees (checked by `describeSessionStore`):
 * - `findSessions(key, earliestEnd, latestStart)` yields exactly the sessions
 *   of that key with `end >= earliestEnd` and `start <= latestStart` — those
 *   overlapping or touching `[earliestEnd, latestStart]` — ascending by end,
 *   then start;
 * - `put(..., null)` removes the session, like `remove`.
 */
export abstract class SessionStore extends StateStore {
  protected override readonly contract: string = 'SessionStore';
  /** How long (ms, in stream time) sessions stay after the newest session end. */
  abstract readonly retentionMs: number;
  /** Largest session end put so far (after a reopen: the largest stored), `-Infinity` before any. */
  abstract readonly observedStreamTime: number;

  /** Stores the session `[sessionStart, sessionEnd]` of `key`; `null` removes it. */
  async put(key: Uint8Array, sessionStart: number, sessionEnd: number, value: Uint8Array | null): Promise<void> {
    this.checkSession('put', key, sessionStart, sessionEnd);
    requireBytesOrNull('SessionStore.put', 'value', value);
    this.assertOpen('put');
    return this._put(key, sessionStart, sessionEnd, value);
  }

  /** Removes the session `[sessionStart, sessionEnd]` of `key`, if stored. */
  async remove(key: Uint8Array, sessionStart: number, sessionEnd: number): Promise<void> {
    this.checkSession('remove', key, sessionStart, sessionEnd);
    this.assertOpen('remove');
    return this._put(key, sessionStart, sessionEnd, null);
  }

  /** The value of exactly the session `[sessionStart, sessionEnd]` of `key`, or `undefined`. */
  async fetchSession(key: Uint8Array, sessionStart: number, sessionEnd: number): Promise<Uint8Array | undefined> {
    this.checkSession('fetchSession', key, sessionStart, sessionEnd);
    this.assertOpen('fetchSession');
    return this._fetchSession(key, sessionStart, sessionEnd);
  }

  /**
   * Sessions of `key` with `end >= earliestSessionEndTime` and `start <=
   * latestSessionStartTime`. For a record at time t with inactivity gap g,
   * the sessions it merges with are `findSessions(key, t - g, t + g)`.
   */
  findSessions(key: Uint8Array, earliestSessionEndTime: number, latestSessionStartTime: number): AsyncIterableIterator<SessionRecord> {
    requireBytes('SessionStore.findSessions', 'key', key);
    requireTime('SessionStore.findSessions', 'earliestSessionEndTime', earliestSessionEndTime);
    requireTime('SessionStore.findSessions', 'latestSessionStartTime', latestSessionStartTime);
    this.assertOpen('findSessions');
    return this.guardIterator('findSessions', this._findSessions(key, earliestSessionEndTime, latestSessionStartTime));
  }

  /** Every unexpired session: grouped by key, ascending by end then start within a key. */
  all(): AsyncIterableIterator<SessionRecord> {
    this.assertOpen('all');
    return this.guardIterator('all', this._all());
  }

  private checkSession(method: string, key: unknown, start: unknown, end: unknown): void {
    const api = `SessionStore.${method}`;
    requireBytes(api, 'key', key);
    requireTime(api, 'sessionStart', start);
    requireTime(api, 'sessionEnd', end);
    if (end < start) throw invalidArgument(api, 'sessionEnd', 'be >= sessionStart', `${end}, start ${start}`);
  }

  protected abstract _put(key: Uint8Array, sessionStart: number, sessionEnd: number, value: Uint8Array | null): Promise<void>;
  protected abstract _fetchSession(key: Uint8Array, sessionStart: number, sessionEnd: number): Promise<Uint8Array | undefined>;
  protected abstract _findSessions(key: Uint8Array, earliestSessionEndTime: number, latestSessionStartTime: number): AsyncIterable<SessionRecord>;
  protected abstract _all(): AsyncIterable<SessionRecord>;
}
