import { randomUUID } from 'node:crypto';
import { GroupCoordinator } from './group-coordinator.js';
import { yieldToEventLoop } from './notifier.js';
import type { PartitionLog } from './partition-log.js';
import { type Topic, TopicRegistry } from './topic-registry.js';
import { TransactionCoordinator } from './transaction-coordinator.js';

/** How often (ms of uninterrupted work) sends give the event loop a turn. */
const YIELD_EVERY_MS = 4;

/**
 * The state one `EmbeddedBroker` shares with every transport bound to it:
 * topics, groups and transactions. Internal; users hold the broker.
 */
export class BrokerCore {
  readonly topics = new TopicRegistry();
  readonly groups: GroupCoordinator;
  readonly txns: TransactionCoordinator;
  /** The broker keeps everything in memory, so its log is new with every broker. */
  readonly clusterId = `embedded-${randomUUID()}`;
  #lastYield = performance.now();

  constructor(readonly compactionThreshold: number) {
    this.groups = new GroupCoordinator((t) => this.topics.get(t)?.partitions.length);
    this.txns = new TransactionCoordinator(this.groups);
    this.topics.onChange = (names, change) => this.groups.topicsChanged(names, change);
  }

  /**
   * Cleanup after appends: expiry by `retention.ms` when configured, and
   * compaction of a compacted topic once its dirty part has grown enough.
   */
  cleanUp(topic: Topic, log: PartitionLog, now: number): void {
    if (topic.retentionMs !== undefined) log.expireBefore(now - topic.retentionMs);
    if (topic.compacted && log.needsCompaction(this.compactionThreshold)) log.compact(now, topic.deleteRetentionMs);
  }

  /**
   * Gives the event loop a turn if the broker has worked for a while without
   * one. Cheaper than yielding on every send, and still bounds how long a tight
   * produce loop can hold timers and I/O back.
   */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#lastYield < YIELD_EVERY_MS) return;
    await this.yieldNow();
  }

  async yieldNow(): Promise<void> {
    await yieldToEventLoop();
    this.#lastYield = performance.now();
  }

  dispose(): void {
    this.groups.dispose();
    this.txns.dispose();
  }
}
