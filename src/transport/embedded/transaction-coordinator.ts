import type { TopicPartition, TopicPartitionOffset } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import type { GroupCoordinator } from './group-coordinator.js';
import { Notifier } from './notifier.js';
import { tpKey } from '../validate.js';
import type { LogTransaction, PartitionLog, TransactionStatus } from './partition-log.js';

/** An open (then finished) transaction: the partitions it wrote and the offsets it will commit. */
export class Transaction implements LogTransaction {
  status: TransactionStatus = 'ongoing';
  readonly partitions = new Set<PartitionLog>();
  /** groupId → `topic\0partition` → offset; last write per partition wins, as in Kafka. */
  readonly offsets = new Map<string, Map<string, TopicPartitionOffset>>();
  timer: NodeJS.Timeout | undefined;
}

/** Identity of one producer instance: a newer epoch of the same transactional id fences this one. */
export interface ProducerSession {
  readonly transactionalId: string | undefined;
  readonly producerId: number;
  readonly epoch: number;
}

interface TransactionalIdEntry {
  readonly producerId: number;
  epoch: number;
  txn: Transaction | null;
  /** Why the epoch last moved, for the fenced producer's error message. */
  fencedBecause: string;
}

/**
 * Producer ids, epochs and transactions. Every state change happens in one
 * synchronous step, so a commit's markers, offsets and visibility flip
 * atomically with respect to every other client of the broker.
 */
export class TransactionCoordinator {
  #nextProducerId = 1;
  readonly #byId = new Map<string, TransactionalIdEntry>();
  /** Fires when any transaction ends: consumers waiting for pending offsets to settle re-check. */
  readonly completed = new Notifier();

  constructor(private readonly groups: GroupCoordinator) {}

  /**
   * Kafka's InitProducerId: a transactional id's new producer gets the next
   * epoch, which fences the previous producer and aborts its open transaction.
   */
  initProducer(transactionalId: string | undefined): ProducerSession {
    if (transactionalId === undefined) return { transactionalId, producerId: this.#nextProducerId++, epoch: 0 };
    let entry = this.#byId.get(transactionalId);
    if (entry === undefined) {
      entry = { producerId: this.#nextProducerId++, epoch: 0, txn: null, fencedBecause: '' };
      this.#byId.set(transactionalId, entry);
    } else {
      if (entry.txn !== null) this.#finish(entry, 'aborted');
      entry.epoch++;
      entry.fencedBecause = `a newer producer with transactionalId '${transactionalId}' was opened`;
    }
    return { transactionalId, producerId: entry.producerId, epoch: entry.epoch };
  }

  /** Throws `FENCED` unless `session` is the current producer of its transactional id. */
  check(api: string, session: ProducerSession): void {
    if (session.transactionalId === undefined) return;
    this.#entry(api, session);
  }

  /** The session's open transaction, started now if there is none (Kafka starts one on first write). */
  transaction(api: string, session: ProducerSession, timeoutMs: number): Transaction {
    const entry = this.#entry(api, session);
    if (entry.txn !== null) return entry.txn;
    const txn = new Transaction();
    entry.txn = txn;
    // The broker, not the producer, aborts a transaction left open too long, so a crashed
    // instance cannot hold back read_committed readers forever.
    txn.timer = setTimeout(() => {
      if (entry.txn !== txn) return;
      this.#finish(entry, 'aborted');
      entry.epoch++;
      entry.fencedBecause = `its transaction was open longer than transactionTimeoutMs (${timeoutMs} ms) and the broker aborted it`;
    }, timeoutMs);
    txn.timer.unref();
    return txn;
  }

  addOffsets(txn: Transaction, groupId: string, offsets: readonly TopicPartitionOffset[]): void {
    let byTp = txn.offsets.get(groupId);
    if (byTp === undefined) txn.offsets.set(groupId, (byTp = new Map()));
    for (const o of offsets) byTp.set(tpKey(o.topic, o.partition), o);
  }

  /** Commits or aborts the session's transaction (a no-op if it never wrote anything). */
  end(api: string, session: ProducerSession, outcome: 'committed' | 'aborted'): void {
    const entry = this.#entry(api, session);
    if (entry.txn !== null) this.#finish(entry, outcome);
  }

  /** Whether an open transaction will commit offsets of `groupId` for any of `partitions` (KIP-447 "unstable offsets"). */
  hasPendingOffsets(groupId: string, partitions: readonly TopicPartition[]): boolean {
    for (const entry of this.#byId.values()) {
      const byTp = entry.txn?.offsets.get(groupId);
      if (byTp === undefined) continue;
      if (partitions.some((tp) => byTp.has(tpKey(tp.topic, tp.partition)))) return true;
    }
    return false;
  }

  dispose(): void {
    for (const entry of this.#byId.values()) if (entry.txn?.timer !== undefined) clearTimeout(entry.txn.timer);
  }

  #entry(api: string, session: ProducerSession): TransactionalIdEntry {
    const entry = this.#byId.get(session.transactionalId ?? '');
    if (entry === undefined || entry.epoch !== session.epoch || entry.producerId !== session.producerId) {
      throw transportError(
        TransportErrorCode.FENCED,
        `${api}: producer with transactionalId '${session.transactionalId}' is fenced: ${entry?.fencedBecause ?? 'its id is unknown'}; ` +
          'close it and give up the tasks it produced for',
      );
    }
    return entry;
  }

  #finish(entry: TransactionalIdEntry, outcome: 'committed' | 'aborted'): void {
    const txn = entry.txn!;
    entry.txn = null;
    if (txn.timer !== undefined) clearTimeout(txn.timer);
    txn.status = outcome;
    for (const log of txn.partitions) log.endTransaction(txn);
    if (outcome === 'committed') {
      for (const [groupId, byTp] of txn.offsets) this.groups.group(groupId).commitOffsets(byTp.values());
    }
    this.completed.notify();
  }
}
