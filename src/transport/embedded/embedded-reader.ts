import type { ConsumerRecord, IsolationLevel, PollOptions, Reader, TopicPartition, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import type { BrokerCore } from './broker-core.js';
import { Notifier, waitForAny } from './notifier.js';
import type { PartitionLog } from './partition-log.js';
import { checkOffset, checkPollOptions, checkTopicPartition, tpKey } from '../validate.js';

interface ReaderState {
  readonly topic: string;
  readonly partition: number;
  position: number;
}

/** Group-less reader of the embedded broker, for restores: explicit positions, no commits. */
export class EmbeddedReader implements Reader {
  #assigned = new Map<string, ReaderState>();
  #order: ReaderState[] = [];
  #rotation = 0;
  #polling = false;
  #closed = false;
  readonly #wake = new Notifier();

  constructor(
    private readonly core: BrokerCore,
    private readonly isolation: IsolationLevel,
    private readonly onClose: (r: EmbeddedReader) => void,
  ) {}

  assign(partitions: readonly TopicPartitionOffset[]): void {
    const api = 'Reader.assign';
    this.#open(api);
    const next = new Map<string, ReaderState>();
    for (const tp of partitions) {
      checkTopicPartition(api, tp);
      const position = checkOffset(api, 'offset', tp.offset);
      next.set(tpKey(tp.topic, tp.partition), { topic: tp.topic, partition: tp.partition, position });
    }
    this.#assigned = next;
    this.#order = [...next.values()];
    this.#wake.notify();
  }

  async poll(options?: PollOptions): Promise<ConsumerRecord[]> {
    const api = 'Reader.poll';
    this.#open(api);
    const { maxRecords, timeoutMs } = checkPollOptions(api, options);
    if (this.#polling) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: poll is already running; await it before polling again`);
    this.#polling = true;
    try {
      return await this.#pollLoop(api, maxRecords, Date.now() + timeoutMs);
    } finally {
      this.#polling = false;
    }
  }

  seek(partition: TopicPartition, offset: number): void {
    const api = 'Reader.seek';
    this.#open(api);
    const state = this.#assigned.get(tpKey(partition.topic, partition.partition));
    if (state === undefined) {
      throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: partition must be assigned (got ${partition.topic}-${partition.partition}); call assign() first`);
    }
    state.position = checkOffset(api, 'offset', offset);
    this.#wake.notify();
  }

  position(partition: TopicPartition): number | undefined {
    return this.#assigned.get(tpKey(partition.topic, partition.partition))?.position;
  }

  assignment(): TopicPartition[] {
    return this.#order.map(({ topic, partition }) => ({ topic, partition }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake.notify();
    this.onClose(this);
  }

  abandon(): void {
    this.#closed = true;
    this.#wake.notify();
  }

  async #pollLoop(api: string, maxRecords: number, deadline: number): Promise<ConsumerRecord[]> {
    await this.core.yieldNow();
    const out: ConsumerRecord[] = [];
    for (;;) {
      if (this.#closed) return out;
      const logs = this.#order.map((s) => this.#log(api, s));
      const n = this.#order.length;
      const start = n === 0 ? 0 : this.#rotation++ % n;
      for (let i = 0; i < n && out.length < maxRecords; i++) {
        const state = this.#order[(start + i) % n]!;
        state.position = logs[(start + i) % n]!.read(state.position, maxRecords - out.length, this.isolation, out).position;
      }
      if (out.length > 0) return out;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return out;
      await waitForAny([this.#wake, ...logs.map((l) => l.changed)], remaining);
    }
  }

  #open(api: string): void {
    if (this.#closed) throw transportError(TransportErrorCode.CLOSED, `${api}: the reader is closed; create a new one`);
  }

  /** The partition's log, after checking the position is one the log can serve. */
  #log(api: string, state: ReaderState): PartitionLog {
    const log = this.core.topics.requirePartition(api, state.topic, state.partition);
    if (!log.inRange(state.position)) {
      throw transportError(
        TransportErrorCode.OFFSET_OUT_OF_RANGE,
        `${api}: position of ${state.topic}-${state.partition} must be within [${log.logStartOffset}, ${log.highWatermark}] (got ${state.position}); ` +
          'a checkpoint beyond the log end means local state does not belong to this log: wipe it and restore from the earliest offset',
      );
    }
    return log;
  }
}
