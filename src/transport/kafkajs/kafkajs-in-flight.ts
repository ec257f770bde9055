/**
 * Several produce requests of one idempotent kafkajs producer in flight, in order.
 *
 * kafkajs's idempotent producer holds a lock per broker from taking a
 * request's sequence numbers until its response has arrived (its eosManager's
 * `acquireBrokerLock`), so one produce request per broker is in flight and the
 * client idles for every round trip. Kafka keeps up to five requests of an
 * idempotent producer per partition in order by their sequence numbers (the
 * Java client's `max.in.flight.requests.per.connection` = 5).
 *
 * Inside {@link InFlightGate.run} that lock is replaced by the gate: the sends
 * pass it in the order their tickets were drawn, at most `max` unanswered at a
 * time. A send takes its sequence numbers right after passing (kafkajs does
 * so in the same synchronous step, after the same number of awaits for every
 * send), so sequence numbers follow ticket order, and the broker appends the
 * batches in that order or rejects them (OUT_OF_ORDER_SEQUENCE_NUMBER); it
 * never reorders them. A send that fails before passing gives up its turn.
 *
 * The caller must treat any failure with several requests in flight as the end
 * of the producer: kafkajs rolls back a failed request's sequence numbers while
 * later requests already used the following ones.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { kafkajsModule, privateSymbol } from './kafkajs-internals.js';

/** The timeout kafkajs gives its eosManager's per-broker lock, and no other lock. */
const EOS_BROKER_LOCK_TIMEOUT = 0xffff;

interface Turn {
  readonly gate: InFlightGate;
  readonly ticket: number;
}

type LockMethod = (this: Record<symbol, unknown>) => Promise<void>;

const scope = new AsyncLocalStorage<Turn>();
let patched = false;

/** Routes the eosManager lock of sends inside a gate's scope to the gate; every other lock and caller is untouched. */
function patchLock(): void {
  if (patched) return;
  patched = true;
  const proto = kafkajsModule<{ prototype: Record<string, LockMethod> }>('utils/lock.js').prototype;
  const acquire = proto['acquire'] as LockMethod;
  const release = proto['release'] as LockMethod;
  let timeoutKey: symbol | undefined;
  const turnFor = (lock: Record<symbol, unknown>): Turn | undefined => {
    const turn = scope.getStore();
    if (turn === undefined) return undefined;
    timeoutKey ??= privateSymbol(lock, 'private:Lock:timeout');
    return timeoutKey !== undefined && lock[timeoutKey] === EOS_BROKER_LOCK_TIMEOUT ? turn : undefined;
  };
  proto['acquire'] = function (this: Record<symbol, unknown>): Promise<void> {
    const turn = turnFor(this);
    return turn === undefined ? acquire.call(this) : turn.gate.acquire(turn.ticket);
  };
  proto['release'] = function (this: Record<symbol, unknown>): Promise<void> {
    const turn = turnFor(this);
    if (turn === undefined) return release.call(this);
    turn.gate.release();
    return Promise.resolve();
  };
}

/** Ordered admission of one producer's sends, at most `max` requests unanswered. */
export class InFlightGate {
  #issued = 0;
  /** The ticket whose turn is next. */
  #next = 0;
  #inFlight = 0;
  /** Tickets that passed and whose send has not finished (a retry or a second broker passes again at once). */
  readonly #passed = new Set<number>();
  /** Tickets that finished without passing: their turn is skipped. */
  readonly #skipped = new Set<number>();
  readonly #waiting = new Map<number, () => void>();

  constructor(readonly max: number) {
    patchLock();
  }

  /** Requests passed and not answered yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Draws the next ticket now (the send's place in line) and runs `send` with
   * it; the send's eosManager lock waits for the ticket's turn.
   */
  run<T>(send: () => Promise<T>): Promise<T> {
    const ticket = this.#issued++;
    return scope.run({ gate: this, ticket }, send).finally(() => this.#finish(ticket));
  }

  acquire(ticket: number): Promise<void> {
    if (this.#passed.has(ticket)) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#waiting.set(ticket, resolve);
      this.#admit(ticket);
    });
  }

  release(): void {
    this.#inFlight--;
    this.#admit();
  }

  #finish(ticket: number): void {
    if (!this.#passed.delete(ticket) && ticket >= this.#next) {
      this.#skipped.add(ticket);
      this.#waiting.delete(ticket);
    }
    this.#admit();
  }

  /**
   * Lets waiting tickets pass in order. Passing resolves a promise the caller
   * awaits; its continuation is queued when it is resolved, except for the
   * ticket whose own `acquire` is running (`acquiring`): its caller awaits the
   * promise only after `acquire` returned. So once that ticket passed, the next
   * ones pass in a later microtask, after its continuation was queued.
   */
  #admit(acquiring?: number): void {
    for (;;) {
      while (this.#skipped.delete(this.#next)) this.#next++;
      const ticket = this.#next;
      const resolve = this.#waiting.get(ticket);
      if (resolve === undefined || this.#inFlight >= this.max) return;
      this.#waiting.delete(ticket);
      this.#passed.add(ticket);
      this.#next++;
      this.#inFlight++;
      resolve();
      if (ticket === acquiring) {
        queueMicrotask(() => this.#admit());
        return;
      }
    }
  }
}
