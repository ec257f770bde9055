import { StateError } from '../errors.js';
import type { Serde } from '../serde/serde.js';
import type { TopologyTestDriver } from './topology-test-driver.js';

/** A record read from an output topic. */
export interface TestOutputRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: { readonly [name: string]: Uint8Array | string };
}

/** Reads what a topology under test wrote (Kafka Streams' `TestOutputTopic`); each record is read once. */
export class TestOutputTopic<K, V> {
  private position = 0;

  constructor(
    private readonly driver: TopologyTestDriver,
    readonly topic: string,
    private readonly keySerde: Serde<K>,
    private readonly valueSerde: Serde<V>,
  ) {}

  getQueueSize(): number {
    return this.driver.recordsOf(this.topic).length - this.position;
  }

  isEmpty(): boolean {
    return this.getQueueSize() === 0;
  }

  readRecord(): TestOutputRecord<K, V> {
    const r = this.driver.recordsOf(this.topic)[this.position];
    if (r === undefined) throw new StateError('RIVULET_STATE_EMPTY_TOPIC', `TestOutputTopic.readRecord: topic "${this.topic}" has no unread records`);
    this.position++;
    return {
      key: r.key === null ? null : this.keySerde.deserialize(r.key),
      value: r.value === null ? null : this.valueSerde.deserialize(r.value),
      timestamp: r.timestamp,
      headers: r.headers,
    };
  }

  readKeyValue(): { key: K | null; value: V | null } {
    const r = this.readRecord();
    return { key: r.key, value: r.value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): TestOutputRecord<K, V>[] {
    const out: TestOutputRecord<K, V>[] = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): { key: K | null; value: V | null }[] {
    return this.readRecordsToList().map((r) => ({ key: r.key, value: r.value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** Latest value per key; a null value removes the key (table semantics). */
  readKeyValuesToMap(): Map<K | null, V> {
    const m = new Map<K | null, V>();
    for (const r of this.readRecordsToList()) {
      if (r.value === null) m.delete(r.key);
      else m.set(r.key, r.value);
    }
    return m;
  }
}
