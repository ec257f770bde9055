/**
 * What to do with a record that cannot be deserialized (or has an invalid
 * timestamp), or whose processing threw: stop the application (`fail`), log and
 * count it (`skip`), or also write it to the dead-letter topic
 * `<applicationId>-dlq` with the error in its headers (`dead-letter`).
 */
export type ErrorHandling = 'fail' | 'skip' | 'dead-letter';

/** Where a record failed. */
export type FailureStage = 'deserialization' | 'processing' | 'serialization';

/** Header names on dead-letter records. */
export const DLQ_HEADERS = {
  stage: 'rivulet.error.stage',
  code: 'rivulet.error.code',
  reason: 'rivulet.error.reason',
  topic: 'rivulet.source.topic',
  partition: 'rivulet.source.partition',
  offset: 'rivulet.source.offset',
  timestamp: 'rivulet.source.timestamp',
} as const;

/** The dead-letter topic of an application. */
export function deadLetterTopic(applicationId: string): string {
  return `${applicationId}-dlq`;
}
