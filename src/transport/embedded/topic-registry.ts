import type { NewTopic } from '../transport.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';
import { PartitionLog } from './partition-log.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../record-size.js';

/** Kafka's default `delete.retention.ms`. */
const DEFAULT_DELETE_RETENTION_MS = 86_400_000;
const LEGAL_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** A topic of the embedded broker. */
export class Topic {
  readonly partitions: readonly PartitionLog[];
  readonly compacted: boolean;
  readonly deleteRetentionMs: number;
  /** `retention.ms` when the policy includes `delete` and a limit was configured; unlimited otherwise. */
  readonly retentionMs: number | undefined;
  /** The largest record batch the topic accepts (`max.message.bytes`, Kafka's default unless configured). */
  readonly maxMessageBytes: number;

  constructor(
    readonly name: string,
    partitionCount: number,
    readonly config: Readonly<Record<string, string>>,
  ) {
    this.partitions = Array.from({ length: partitionCount }, (_, p) => new PartitionLog(name, p));
    const policies = (config['cleanup.policy'] ?? 'delete').split(',').map((s) => s.trim());
    this.compacted = policies.includes('compact');
    this.deleteRetentionMs = Number(config['delete.retention.ms'] ?? DEFAULT_DELETE_RETENTION_MS);
    // Unlike Kafka (7 days by default) nothing expires unless asked: an in-memory broker used by
    // tests must not drop records whose producers gave them old timestamps.
    const retention = Number(config['retention.ms'] ?? -1);
    this.retentionMs = policies.includes('delete') && retention >= 0 ? retention : undefined;
    this.maxMessageBytes = Number(config['max.message.bytes'] ?? DEFAULT_MAX_MESSAGE_BYTES);
  }
}

/** Topic names → topics, with validation as strict as Kafka's so tests catch names Kafka would refuse. */
export class TopicRegistry {
  readonly #topics = new Map<string, Topic>();
  /** Called after topics are created or deleted, so groups subscribed to them rebalance. */
  onChange: (names: readonly string[], change: 'created' | 'deleted') => void = () => {};

  get(name: string): Topic | undefined {
    return this.#topics.get(name);
  }

  names(): string[] {
    return [...this.#topics.keys()].sort();
  }

  /** Validates every spec before creating any, so a bad one leaves nothing half-done. */
  create(specs: readonly NewTopic[]): void {
    for (const spec of specs) validateSpec(spec);
    const created: string[] = [];
    for (const spec of specs) {
      if (this.#topics.has(spec.topic)) continue;
      this.#topics.set(spec.topic, new Topic(spec.topic, spec.partitions, { ...spec.config }));
      created.push(spec.topic);
    }
    if (created.length > 0) this.onChange(created, 'created');
  }

  delete(names: readonly string[]): void {
    const deleted = names.filter((n) => this.#topics.delete(n));
    if (deleted.length === 0) return;
    this.onChange(deleted, 'deleted');
  }

  /** The topic, or the error Kafka gives for a missing one. */
  require(api: string, name: string): Topic {
    const topic = this.#topics.get(name);
    if (topic === undefined) {
      throw transportError(
        TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${api}: topic must exist (got '${name}'); create it with createTopics first`,
      );
    }
    return topic;
  }

  /** The partition's log, or the error Kafka gives for a missing one. */
  requirePartition(api: string, name: string, partition: number): PartitionLog {
    const topic = this.require(api, name);
    const log = topic.partitions[partition];
    if (log === undefined) {
      throw transportError(
        TransportErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `${api}: partition must be an integer in [0, ${topic.partitions.length - 1}] for topic '${name}' (got ${partition})`,
      );
    }
    return log;
  }
}

function validateSpec(spec: NewTopic): void {
  if (typeof spec.topic !== 'string' || !LEGAL_NAME.test(spec.topic) || spec.topic === '.' || spec.topic === '..') {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: topic must be 1-249 characters of [a-zA-Z0-9._-] and not '.' or '..' (got '${String(spec.topic)}')`,
    );
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: partitions must be an integer >= 1 (got ${String(spec.partitions)} for '${spec.topic}')`,
    );
  }
  const retention = spec.config?.['delete.retention.ms'];
  if (retention !== undefined && !(Number(retention) >= 0)) {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: delete.retention.ms must be a number of milliseconds >= 0 (got '${retention}' for '${spec.topic}')`,
    );
  }
  const retentionMs = spec.config?.['retention.ms'];
  if (retentionMs !== undefined && !(Number(retentionMs) >= -1)) {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: retention.ms must be a number of milliseconds >= 0, or -1 for unlimited (got '${retentionMs}' for '${spec.topic}')`,
    );
  }
  const maxMessage = spec.config?.['max.message.bytes'];
  if (maxMessage !== undefined && !(Number.isInteger(Number(maxMessage)) && Number(maxMessage) >= 0)) {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: max.message.bytes must be a whole number of bytes >= 0 (got '${maxMessage}' for '${spec.topic}')`,
    );
  }
  const policy = spec.config?.['cleanup.policy'];
  if (policy !== undefined && !policy.split(',').every((s) => s.trim() === 'compact' || s.trim() === 'delete')) {
    throw transportError(
      TransportErrorCode.INVALID_ARGUMENT,
      `createTopics: cleanup.policy must be 'delete', 'compact' or 'compact,delete' (got '${policy}' for '${spec.topic}')`,
    );
  }
}
