import { describe, expect, it } from 'vitest';
import { BufferConfig, Suppressed } from '../../../src/dsl/suppressed.js';
import type { Windowed } from '../../../src/dsl/windows.js';
import type { Change } from '../../../src/processors/change.js';
import type { Processor, ProcessorContext } from '../../../src/processors/processor.js';
import type { StreamRecord } from '../../../src/processors/stream-record.js';
import { suppressProcessor, type StoredBuffered } from '../../../src/processors/suppress.js';
import { TaskFailure } from '../../../src/runtime/error-handling.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { bytesToKey, keyToBytes } from '../../../src/state/byte-keys.js';
import { WorkingKeyValueStore } from '../../../src/state/working-key-value-store.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

// The suppression buffer against a brute-force model that rescans every buffered
// entry on every step: the specification the indexed buffer must match.

type WK = Windowed<string>;
type Rec = StreamRecord<WK | string, Change<number>>;
type Out = { key: string; newValue: number | undefined; oldValue: number | undefined; timestamp: number };

const keySerde = Serdes.string();
const valueSerde = Serdes.json<number>();
const enc = (v: number | undefined): number => (v === undefined ? 0 : valueSerde.serialize(v).length);

interface Scenario {
  readonly suppressed: Suppressed;
  readonly graceMs: number;
  readonly inclusiveEnd: boolean;
}

const show = (k: WK | string): string => (typeof k === 'string' ? k : `${k.key}@[${k.window.start},${k.window.end}]`);

/** The specification, executed naively. */
class Model {
  private entries: { id: string; rec: Rec; first: number; order: number; due: number; bytes: number }[] = [];
  private order = 0;
  private streamTime = Number.NEGATIVE_INFINITY;
  readonly out: Out[] = [];

  constructor(private readonly s: Scenario) {}

  restart(): void {
    this.streamTime = Number.NEGATIVE_INFINITY;
  }

  private id(k: WK | string): string {
    return typeof k === 'string' ? k : `${k.key}@${k.window.start}`;
  }

  private emitDue(): void {
    const cut = this.streamTime - (this.s.suppressed.kind === 'untilWindowCloses' ? this.s.graceMs : 0);
    const isDue = (due: number): boolean => (this.s.suppressed.kind === 'untilWindowCloses' && this.s.inclusiveEnd ? due < cut : due <= cut);
    const ready = this.entries.filter((e) => isDue(e.due)).sort((a, b) => a.due - b.due || a.order - b.order);
    this.entries = this.entries.filter((e) => !isDue(e.due));
    for (const e of ready) this.emit(e.rec);
  }

  private emit(r: Rec): void {
    this.out.push({ key: show(r.key), newValue: r.value.newValue, oldValue: r.value.oldValue, timestamp: r.timestamp });
  }

  process(r: Rec): void {
    const sup = this.s.suppressed;
    this.streamTime = Math.max(this.streamTime, r.timestamp);
    const id = this.id(r.key);
    const prev = this.entries.find((e) => e.id === id);
    const rec: Rec = { ...r, value: { newValue: r.value.newValue, oldValue: prev === undefined ? r.value.oldValue : prev.rec.value.oldValue } };
    const first = prev?.first ?? r.timestamp;
    const due = sup.kind === 'untilWindowCloses' ? (r.key as WK).window.end : first + sup.timeToWaitMs;
    const bytes = id.length + enc(rec.value.newValue) + enc(rec.value.oldValue) + 16;
    if (prev !== undefined) Object.assign(prev, { rec, due, bytes });
    else this.entries.push({ id, rec, first, order: this.order++, due, bytes });
    this.emitDue();
    const maxRecords = sup.buffer.maxRecords ?? Infinity;
    const maxBytes = sup.buffer.maxBytes ?? Infinity;
    const whenFull = sup.buffer.whenFull ?? (sup.kind === 'untilWindowCloses' ? 'shutDown' : 'emitEarly');
    const total = () => this.entries.reduce((a, e) => a + e.bytes, 0);
    while (this.entries.length > maxRecords || total() > maxBytes) {
      if (whenFull === 'shutDown') throw new Error('full');
      const oldest = this.entries.reduce((a, b) => (a.order <= b.order ? a : b));
      this.entries = this.entries.filter((e) => e !== oldest);
      this.emit(oldest.rec);
    }
  }

  flush(taskStreamTime: number): void {
    this.streamTime = Math.max(this.streamTime, taskStreamTime);
    this.emitDue();
  }
}

/** The real processor with a working store, restartable from that store's changelog. */
class Real {
  readonly out: Out[] = [];
  private store = new WorkingKeyValueStore<string, StoredBuffered<unknown, number>>('buf', Serdes.json<string>(), Serdes.json());
  private changelog = new Map<string, Uint8Array | null>();
  private p!: Processor<WK | string, Change<number>, WK | string, Change<number>>;
  taskStreamTime = Number.NEGATIVE_INFINITY;

  constructor(private readonly s: Scenario) {
    this.start();
  }

  private start(): void {
    const ctx = {
      taskId: '0_0',
      forward: (r: Rec) => this.out.push({ key: show(r.key), newValue: r.value.newValue, oldValue: r.value.oldValue, timestamp: r.timestamp }),
      getStateStore: () => this.store,
      currentStreamTimeMs: () => this.taskStreamTime,
      // Records arrive as they are processed (no upstream cache forwarding them at flush).
      recordMetadata: () => ({ topic: 'in', partition: 0, offset: 0 }),
    } as unknown as ProcessorContext<WK | string, Change<number>>;
    this.p = suppressProcessor<WK | string, number>({ name: 'sup', ...this.s, keySerde: keySerde as never, valueSerde, storeName: 'buf' })();
    this.p.init?.(ctx);
  }

  /** A commit: what the store changed goes to the changelog. */
  commit(): void {
    this.p.flush?.();
    for (const c of this.store.drainChanges()) this.changelog.set(bytesToKey(c.key), c.value);
  }

  /** A crash after the last commit: a new processor over a store restored from the changelog. */
  restart(): void {
    this.store = new WorkingKeyValueStore('buf', Serdes.json<string>(), Serdes.json());
    for (const [k, v] of this.changelog) this.store.restore(keyToBytes(k), v);
    this.start();
  }

  process(r: Rec): void {
    this.taskStreamTime = Math.max(this.taskStreamTime, r.timestamp);
    this.p.process(r);
  }
}

function randomScenario(rand: () => number): Scenario {
  const limit = (n: number) => 1 + Math.floor(rand() * n);
  const configs: BufferConfig[] = [
    {},
    BufferConfig.unbounded(),
    BufferConfig.maxRecords(limit(12)),
    BufferConfig.maxBytes(60 + limit(300)),
    BufferConfig.maxRecords(limit(12)).withMaxBytes(60 + limit(300)),
    BufferConfig.maxRecords(limit(40)).shutDownWhenFull(),
    { maxRecords: limit(30) },
  ];
  const buffer = configs[Math.floor(rand() * configs.length)] as BufferConfig;
  const windows = rand() < 0.7;
  return {
    suppressed: windows ? Suppressed.untilWindowCloses(buffer) : Suppressed.untilTimeLimit(Math.floor(rand() * 30), buffer),
    graceMs: Math.floor(rand() * 20),
    inclusiveEnd: rand() < 0.3,
  };
}

describe('suppression buffer vs a brute-force model', () => {
  it('emits the same records in the same order on 300 random streams, with commits, restarts and early emission', () => {
    let failures = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seededRandom(seed);
      const s = randomScenario(rand);
      const model = new Model(s);
      const real = new Real(s);
      let t = 0;
      let modelError = false;
      let realError: unknown;
      for (let i = 0; i < 200 && !modelError; i++) {
        const step = rand();
        if (step < 0.08) {
          real.commit();
          model.flush(real.taskStreamTime);
          continue;
        }
        if (step < 0.11) {
          // Only committed state survives: the model restarts from the last commit as well.
          real.commit();
          model.flush(real.taskStreamTime);
          real.restart();
          model.restart();
          continue;
        }
        t += Math.floor(rand() * 6);
        const ts = Math.max(0, t - Math.floor(rand() * 15)); // disorder
        const key = `k${Math.floor(rand() * 8)}`;
        const start = Math.floor(ts / 5) * 5 - (rand() < 0.5 ? 5 : 0);
        // Sessions keep their start and grow their end: the entry's due time moves.
        const end = start + 10 + (rand() < 0.2 ? Math.floor(rand() * 10) : 0);
        const k: WK | string = s.suppressed.kind === 'untilWindowCloses' ? { key, window: { start, end } } : key;
        const r: Rec = { key: k, value: { newValue: i, oldValue: rand() < 0.5 ? undefined : i - 1 }, timestamp: ts, headers: {} };
        try {
          model.process(r);
        } catch {
          modelError = true;
        }
        try {
          real.process(r);
        } catch (e) {
          realError = e;
        }
        expect(realError !== undefined, `seed ${seed} step ${i}: model ${modelError ? 'failed' : 'went on'}`).toBe(modelError);
        if (realError !== undefined) {
          expect(realError).toBeInstanceOf(TaskFailure);
          expect((realError as TaskFailure).code).toBe('RIVULET_STATE_BUFFER_FULL');
          failures++;
        }
      }
      if (!modelError) {
        real.commit();
        model.flush(real.taskStreamTime);
      }
      expect(real.out, `seed ${seed}`).toEqual(model.out);
    }
    // The scenarios include full shut-down buffers, not only ones that emit early.
    expect(failures).toBeGreaterThan(10);
  });

  it('updates an upstream cache forwards at flush, out of time order, close windows only at the end of the flush', () => {
    const out: { key: string; value: number | undefined }[] = [];
    let taskStreamTime = 0;
    // A flush: no record is being processed, so there is no record metadata.
    const ctx = {
      taskId: '0_0',
      forward: (r: StreamRecord<WK, Change<number>>) => out.push({ key: `${r.key.key}@${r.key.window.start}`, value: r.value.newValue }),
      currentStreamTimeMs: () => taskStreamTime,
      recordMetadata: () => undefined,
    } as unknown as ProcessorContext<WK, Change<number>>;
    const p = suppressProcessor<WK, number>({ name: 'sup', suppressed: Suppressed.untilWindowCloses(), keySerde: keySerde as never, graceMs: 1000, inclusiveEnd: false })();
    p.init?.(ctx);
    const update = (key: string, start: number, value: number, timestamp: number) =>
      p.process({ key: { key, window: { start, end: start + 10_000 } } as WK, value: { newValue: value, oldValue: undefined }, timestamp, headers: {} });
    update('k1', 0, 999, 9980);
    // k0's later window comes first in cache order; its timestamp passes window [0, 10000)'s close (11000)...
    update('k0', 10_000, 1, 11_000);
    // ...before k1's last update of window [0, 10000) arrives.
    update('k1', 0, 1000, 9990);
    expect(out).toEqual([]);
    taskStreamTime = 11_000;
    p.flush?.();
    expect(out).toEqual([{ key: 'k1@0', value: 1000 }]);
  });

  it('a record costs O(1) reads of buffered windows, not a scan of the buffer (2,000 buffered windows)', () => {
    let windowReads = 0;
    const out: unknown[] = [];
    const ctx = { taskId: '0_0', forward: (r: unknown) => out.push(r), currentStreamTimeMs: () => 0, recordMetadata: () => ({ topic: 'in', partition: 0, offset: 0 }) } as unknown as ProcessorContext<WK, Change<number>>;
    const p = suppressProcessor<WK, number>({ name: 'sup', suppressed: Suppressed.untilWindowCloses(), keySerde: keySerde as never, graceMs: 0, inclusiveEnd: false })();
    p.init?.(ctx);
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const window = { start: i, end: 1_000_000 + i };
      const key = Object.defineProperty({ key: `k${i}` }, 'window', {
        get: () => {
          windowReads++;
          return window;
        },
      }) as WK;
      p.process({ key, value: { newValue: 1, oldValue: undefined }, timestamp: i, headers: {} });
    }
    expect(out).toHaveLength(0);
    // The scanning buffer read every buffered key's window on every record: about n²/2 reads.
    expect(windowReads).toBeLessThan(5 * n);
  });
});

describe('BufferConfig', () => {
  it('builds Kafka Streams configs and validates limits', () => {
    expect({ ...BufferConfig.maxRecords(5) }).toMatchObject({ maxRecords: 5, whenFull: 'emitEarly' });
    expect({ ...BufferConfig.maxBytes(1024).shutDownWhenFull() }).toMatchObject({ maxBytes: 1024, whenFull: 'shutDown' });
    const both = BufferConfig.maxRecords(5).withMaxBytes(100).emitEarlyWhenFull();
    expect([both.maxRecords, both.maxBytes, both.whenFull]).toEqual([5, 100, 'emitEarly']);
    const none = both.withNoBound();
    expect([none.maxRecords, none.maxBytes, none.whenFull]).toEqual([undefined, undefined, 'emitEarly']);
    expect(BufferConfig.unbounded().whenFull).toBe('shutDown');
    expect(Suppressed.untilWindowCloses(BufferConfig.maxRecords(3)).buffer).toEqual({ maxRecords: 3, whenFull: 'emitEarly' });
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => BufferConfig.maxRecords(bad)).toThrowError(/BufferConfig: maxRecords must be an integer >= 1/);
      expect(() => Suppressed.untilTimeLimit(5, { maxBytes: bad })).toThrowError(/Suppressed.untilTimeLimit: maxBytes must be an integer >= 1/);
    }
    expect(() => Suppressed.untilWindowCloses({ whenFull: 'drop' as never })).toThrowError(/whenFull must be 'emitEarly' or 'shutDown' \(got drop\)/);
  });
});
