/**
 * {@link Reader} over a kafkajs consumer. kafkajs has no group-less consumer, so
 * the reader joins a throwaway group of its own (random id, never committed to,
 * so the broker drops it when the reader leaves), receives every partition of
 * the assigned topics, seeks the assigned ones and pauses the rest.
 *
 * kafkajs silently resets a position outside the log instead of failing, so
 * `poll` checks new positions against the partition's offsets first and fails
 * with OFFSET_OUT_OF_RANGE itself.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import type { ConsumerRecord, IsolationLevel, PollOptions, Reader, TopicPartition, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { checkOffset, checkPollOptions, checkTopicPartition, tpKey } from '../validate.js';
import type { KafkaJsContext } from './kafkajs-context.js';
import { toTransportError } from './kafkajs-errors.js';
import { FetchSession } from './kafkajs-fetch-session.js';

const IDLE_SLICE_MS = 100;
/** Records buffered per partition before kafkajs is paused for it (the group consumer keeps the default). */
const READER_BUFFER_LIMIT = 200_000;

export class KafkaJsReader implements Reader {
  #consumer: KafkaJsConsumer | undefined;
  // A reader restores stores: it buffers big fetches instead of pausing kafkajs every 2,000 records.
  readonly #session = new FetchSession(() => this.#consumer, READER_BUFFER_LIMIT);
  /** The assignment and positions the caller asked for. */
  #wanted = new Map<string, TopicPartitionOffset>();
  /** Topics the running kafkajs consumer is subscribed to. */
  #topics: string[] = [];
  #restart = true;
  /** Partitions whose position must be range-checked before the next fetch. */
  readonly #unchecked = new Set<string>();
  #joined: Map<string, TopicPartition> | undefined;
  #applied = false;
  /** `assign` gave new offsets since the last apply: they win over positions reached before. */
  #reassigned = true;
  #runError: unknown;
  #polling = false;
  #closed = false;

  constructor(
    private readonly ctx: KafkaJsContext,
    private readonly isolation: IsolationLevel,
    private readonly clientId: string,
    private readonly onClose: (r: KafkaJsReader) => void,
  ) {}

  assign(partitions: readonly TopicPartitionOffset[]): void {
    const api = 'Reader.assign';
    this.#usable(api);
    const wanted = new Map<string, TopicPartitionOffset>();
    for (const p of partitions) {
      checkTopicPartition(api, p);
      checkOffset(api, 'offset', p.offset);
      wanted.set(tpKey(p.topic, p.partition), { topic: p.topic, partition: p.partition, offset: p.offset });
    }
    this.#wanted = wanted;
    const topics = [...new Set([...wanted.values()].map((p) => p.topic))].sort();
    if (topics.join('\u0000') !== this.#topics.join('\u0000')) this.#restart = true;
    this.#applied = false;
    this.#reassigned = true;
    this.#unchecked.clear();
    for (const k of wanted.keys()) this.#unchecked.add(k);
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
      if (this.#restart) await this.#startKafkaConsumer(api);
      for (;;) {
        if (this.#closed) return [];
        if (this.#runError !== undefined) throw toTransportError(api, this.#runError);
        if (!this.#applied && this.#joined !== undefined) this.#apply();
        const records = this.#applied ? this.#session.drain(maxRecords) : [];
        if (records.length > 0) return records;
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await this.#session.wait(Math.min(left, IDLE_SLICE_MS));
      }
    } finally {
      this.#polling = false;
    }
  }

  seek(partition: TopicPartition, offset: number): void {
    const api = 'Reader.seek';
    this.#usable(api);
    checkOffset(api, 'offset', offset);
    const key = tpKey(partition?.topic, partition?.partition);
    const wanted = this.#wanted.get(key);
    if (wanted === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: partition must be assigned (got ${String(partition?.topic)}-${String(partition?.partition)})`);
    }
    this.#wanted.set(key, { ...wanted, offset });
    this.#unchecked.add(key);
    const state = this.#session.states.get(key);
    if (state !== undefined) this.#session.seek(state, offset);
  }

  position(partition: TopicPartition): number | undefined {
    const key = tpKey(partition.topic, partition.partition);
    return this.#session.states.get(key)?.position ?? this.#wanted.get(key)?.offset;
  }

  assignment(): TopicPartition[] {
    return [...this.#wanted.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.signal();
    this.onClose(this);
    await this.#stop();
  }

  /** OFFSET_OUT_OF_RANGE for a position outside [earliest, high watermark]. */
  async #checkPositions(api: string): Promise<void> {
    if (this.#unchecked.size === 0) return;
    const byTopic = new Map<string, TopicPartitionOffset[]>();
    for (const key of this.#unchecked) {
      const p = this.#wanted.get(key);
      if (p !== undefined) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), { ...p, offset: this.position(p) ?? p.offset }]);
    }
    for (const [topic, parts] of byTopic) {
      const offsets = await this.ctx.listOffsetsWith(api, topic, 'read_uncommitted');
      for (const p of parts) {
        const o = offsets.find((x) => x.partition === p.partition);
        if (o === undefined) {
          throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: partition ${p.partition} of '${topic}' does not exist`);
        }
        if (p.offset < o.earliest || p.offset > o.latest) {
          throw transportError(
            TransportErrorCode.OFFSET_OUT_OF_RANGE,
            `${api}: position of ${topic}-${p.partition} must be within [${o.earliest}, ${o.latest}] (got ${p.offset}); seek into range`,
          );
        }
      }
    }
    this.#unchecked.clear();
  }

  async #startKafkaConsumer(api: string): Promise<void> {
    await this.#stop();
    this.#restart = false;
    this.#topics = [...new Set([...this.#wanted.values()].map((p) => p.topic))].sort();
    if (this.#topics.length === 0) return;
    const consumer = this.ctx.kafka.consumer({
      groupId: `rivulet-reader-${this.clientId}-${randomUUID()}`,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 200,
      // A reader restores stores: large fetches, few round trips (kafkajs' default is 1 MB per partition).
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      readUncommitted: this.isolation === 'read_uncommitted',
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100 },
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (this.#consumer !== consumer) return;
      const joined = new Map<string, TopicPartition>();
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) joined.set(tpKey(topic, partition), { topic, partition });
      }
      this.#joined = joined;
      this.#applied = false;
      this.#session.signal();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#consumer === consumer && !payload.restart) this.#runError = payload.error;
    });
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (this.#consumer === consumer) this.#session.onBatchStart(payload as never);
    });
    this.#consumer = consumer;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.#topics, fromBeginning: true });
    } catch (e) {
      this.#consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw toTransportError(api, e);
    }
    consumer.run({ autoCommit: false, eachBatchAutoResolve: true, eachBatch: this.#session.eachBatch }).catch((e: unknown) => {
      if (this.#consumer === consumer) this.#runError = e;
    });
  }

  /** Positions the kafkajs consumer: assigned partitions at their offsets, the others paused. */
  #apply(): void {
    const joined = this.#joined!;
    // A rejoin of the reader's own group (kafkajs rejoins on its own, e.g. after a missed
    // heartbeat) must continue from where reading got to, not from the assign() offsets:
    // that would return the records since then a second time.
    const reached = new Map<string, number>();
    if (!this.#reassigned) for (const [key, state] of this.#session.states) reached.set(key, state.position);
    this.#reassigned = false;
    this.#session.clear();
    const others: TopicPartition[] = [];
    for (const [key, tp] of joined) if (!this.#wanted.has(key)) others.push(tp);
    const wanted = [...this.#wanted.values()];
    if (wanted.length > 0) this.#consumer?.resume(wanted.map((p) => ({ topic: p.topic, partitions: [p.partition] })));
    for (const p of wanted) this.#session.add({ topic: p.topic, partition: p.partition }, reached.get(tpKey(p.topic, p.partition)) ?? p.offset);
    if (others.length > 0) this.#consumer?.pause(others.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
    this.#applied = true;
  }

  async #stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#joined = undefined;
    this.#applied = false;
    this.#session.clear();
    if (consumer !== undefined) await consumer.disconnect().catch(() => undefined);
  }

  #usable(api: string): void {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, `${api}: the reader is closed; create a new one`);
  }
}
