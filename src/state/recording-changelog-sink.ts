import type { ChangelogSink } from './changelog-sink.js';

/** One call to {@link ChangelogSink.append}, as recorded. */
export interface RecordedChange {
  readonly storeName: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/**
 * A {@link ChangelogSink} that keeps every append in memory, in call order.
 * For tests and the TopologyTestDriver, which has no broker.
 */
export class RecordingChangelogSink implements ChangelogSink {
  /** Every append so far, oldest first. */
  readonly records: RecordedChange[] = [];

  append(storeName: string, key: Uint8Array, value: Uint8Array | null): void {
    this.records.push({ storeName, key, value });
  }

  /** Forgets what was recorded (e.g. after a simulated commit). */
  clear(): void {
    this.records.length = 0;
  }
}
