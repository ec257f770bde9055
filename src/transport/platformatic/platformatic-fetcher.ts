/**
 * Fetches assigned partitions from their leaders with the library's Fetch
 * request (v12, full fetches without sessions; responses decoded by
 * fetch-response.ts) and hands out records in
 * offset order per partition. One fetch per leader runs ahead while the caller
 * processes (prefetch); a seek, pause or revocation discards what was fetched
 * for that partition. Under read_committed it drops control batches and the
 * batches of aborted transactions, as Kafka's consumers do from the response's
 * aborted-transaction list.
 * @module
 */
import type { ConnectionPool } from '@platformatic/kafka';
import type { ConsumerRecord, IsolationLevel, TopicPartition } from '../transport.js';
import { controlType, decodeRecords, fetchApi, type FetchedPartition, type FetchResponse } from './fetch-response.js';
import { tpKey } from '../validate.js';
import type { PlatformaticCluster } from './platformatic-cluster.js';

const MAX_FETCH_BYTES = 50 * 1024 * 1024;
/** Kafka's `max.partition.fetch.bytes` default is 1 MiB; more per partition pays off on few partitions. */
const PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const LOG_APPEND_TIME = 0x08;

export interface PartitionState {
  readonly tp: TopicPartition;
  readonly key: string;
  /** Next offset the caller gets. */
  position: number;
  /** High watermark (or last stable offset) as of the latest fetch. */
  end: number | undefined;
  userPaused: boolean;
  /** Bumped by seek, pause and removal: a fetch started before does not apply. */
  epoch: number;
  buffer: ConsumerRecord[];
  /** Offset after the fetched range once `buffer` is drained (batches may end in markers). */
  bufferEnd: number;
}

/** What a fetch found wrong with a partition. */
export interface PartitionProblem {
  readonly state: PartitionState;
  readonly error: string;
}

export class Fetcher {
  readonly states = new Map<string, PartitionState>();
  #inflight: Promise<void> | undefined;
  #problems: PartitionProblem[] = [];
  #wake: (() => void) | undefined;

  /** Fetches wait at the broker, so they get connections of their own. */
  readonly #pool: ConnectionPool;

  constructor(
    private readonly cluster: PlatformaticCluster,
    private readonly isolation: IsolationLevel,
  ) {
    this.#pool = cluster.newPool();
  }

  async close(): Promise<void> {
    this.clear();
    this.interrupt();
    await this.#inflight?.catch(() => undefined);
    await this.#pool.close().catch(() => undefined);
  }

  add(tp: TopicPartition, position: number, end?: number): PartitionState {
    const state: PartitionState = { tp, key: tpKey(tp.topic, tp.partition), position, end, userPaused: false, epoch: 0, buffer: [], bufferEnd: position };
    this.states.set(state.key, state);
    return state;
  }

  clear(): void {
    for (const s of this.states.values()) s.epoch++;
    this.states.clear();
    this.#problems = [];
  }

  remove(key: string): void {
    const s = this.states.get(key);
    if (s !== undefined) s.epoch++;
    this.states.delete(key);
  }

  seek(s: PartitionState, offset: number): void {
    s.position = offset;
    s.buffer = [];
    s.bufferEnd = offset;
    s.epoch++;
  }

  pause(s: PartitionState): void {
    s.userPaused = true;
    // Records fetched before stay buffered at the position: they are returned after resume.
  }

  resume(s: PartitionState): void {
    s.userPaused = false;
  }

  /** Partitions the last fetches reported errors for (taken once). */
  takeProblems(): PartitionProblem[] {
    const p = this.#problems;
    this.#problems = [];
    return p;
  }

  /** Buffered records of unpaused partitions, at most `max`, advancing positions. */
  drain(max: number): ConsumerRecord[] {
    const out: ConsumerRecord[] = [];
    for (const s of this.states.values()) {
      if (out.length >= max) break;
      if (s.userPaused) continue;
      if (s.buffer.length === 0) {
        if (s.bufferEnd > s.position) s.position = s.bufferEnd;
        continue;
      }
      const take = s.buffer.length <= max - out.length ? s.buffer : s.buffer.slice(0, max - out.length);
      for (const r of take) out.push(r);
      s.buffer = take === s.buffer ? [] : s.buffer.slice(take.length);
      s.position = s.buffer.length > 0 ? s.buffer[0]!.offset : Math.max(take.at(-1)!.offset + 1, s.bufferEnd);
    }
    return out;
  }

  /** Starts a fetch for every unpaused partition with nothing buffered, unless one runs. */
  prefetch(maxWaitMs: number): void {
    if (this.#inflight !== undefined) return;
    const wanted = [...this.states.values()].filter((s) => !s.userPaused && s.buffer.length === 0);
    if (wanted.length === 0) return;
    this.#inflight = this.#fetch(wanted, maxWaitMs).finally(() => {
      this.#inflight = undefined;
      this.#wake?.();
    });
  }

  /** Waits for the running fetch (or `ms`, or {@link interrupt}). */
  async wait(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const inflight = this.#inflight;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
      inflight?.then(done, done);
    });
    this.#wake = undefined;
  }

  interrupt(): void {
    this.#wake?.();
  }

  async #fetch(states: PartitionState[], maxWaitMs: number): Promise<void> {
    const topics = [...new Set(states.map((s) => s.tp.topic))];
    let meta;
    try {
      meta = await this.cluster.leaders(topics);
    } catch {
      return;
    }
    const byLeader = new Map<number, PartitionState[]>();
    for (const s of states) {
      const leader = meta.topics.get(s.tp.topic)?.partitions[s.tp.partition]?.leader;
      if (leader === undefined || leader < 0) {
        this.#problems.push({ state: s, error: 'LEADER_NOT_AVAILABLE' });
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), s]);
    }
    let stale = false;
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const asked = list.map((s) => ({ s, epoch: s.epoch, from: s.bufferEnd }));
        const request = new Map<string, { partition: number; currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; partitionMaxBytes: number }[]>();
        for (const { s, from } of asked) {
          request.set(s.tp.topic, [...(request.get(s.tp.topic) ?? []), { partition: s.tp.partition, currentLeaderEpoch: -1, fetchOffset: BigInt(from), lastFetchedEpoch: -1, partitionMaxBytes: PARTITION_FETCH_BYTES }]);
        }
        let response: FetchResponse;
        try {
          const conn = await this.cluster.brokerConnection(leader, meta, this.#pool);
          response = await fetchApi.async(conn, maxWaitMs, 1, MAX_FETCH_BYTES, this.isolation === 'read_committed' ? 1 : 0, 0, -1, [...request].map(([topicId, partitions]) => ({ topicId, partitions })), [], '');
        } catch {
          stale = true;
          return;
        }
        if (response.errorCode !== 0) {
          stale = true;
          return;
        }
        for (const t of response.responses) {
          for (const p of t.partitions) {
            const entry = asked.find((a) => a.s.tp.topic === t.topicId && a.s.tp.partition === p.partitionIndex);
            if (entry === undefined || entry.s.epoch !== entry.epoch || this.states.get(entry.s.key) !== entry.s) continue;
            if (p.errorCode !== 0) {
              const id = errorName(p.errorCode);
              if (id === 'NOT_LEADER_OR_FOLLOWER' || id === 'LEADER_NOT_AVAILABLE' || id === 'FENCED_LEADER_EPOCH' || id === 'UNKNOWN_LEADER_EPOCH') stale = true;
              else this.#problems.push({ state: entry.s, error: id });
              continue;
            }
            this.#apply(entry.s, entry.from, p);
          }
        }
      }),
    );
    if (stale) await this.cluster.leaders(topics, true).catch(() => undefined);
  }

  #apply(s: PartitionState, from: number, p: FetchedPartition): void {
    s.end = this.isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark;
    const batches = p.batches;
    if (batches.length === 0) return;
    const aborted = [...p.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset);
    const abortedProducers = new Set<bigint>();
    const records: ConsumerRecord[] = [];
    let next = from;
    for (const b of batches) {
      const first = b.firstOffset;
      const last = first + b.lastOffsetDelta;
      if (last < from) continue;
      next = Math.max(next, last + 1);
      if (this.isolation === 'read_committed') {
        while (aborted.length > 0 && aborted[0]!.firstOffset <= last) abortedProducers.add(aborted.shift()!.producerId);
        if ((b.attributes & CONTROL) !== 0) {
          // An ABORT marker (control type 0) ends that producer's aborted transaction.
          if (controlType(b) === 0) abortedProducers.delete(b.producerId);
          continue;
        }
        if ((b.attributes & TRANSACTIONAL) !== 0 && abortedProducers.has(b.producerId)) continue;
      } else if ((b.attributes & CONTROL) !== 0) continue;
      decodeRecords(b, s.tp.topic, s.tp.partition, from, (b.attributes & LOG_APPEND_TIME) !== 0, records);
    }
    s.buffer = records;
    s.bufferEnd = next;
  }
}

const ERROR_NAMES: Record<number, string> = {
  1: 'OFFSET_OUT_OF_RANGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH',
  100: 'UNKNOWN_TOPIC_ID',
};

function errorName(code: number): string {
  return ERROR_NAMES[code] ?? `KAFKA_ERROR_${code}`;
}
