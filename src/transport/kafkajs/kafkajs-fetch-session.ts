/**
 * Poll emulation over one kafkajs consumer, shared by the group consumer and the
 * reader. kafkajs pushes batches into `eachBatch` from its own fetch loop; this
 * class buffers them per partition and hands them out from `poll`.
 *
 * - Positions are ours: `seek` clears the partition's buffer and moves kafkajs;
 *   batches fetched before the seek are dropped (kafkajs's `isStale`, plus an
 *   offset check).
 * - Backpressure: a partition whose buffer holds `bufferLimit` records is paused
 *   in kafkajs and resumed once `poll` has drained half of it; user pauses are
 *   tracked separately so one never lifts the other.
 * - A chunk remembers where its fetch ended (after transaction markers and
 *   aborted records), so a drained partition's position is past them, as the
 *   `Reader` contract requires; batches kafkajs filtered to nothing arrive
 *   through its START_BATCH_PROCESS event.
 * - The buffer is accepted only for the partitions of the current session
 *   (`accepting`), so records kafkajs fetched for an assignment the caller has
 *   not taken over yet are dropped and refetched after the explicit seek.
 * @module
 */
import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import type { ConsumerRecord, RecordHeaders, TopicPartition } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { tpKey } from '../validate.js';
import { toTransportError } from './kafkajs-errors.js';

/** Records buffered per partition before kafkajs is paused for it. */
export const DEFAULT_BUFFER_LIMIT = 2000;

interface Chunk {
  readonly records: ConsumerRecord[];
  next: number;
  /** Offset after the last message of the fetch (including filtered control/aborted ones). */
  readonly end: number;
}

export interface PartitionState {
  readonly tp: TopicPartition;
  position: number;
  /** The next offset a fetched batch may start at or after (set by seeks). */
  expectNext: number;
  /** The position a batch starting past it was re-requested from (see eachBatch). */
  gapChecked?: number;
  chunks: Chunk[];
  buffered: number;
  /**
   * The partition's end offset as last learned: from the offsets listed at assignment,
   * then from each fetch response's high watermark. `undefined` while unknown.
   */
  end: number | undefined;
  userPaused: boolean;
  bufferPaused: boolean;
}

const EMPTY_HEADERS: RecordHeaders = Object.freeze({});
const enc = new TextEncoder();

const toBytes = (b: Buffer | string | null | undefined): Uint8Array | null => {
  if (b === null || b === undefined) return null;
  if (typeof b === 'string') return enc.encode(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

function toHeaders(h: IHeaders | undefined): RecordHeaders {
  if (h === undefined) return EMPTY_HEADERS;
  const out: Record<string, Uint8Array> = {};
  for (const [name, raw] of Object.entries(h)) {
    const v = Array.isArray(raw) ? raw[0] : raw;
    const bytes = toBytes(v);
    if (bytes !== null) out[name] = bytes;
  }
  return out;
}

function toRecord(topic: string, partition: number, m: KafkaMessage): ConsumerRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: toBytes(m.key),
    value: toBytes(m.value),
    timestamp: Number(m.timestamp),
    headers: toHeaders(m.headers),
  };
}

export class FetchSession {
  readonly states = new Map<string, PartitionState>();
  #waiter: (() => void) | undefined;
  #rr = 0;

  constructor(
    private readonly consumer: () => Consumer | undefined,
    private readonly bufferLimit = DEFAULT_BUFFER_LIMIT,
  ) {}

  /** Wakes a waiting `poll` (records arrived, group changed, close). */
  signal(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Waits for a signal or `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.#waiter === done) this.#waiter = undefined;
        resolve();
      }, Math.max(0, ms));
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiter = done;
    });
  }

  /** The kafkajs `eachBatch` handler. */
  readonly eachBatch = async ({ batch, isStale }: EachBatchPayload): Promise<void> => {
    const state = this.states.get(tpKey(batch.topic, batch.partition));
    if (state === undefined || isStale() || batch.messages.length === 0) return;
    const first = Number(batch.messages[0]!.offset);
    if (first < state.expectNext) return;
    if (first > state.expectNext && state.gapChecked !== state.expectNext) {
      // kafkajs may start a partition from the group's committed offset of its own
      // (read later than ours, after another member committed more) instead of our
      // seek. Ask once more from our position: a real gap (transaction markers,
      // compaction) comes back the same and is taken; skipped records are not lost.
      state.gapChecked = state.expectNext;
      this.#kafkaSeek(state.tp, state.expectNext);
      return;
    }
    state.end = Number(batch.highWatermark);
    const end = Number(batch.lastOffset()) + 1;
    const records = batch.messages.map((m) => toRecord(batch.topic, batch.partition, m));
    state.chunks.push({ records, next: 0, end });
    state.buffered += records.length;
    state.expectNext = end;
    if (state.buffered >= this.bufferLimit && !state.bufferPaused) {
      state.bufferPaused = true;
      this.#kafkaPause(state.tp);
    }
    this.signal();
  };

  /** kafkajs START_BATCH_PROCESS: a fetch whose messages were all filtered (markers, aborted) still moves the position. */
  onBatchStart(payload: { topic: string; partition: number; highWatermark: string; batchSize: number; firstOffset: string | null; lastOffset: string }): void {
    if (payload.batchSize !== 0) return;
    const state = this.states.get(tpKey(payload.topic, payload.partition));
    if (state === undefined) return;
    state.end = Number(payload.highWatermark);
    const end = Number(payload.lastOffset) + 1;
    const first = payload.firstOffset === null ? end : Number(payload.firstOffset);
    if (first < state.expectNext || end <= state.expectNext) return;
    state.chunks.push({ records: [], next: 0, end });
    state.expectNext = end;
    this.signal();
  }

  /** Starts tracking a partition at `position` (its end offset, if known, at `end`) and moves kafkajs there. */
  add(tp: TopicPartition, position: number, end?: number): PartitionState {
    const state: PartitionState = { tp, position, expectNext: position, chunks: [], buffered: 0, userPaused: false, bufferPaused: false, end };
    this.states.set(tpKey(tp.topic, tp.partition), state);
    this.#kafkaSeek(tp, position);
    return state;
  }

  /** Forgets every partition and lifts the kafkajs pauses this session made. */
  clear(): void {
    const paused = [...this.states.values()].filter((s) => s.userPaused || s.bufferPaused).map((s) => s.tp);
    this.states.clear();
    if (paused.length > 0) this.#kafka('resume', paused);
  }

  require(api: string, tp: TopicPartition): PartitionState {
    const state = this.states.get(tpKey(tp?.topic, tp?.partition));
    if (state === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: partition must be assigned (got ${String(tp?.topic)}-${String(tp?.partition)})`);
    }
    return state;
  }

  /**
   * Offsets on the broker not yet returned by `drain`, as of the latest fetch response
   * (buffered records count: the caller has not seen them). kafkajs hands over no empty
   * fetch responses, so a caught-up partition keeps the end its last records came with.
   * Under read_committed this is the high watermark, not the last stable offset (kafkajs
   * does not keep it), so an open transaction reads as lag until its marker is fetched.
   */
  lag(state: PartitionState): number | undefined {
    return state.end === undefined ? undefined : Math.max(0, state.end - state.position);
  }

  seek(state: PartitionState, offset: number): void {
    state.chunks = [];
    state.buffered = 0;
    state.position = offset;
    state.expectNext = offset;
    if (state.bufferPaused) {
      state.bufferPaused = false;
      if (!state.userPaused) this.#kafka('resume', [state.tp]);
    }
    this.#kafkaSeek(state.tp, offset);
  }

  pause(state: PartitionState): void {
    if (state.userPaused) return;
    state.userPaused = true;
    if (!state.bufferPaused) this.#kafkaPause(state.tp);
  }

  resume(state: PartitionState): void {
    if (!state.userPaused) return;
    state.userPaused = false;
    if (!state.bufferPaused) this.#kafka('resume', [state.tp]);
    this.signal();
  }

  /** Up to `max` buffered records of unpaused partitions, rotating the starting partition for fairness. */
  drain(max: number): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    const states = [...this.states.values()];
    if (states.length === 0) return out;
    const start = this.#rr++ % states.length;
    for (let i = 0; i < states.length && out.length < max; i++) {
      const s = states[(start + i) % states.length]!;
      if (s.userPaused) continue;
      while (s.chunks.length > 0 && out.length < max) {
        const chunk = s.chunks[0]!;
        const take = Math.min(max - out.length, chunk.records.length - chunk.next);
        for (let j = 0; j < take; j++) out.push(chunk.records[chunk.next + j]!);
        chunk.next += take;
        s.buffered -= take;
        if (take > 0) s.position = chunk.records[chunk.next - 1]!.offset + 1;
        if (chunk.next >= chunk.records.length) {
          s.position = Math.max(s.position, chunk.end);
          s.chunks.shift();
        }
      }
      if (s.bufferPaused && s.buffered <= this.bufferLimit / 2) {
        s.bufferPaused = false;
        if (!s.userPaused) this.#kafka('resume', [s.tp]);
      }
    }
    return out;
  }

  #kafkaPause(tp: TopicPartition): void {
    this.#kafka('pause', [tp]);
  }

  #kafkaSeek(tp: TopicPartition, offset: number): void {
    const c = this.consumer();
    if (c === undefined) return;
    try {
      c.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
    } catch (e) {
      // kafkajs refuses seeks while its consumer restarts after losing the broker; the
      // same seek works once it runs again, so callers may retry it.
      if (e instanceof Error && /consumer#run must be called first/.test(e.message)) {
        throw transportError(TransportErrorCode.NOT_CONNECTED, `seek: the Kafka consumer is restarting (${e.message}); retry`, { cause: e, retriable: true });
      }
      throw toTransportError('seek', e);
    }
  }

  #kafka(op: 'pause' | 'resume', tps: readonly TopicPartition[]): void {
    const c = this.consumer();
    if (c === undefined) return;
    c[op](tps.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
  }
}
