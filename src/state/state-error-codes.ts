/**
 * Every code a state store throws, always on a {@link StateError}. The README
 * documents each under its own heading (when it happens, what to do).
 */
export const StateErrorCode = {
  /** The store is not open: never opened, closing, or closed. Open it first. */
  CLOSED: 'RIVULET_STATE_CLOSED',
  /** An argument broke the contract (wrong type, non-integer time, bad name). A bug in the caller. */
  INVALID_ARGUMENT: 'RIVULET_STATE_INVALID_ARGUMENT',
  /** The backend could not be opened (directory unwritable, LevelDB lock held). Retriable when the lock is held by another instance. */
  OPEN_FAILED: 'RIVULET_STATE_OPEN_FAILED',
  /** A read or write failed in the backend; `cause` holds the backend's error. */
  IO: 'RIVULET_STATE_IO',
  /** Stored bytes or a checkpoint file do not have the expected layout. Wipe the store and restore it from the changelog. */
  CORRUPT: 'RIVULET_STATE_CORRUPT',
} as const;

/** One of the {@link StateErrorCode} values. */
export type StateErrorCode = (typeof StateErrorCode)[keyof typeof StateErrorCode];
