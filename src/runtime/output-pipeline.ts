import type { ProducerRecord } from '../transport/transport.js';

/**
 * Sends a stream thread's output records while the thread keeps processing,
 * instead of holding them all until the commit and then idling while they go
 * out (Kafka's RecordCollector over a producer with records in flight).
 *
 * - One `send` at a time: records that arrive while it is in flight wait and go
 *   out together in the next one, started as soon as the previous one resolved.
 *   The transport contract orders the records of one `send` per partition, not
 *   those of concurrent sends, so one at a time keeps every partition's order;
 *   the transport may still keep several produce requests of that send in flight.
 * - {@link flush} is the only barrier: it resolves once every record pushed
 *   before it is acknowledged, and rejects if any send failed. A failed send is
 *   never forgotten: every later `flush` (and {@link failure}) reports it, so an
 *   offset commit never acknowledges records that may not have been written,
 *   until {@link reset} drops the work (the thread then reprocesses from its
 *   last commit).
 */
export class OutputPipeline {
  #queue: ProducerRecord[] = [];
  #inFlight: Promise<void> | undefined;
  #inFlightCount = 0;
  #failure: { readonly error: unknown } | undefined;
  /** Bumped by `reset`, so a send of dropped work cannot fail the work after it. */
  #epoch = 0;

  constructor(
    /** Sends one batch; resolves once all of it is acknowledged. */
    private readonly send: (records: ProducerRecord[]) => Promise<unknown>,
    /** Fewest waiting records worth a send of their own between flushes. */
    private readonly minBatch = 1,
  ) {}

  /** Queues a record; it goes out with the next send. */
  push(record: ProducerRecord): void {
    this.#queue.push(record);
  }

  /** Records pushed and not yet acknowledged (waiting or in flight). */
  get unacknowledged(): number {
    return this.#queue.length + this.#inFlightCount;
  }

  /** The error of a failed send since the last `reset`, if any. */
  get failure(): { readonly error: unknown } | undefined {
    return this.#failure;
  }

  /** Starts a send of the waiting records unless one is in flight (or too few wait). */
  pump(): void {
    this.#start(this.minBatch);
  }

  /** Resolves once every record pushed so far is acknowledged; rejects with the first failure. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure.error;
      if (this.#inFlight !== undefined) await this.#inFlight;
      else if (this.#queue.length > 0) this.#start(1);
      else return;
    }
  }

  /**
   * Drops the waiting records and a recorded failure, after the send in flight
   * (if any) has settled: its outcome no longer matters, but it must not
   * overlap what is sent after the reset.
   */
  async reset(): Promise<void> {
    this.#epoch++;
    this.#queue = [];
    while (this.#inFlight !== undefined) await this.#inFlight;
    this.#failure = undefined;
  }

  #start(atLeast: number): void {
    if (this.#inFlight !== undefined || this.#failure !== undefined || this.#queue.length === 0 || this.#queue.length < atLeast) return;
    const batch = this.#queue;
    this.#queue = [];
    const epoch = this.#epoch;
    this.#inFlightCount = batch.length;
    let sending: Promise<unknown>;
    try {
      sending = this.send(batch);
    } catch (e) {
      sending = Promise.reject(e);
    }
    this.#inFlight = sending.then(
      () => this.#settled(epoch, undefined),
      (error: unknown) => this.#settled(epoch, { error }),
    );
  }

  #settled(epoch: number, failure: { readonly error: unknown } | undefined): void {
    this.#inFlight = undefined;
    this.#inFlightCount = 0;
    if (epoch !== this.#epoch) return;
    if (failure !== undefined) {
      this.#failure ??= failure;
      return;
    }
    // What arrived meanwhile goes out at once: the client stays busy while the loop processes.
    this.#start(1);
  }
}
