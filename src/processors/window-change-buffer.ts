import type { Window, Windowed } from '../dsl/windows.js';
import type { Serde } from '../serde/serde.js';
import { bytesToKey } from '../state/byte-keys.js';
import type { Change } from './change.js';
import type { StreamRecord } from './stream-record.js';

/**
 * The changes a windowed aggregation emits: with caching, one per window per
 * commit (its value before the first change and after the last, Kafka Streams'
 * record cache), else each change at once.
 */
export class WindowChangeBuffer<K, VA> {
  private readonly pending = new Map<string, { key: Windowed<K>; oldValue: VA | undefined; newValue: VA; timestamp: number }>();

  constructor(
    private readonly keySerde: Serde<K>,
    private readonly caching: boolean,
    private readonly forward: (record: StreamRecord<Windowed<K>, Change<VA>>) => void,
  ) {}

  emit(key: K, window: Window, oldValue: VA | undefined, newValue: VA, timestamp: number): void {
    const wk: Windowed<K> = { key, window };
    if (!this.caching) {
      this.forward({ key: wk, value: { newValue, oldValue }, timestamp });
      return;
    }
    const pk = `${bytesToKey(this.keySerde.serialize(key))}@${window.start}`;
    const p = this.pending.get(pk);
    if (p === undefined) this.pending.set(pk, { key: wk, oldValue, newValue, timestamp });
    else {
      p.newValue = newValue;
      p.timestamp = Math.max(p.timestamp, timestamp);
    }
  }

  /** Forwards what caching held back (at commit). */
  flush(): void {
    for (const p of this.pending.values()) this.forward({ key: p.key, value: { newValue: p.newValue, oldValue: p.oldValue }, timestamp: p.timestamp });
    this.pending.clear();
  }
}
