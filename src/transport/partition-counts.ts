import { TransportErrorCode, transportError } from './transport-error-codes.js';

/**
 * Topics' partition counts as a Kafka client transport learns them: looked up
 * on first use, kept, refreshed when a send names a partition past the count
 * it knows, and forgotten when the topic is deleted or found missing.
 */
export class PartitionCounts {
  readonly #counts = new Map<string, number>();

  /**
   * @param lookup the client's way to a fresh count: `undefined` when the topic
   *   does not exist; other failures throw, as `TransportError`s.
   */
  constructor(private readonly lookup: (topic: string) => Promise<number | undefined>) {}

  cached(topic: string): number | undefined {
    return this.#counts.get(topic);
  }

  forget(topics: Iterable<string>): void {
    for (const t of topics) this.#counts.delete(t);
  }

  /** A fresh count, or `undefined` when the topic does not exist. */
  async fetch(topic: string): Promise<number | undefined> {
    const n = await this.lookup(topic);
    if (n === undefined) this.#counts.delete(topic);
    else this.#counts.set(topic, n);
    return n;
  }

  /** The count (fresh when `refresh`); RIVULET_TRANSPORT_UNKNOWN_TOPIC_OR_PARTITION, in the name of `api`, when the topic does not exist. */
  async require(topic: string, api: string, refresh = false): Promise<number> {
    const n = (refresh ? undefined : this.#counts.get(topic)) ?? (await this.fetch(topic));
    if (n === undefined) throw transportError(TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${api}: topic '${topic}' does not exist; create it first`);
    return n;
  }
}
