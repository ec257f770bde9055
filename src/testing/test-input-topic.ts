import type { Serde } from '../serde/serde.js';
import type { TopologyTestDriver } from './topology-test-driver.js';

/** A record to pipe; `timestamp` defaults to the topic's current time. */
export interface TestRecord<K, V> {
  readonly key?: K | null;
  readonly value: V | null;
  readonly timestamp?: number;
  readonly headers?: Record<string, Uint8Array | string>;
}

/** Writes records into a topology under test (Kafka Streams' `TestInputTopic`). */
export class TestInputTopic<K, V> {
  private currentTime: number;

  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
    startTimestampMs: number,
    private readonly autoAdvanceMs: number,
  ) {
    this.currentTime = startTimestampMs;
  }

  private timestamp(ts: number | undefined): number {
    if (ts !== undefined) return ts;
    const t = this.currentTime;
    this.currentTime += this.autoAdvanceMs;
    return t;
  }

  /** Pipes one record; the key may be null. */
  pipeInput(key: K | null, value: V | null, timestamp?: number): void {
    this.pipeRecord({ key, value, ...(timestamp === undefined ? {} : { timestamp }) });
  }

  pipeValue(value: V | null, timestamp?: number): void {
    this.pipeInput(null, value, timestamp);
  }

  pipeRecord(r: TestRecord<K, V>): void {
    this.pipeRaw(
      r.key === null || r.key === undefined ? null : this.keySerde.serialize(r.key),
      r.value === null ? null : this.valueSerde.serialize(r.value),
      this.timestamp(r.timestamp),
      r.headers,
    );
  }

  pipeRecordList(records: Iterable<TestRecord<K, V>>): void {
    for (const r of records) this.pipeRecord(r);
  }

  /** Pipes raw bytes, e.g. malformed payloads for error-handling tests. */
  pipeRaw(key: Uint8Array | null, value: Uint8Array | null, timestamp?: number, headers?: Record<string, Uint8Array | string>): void {
    this.driver.pipe(this.topic, key, value, this.timestamp(timestamp), headers);
  }

  advanceTime(ms: number): void {
    this.currentTime += ms;
  }
}
