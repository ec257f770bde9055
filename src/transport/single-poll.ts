import { TransportErrorCode, transportError } from './transport-error-codes.js';

/** A consumer's poll, which runs once at a time (as Kafka's consumer, it is not re-entrant); close waits for it. */
export class SinglePoll {
  #running: Promise<void> | undefined;

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves once no poll runs. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /** Runs `call` as the poll of `api`; fails with ILLEGAL_STATE while another runs. */
  async run<T>(api: string, call: () => Promise<T>): Promise<T> {
    if (this.#running !== undefined) throw transportError(TransportErrorCode.ILLEGAL_STATE, `${api}: another poll is running; poll is not re-entrant`);
    let done!: () => void;
    this.#running = new Promise((r) => (done = r));
    try {
      return await call();
    } finally {
      this.#running = undefined;
      done();
    }
  }
}
