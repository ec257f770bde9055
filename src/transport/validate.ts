/**
 * Argument checks shared by transport implementations. Messages follow
 * `<api>: <what> must <rule> (got <value>)`; the kafkajs transport should use them
 * too, so callers see the same text whichever transport they run on.
 * @module
 */
import type { GroupAssignor, PollOptions, TopicPartition } from './transport.js';
import { TransportErrorCode, transportError } from './transport-error-codes.js';

/** Kafka's `max.poll.records` default. */
export const DEFAULT_MAX_RECORDS = 500;

/** Map key of a topic-partition. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Throws `RIVULET_TRANSPORT_INVALID_ARGUMENT`. */
export function invalid(message: string): never {
  throw transportError(TransportErrorCode.INVALID_ARGUMENT, message);
}

/** An offset: a safe integer >= 0. */
export function checkOffset(api: string, what: string, offset: unknown): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    invalid(`${api}: ${what} must be an integer >= 0 (got ${String(offset)})`);
  }
  return offset;
}

/** A topic name and a partition number >= 0 (existence is checked where it matters). */
export function checkTopicPartition(api: string, tp: TopicPartition): void {
  if (typeof tp?.topic !== 'string' || tp.topic.length === 0) invalid(`${api}: topic must be a non-empty string (got ${String(tp?.topic)})`);
  if (!Number.isInteger(tp.partition) || tp.partition < 0) {
    invalid(`${api}: partition must be an integer >= 0 (got ${String(tp.partition)} for '${tp.topic}')`);
  }
}

/** Poll options with defaults applied. */
export function checkPollOptions(api: string, options: PollOptions | undefined): { maxRecords: number; timeoutMs: number } {
  const maxRecords = options?.maxRecords ?? DEFAULT_MAX_RECORDS;
  const timeoutMs = options?.timeoutMs ?? 0;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) invalid(`${api}: maxRecords must be an integer >= 1 (got ${String(maxRecords)})`);
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    invalid(`${api}: timeoutMs must be a finite number >= 0 (got ${String(timeoutMs)})`);
  }
  return { maxRecords, timeoutMs };
}

/** A whole number of milliseconds >= 1, or `fallback` when not given. */
export function checkPositiveMs(api: string, what: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) invalid(`${api}: ${what} must be an integer number of milliseconds >= 1 (got ${String(value)})`);
  return value;
}

/** An isolation level; `read_uncommitted` when not given. */
export function checkIsolation(api: string, value: unknown): 'read_uncommitted' | 'read_committed' {
  if (value === undefined) return 'read_uncommitted';
  if (value !== 'read_uncommitted' && value !== 'read_committed') {
    invalid(`${api}: isolation must be 'read_uncommitted' or 'read_committed' (got ${String(value)})`);
  }
  return value;
}

/** An optional {@link GroupAssignor}: an object with an `assign` function. */
export function checkAssignor(api: string, value: unknown): GroupAssignor | undefined {
  if (value === undefined) return undefined;
  const a = value as Partial<GroupAssignor> | null;
  if (typeof a !== 'object' || a === null || typeof a.assign !== 'function' || (a.subscriptionUserData !== undefined && typeof a.subscriptionUserData !== 'function')) {
    invalid(`${api}: assignor must be an object with an assign(members, partitionCount) function (got ${a === null ? 'null' : typeof a})`);
  }
  return a as GroupAssignor;
}

/** `topics` to subscribe to, checked, without repeats and sorted. */
export function checkTopics(api: string, topics: readonly string[]): string[] {
  if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    invalid(`${api}: topics must be an array of non-empty strings (got ${JSON.stringify(topics)})`);
  }
  return [...new Set(topics)].sort();
}
