/**
 * What happens after a stream thread fails (Kafka Streams'
 * `StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse`):
 *
 * - `REPLACE_THREAD`: the failed thread's uncommitted work is dropped, it leaves
 *   the group, and a new thread joins and resumes from the last commit. The
 *   instance stays up (REBALANCING, then RUNNING).
 * - `SHUTDOWN_CLIENT` (default): this instance stops and goes to `ERROR`; other
 *   instances of the application take its partitions over.
 * - `SHUTDOWN_APPLICATION`: every instance of the `applicationId` stops and goes
 *   to `ERROR`, this one included (a request on `<applicationId>-shutdown-requests`).
 */
export const StreamThreadExceptionResponse = {
  REPLACE_THREAD: 'REPLACE_THREAD',
  SHUTDOWN_CLIENT: 'SHUTDOWN_CLIENT',
  SHUTDOWN_APPLICATION: 'SHUTDOWN_APPLICATION',
} as const;

/** One of {@link StreamThreadExceptionResponse}'s values. */
export type StreamThreadExceptionResponse = (typeof StreamThreadExceptionResponse)[keyof typeof StreamThreadExceptionResponse];

/**
 * Decides what happens after a stream thread failed with `error` (Kafka
 * Streams' `StreamsUncaughtExceptionHandler`). Called on the failed thread's
 * behalf, once per failure; a handler that throws or returns anything else
 * counts as `SHUTDOWN_CLIENT`.
 */
export type StreamsUncaughtExceptionHandler = (error: Error) => StreamThreadExceptionResponse;

const RESPONSES: ReadonlySet<string> = new Set(Object.values(StreamThreadExceptionResponse));

/** Whether `v` is a response a handler may return. */
export function isExceptionResponse(v: unknown): v is StreamThreadExceptionResponse {
  return typeof v === 'string' && RESPONSES.has(v);
}
