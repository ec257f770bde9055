import { SerdeError } from '../errors.js';

/**
 * Refuses a timestamp further ahead of wall-clock time than the bound. One record
 * stamped in the year 3000 would otherwise move stream time there, close every
 * open window and turn all good records after it into late drops; refused, it
 * goes to the deserialization error handling (the dead-letter topic by default).
 */
export function checkTimestampAhead(ts: number, now: number, boundMs: number, rec: { readonly topic: string; readonly partition: number; readonly offset: number }): void {
  if (ts - now <= boundMs) return;
  throw new SerdeError(
    'RIVULET_SERDE_TIMESTAMP_AHEAD',
    `${rec.topic}-${rec.partition}@${rec.offset}: timestamp ${ts} (${iso(ts)}) is ${ts - now} ms ahead of wall-clock time, more than maxTimestampAheadMs ${boundMs}; fix the producer's clock or timestamp field, or raise maxTimestampAheadMs`,
  );
}

function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? 'not a date' : d.toISOString();
}
