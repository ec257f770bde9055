/**
 * {@link Reader} over rivulet's {@link Fetcher}: explicit partitions and
 * offsets, no group. A position is checked against the partition's offsets
 * before it is fetched from, so one outside the log fails with
 * OFFSET_OUT_OF_RANGE instead of being reset.
 * @module
 */
import type { ConsumerRecord, IsolationLevel, PartitionOffsets, PollOptions, Reader, TopicPartition, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { checkOffset, checkPollOptions, checkTopicPartition, tpKey } from '../validate.js';
import type { PlatformaticCluster } from './platformatic-cluster.js';
import { Fetcher } from './platformatic-fetcher.js';

/** What the reader needs of its transport. */
export interface ReaderContext {
  listOffsetsWith(api: string, topic: string, isolation: IsolationLevel): Promise<PartitionOffsets[]>;
}

const FETCH_WAIT_MS = 200;

export class PlatformaticReader implements Reader {
  readonly #fetcher: Fetcher;
  /** Partitions whose position must be range-checked before the next fetch. */
  readonly #unchecked = new Set<string>();
  #polling = false;
  #closed = false;

  constructor(
    private readonly ctx: ReaderContext,
    cluster: PlatformaticCluster,
    isolation: IsolationLevel,
    private readonly onClose: (r: PlatformaticReader) => void,
  ) {
    this.#fetcher = new Fetcher(cluster, isolation);
  }

  assign(partitions: readonly TopicPartitionOffset[]): void {
    const api = 'Reader.assign';
    this.#usable(api);
    for (const p of partitions) {
      checkTopicPartition(api, p);
      checkOffset(api, 'offset', p.offset);
    }
    this.#fetcher.clear();
    this.#unchecked.clear();
    for (const p of partitions) {
      const s = this.#fetcher.add({ topic: p.topic, partition: p.partition }, p.offset);
      this.#unchecked.add(s.key);
    }
  }

  async poll(options?: PollOptions): Promise<ConsumerRecord[]> {
    const api = 'Reader.poll';
    this.#usable(api);
    if (this.#polling) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: another poll is running; poll is not re-entrant`);
    const { maxRecords, timeoutMs } = checkPollOptions(api, options);
    this.#polling = true;
    try {
      const deadline = Date.now() + timeoutMs;
      await this.#checkPositions(api);
      for (;;) {
        if (this.#closed) return [];
        for (const p of this.#fetcher.takeProblems()) {
          if (p.error === 'OFFSET_OUT_OF_RANGE') {
            this.#unchecked.add(p.state.key);
            await this.#checkPositions(api);
          } else if (p.error === 'UNKNOWN_TOPIC_OR_PARTITION' || p.error === 'UNKNOWN_TOPIC_ID') {
            throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: partition ${p.state.tp.partition} of '${p.state.tp.topic}' does not exist`);
          }
        }
        const records = this.#fetcher.drain(maxRecords);
        this.#fetcher.prefetch(Math.max(0, Math.min(FETCH_WAIT_MS, deadline - Date.now())));
        if (records.length > 0) return records;
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await this.#fetcher.wait(left);
      }
    } finally {
      this.#polling = false;
    }
  }

  seek(partition: TopicPartition, offset: number): void {
    const api = 'Reader.seek';
    this.#usable(api);
    checkOffset(api, 'offset', offset);
    const s = this.#fetcher.states.get(tpKey(partition?.topic, partition?.partition));
    if (s === undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: partition must be assigned (got ${String(partition?.topic)}-${String(partition?.partition)})`);
    this.#fetcher.seek(s, offset);
    this.#unchecked.add(s.key);
  }

  position(partition: TopicPartition): number | undefined {
    return this.#fetcher.states.get(tpKey(partition.topic, partition.partition))?.position;
  }

  assignment(): TopicPartition[] {
    return [...this.#fetcher.states.values()].map((s) => ({ topic: s.tp.topic, partition: s.tp.partition }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose(this);
    await this.#fetcher.close();
  }

  /** OFFSET_OUT_OF_RANGE for a position outside [earliest, high watermark]. */
  async #checkPositions(api: string): Promise<void> {
    if (this.#unchecked.size === 0) return;
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const key of this.#unchecked) {
      const s = this.#fetcher.states.get(key);
      if (s !== undefined) byTopic.set(s.tp.topic, [...(byTopic.get(s.tp.topic) ?? []), { partition: s.tp.partition, offset: s.position }]);
    }
    for (const [topic, parts] of byTopic) {
      const offsets = await this.ctx.listOffsetsWith(api, topic, 'read_uncommitted');
      for (const p of parts) {
        const o = offsets.find((x) => x.partition === p.partition);
        if (o === undefined) throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: partition ${p.partition} of '${topic}' does not exist`);
        if (p.offset < o.earliest || p.offset > o.latest) {
          throw transportError(TransportErrorCode.OFFSET_OUT_OF_RANGE, `${api}: position of ${topic}-${p.partition} must be within [${o.earliest}, ${o.latest}] (got ${p.offset}); seek into range`);
        }
      }
    }
    this.#unchecked.clear();
  }

  #usable(api: string): void {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, `${api}: the reader is closed; create a new one`);
  }
}
