/**
 * `client-pipe` of the broker benchmark: consume → transform → produce on
 * rivulet's default client, written against the `Transport` contract only, so
 * it runs on whichever client `createTransport` picks for a broker list.
 *
 * Per input record it JSON-parses the value (the least the IoT topology's serde
 * does) and produces the same output volume as the topology: for each kind of
 * record the topology writes (outputs, repartition, changelog) as many records
 * per reading, of the same mean size, as measured from rivulet's run. Same
 * guarantee settings as rivulet: an idempotent producer and consumer commits
 * every second, or under exactly-once a transactional producer and one
 * transaction per second with the offsets in it (read_committed input).
 *
 * Pipelined as rivulet's stream thread is: the consumer fetches ahead while a
 * batch is processed, outputs go out through an {@link OutputPipeline} while
 * the next batch is polled, and the commit is the only barrier.
 */
import { createTransport } from '../src/transport/create-transport.js';
import { resolveConfig } from '../src/runtime/streams-config.js';
import { OutputPipeline } from '../src/runtime/output-pipeline.js';
import type { ConsumerRecord, GroupConsumer, Producer, ProducerRecord, TopicPartitionOffset, Transport } from '../src/transport/transport.js';

/** One kind of record the pipe writes: how many per input record, and how large. */
export interface PipeKind {
  readonly name: string;
  readonly perReading: number;
  /** Mean key + value bytes. */
  readonly bytes: number;
}

export interface PipeOptions {
  readonly brokers: readonly string[];
  readonly input: string;
  readonly output: string;
  readonly groupId: string;
  readonly exactlyOnce: boolean;
  readonly kinds: readonly PipeKind[];
  readonly commitIntervalMs?: number;
  readonly maxPollRecords?: number;
}

/** What the pipe writes per reading when no rivulet run measured it: the figures measured at 200 000 readings. */
export const DEFAULT_PIPE_KINDS: readonly PipeKind[] = [
  { name: 'outputs', perReading: 0.4065, bytes: 151 },
  { name: 'repartition', perReading: 1, bytes: 108 },
  { name: 'changelog', perReading: 0.0144, bytes: 36 },
];

/** The kind of a topic rivulet's application `applicationId` wrote: outputs (not its own), changelog, repartition, or other. */
export function topicKind(topic: string, applicationId: string): string {
  if (!topic.startsWith(`${applicationId}-`)) return 'outputs';
  return topic.endsWith('-changelog') ? 'changelog' : topic.endsWith('-repartition') ? 'repartition' : 'other';
}

/** The default client's transport for a broker list (what a KafkaStreams instance would get). */
export async function defaultTransport(brokers: readonly string[], applicationId: string): Promise<Transport> {
  const config = resolveConfig({ applicationId, brokers: [...brokers] });
  const transport = await createTransport(config, { instanceId: `pipe-${applicationId}` });
  await transport.connect();
  return transport;
}

/** Mean key + value bytes of up to `max` records from the start of each partition of `topic` (0 when empty). */
export async function meanRecordBytes(transport: Transport, topic: string, max = 2000): Promise<number> {
  const offsets = await transport.listOffsets(topic);
  const reader = await transport.reader();
  try {
    const perPartition = Math.max(1, Math.ceil(max / Math.max(1, offsets.length)));
    reader.assign(offsets.filter((o) => o.latest > o.earliest).map((o) => ({ topic, partition: o.partition, offset: o.earliest })));
    const wanted = offsets.reduce((n, o) => n + Math.min(perPartition, o.latest - o.earliest), 0);
    const seen = new Map<number, number>();
    let n = 0;
    let bytes = 0;
    const deadline = Date.now() + 30_000;
    while (n < wanted && Date.now() < deadline) {
      for (const r of await reader.poll({ maxRecords: 1000, timeoutMs: 200 })) {
        const k = seen.get(r.partition) ?? 0;
        if (k >= perPartition) continue;
        seen.set(r.partition, k + 1);
        n++;
        bytes += (r.key?.byteLength ?? 0) + (r.value?.byteLength ?? 0);
      }
    }
    return n === 0 ? 0 : bytes / n;
  } finally {
    await reader.close();
  }
}

export class ClientPipe {
  /** `performance.now()` when partitions were first assigned. */
  assignedAt: number | undefined;
  readonly stats = { polled: 0, produced: 0, commits: 0, commitMs: 0 };
  #stopping = false;
  #running: Promise<void> | undefined;
  #transport: Transport | undefined;
  #failure: unknown;

  constructor(private readonly o: PipeOptions) {}

  /** Connects and starts the loop in the background. */
  async start(): Promise<void> {
    const t = (this.#transport = await defaultTransport(this.o.brokers, this.o.groupId));
    const producer = await t.producer(this.o.exactlyOnce ? { transactionalId: `${this.o.groupId}-pipe` } : { idempotent: true });
    const consumer = await t.consumer({ groupId: this.o.groupId, isolation: this.o.exactlyOnce ? 'read_committed' : 'read_uncommitted' });
    await consumer.subscribe([this.o.input], { onPartitionsAssigned: (ps) => void (ps.length > 0 && (this.assignedAt ??= performance.now())) });
    this.#running = this.#loop(consumer, producer).catch((e: unknown) => {
      this.#failure = e;
    });
  }

  /** The loop's error, if it stopped on one. */
  failure(): unknown {
    return this.#failure;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    await this.#transport?.close();
  }

  async #loop(consumer: GroupConsumer, producer: Producer): Promise<void> {
    const { output, kinds, exactlyOnce, groupId } = this.o;
    const commitIntervalMs = this.o.commitIntervalMs ?? 1000;
    const maxRecords = this.o.maxPollRecords ?? 500;
    let inTransaction = false;
    const begin = async () => {
      if (exactlyOnce && !inTransaction) {
        await producer.beginTransaction();
        inTransaction = true;
      }
    };
    const outputs = new OutputPipeline(async (records) => {
      await begin();
      return producer.send(records);
    });
    // One shared value per kind: the contract lets the broker keep the bytes, and nothing mutates them.
    const values = kinds.map((k) => new Uint8Array(Math.max(1, Math.round(k.bytes))));
    const credit = kinds.map(() => 0);
    const next = new Map<string, TopicPartitionOffset>();
    let lastCommit = Date.now();
    let sink = 0;
    const commit = async () => {
      const started = Date.now();
      lastCommit = started;
      await outputs.flush();
      const offsets = [...next.values()];
      next.clear();
      if (exactlyOnce) {
        if (offsets.length > 0) {
          await begin();
          const generation = consumer.generation();
          if (generation === undefined) throw new Error('client-pipe: not a group member at commit');
          await producer.sendOffsets(groupId, offsets, generation);
        }
        if (inTransaction) {
          await producer.commitTransaction();
          inTransaction = false;
        }
      } else if (offsets.length > 0) await consumer.commit(offsets);
      this.stats.commits++;
      this.stats.commitMs += Date.now() - started;
    };
    while (!this.#stopping) {
      const records: ConsumerRecord[] = await consumer.poll({ maxRecords, timeoutMs: 100 });
      if (outputs.failure !== undefined) throw outputs.failure.error;
      for (const r of records) {
        // The transform: parse the reading as the topology's serde does.
        if (r.value !== null) sink += (JSON.parse(Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength).toString('utf8')) as { value: number }).value;
        for (let k = 0; k < kinds.length; k++) {
          let c = (credit[k] as number) + (kinds[k] as PipeKind).perReading;
          for (; c >= 1; c--) {
            const rec: ProducerRecord = { topic: output, key: r.key, value: values[k] as Uint8Array, timestamp: r.timestamp };
            outputs.push(rec);
            this.stats.produced++;
          }
          credit[k] = c;
        }
        next.set(`${r.topic}\u0000${r.partition}`, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
      }
      this.stats.polled += records.length;
      if (Date.now() - lastCommit >= commitIntervalMs || outputs.unacknowledged >= 50_000) await commit();
      else outputs.pump();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await commit();
    if (!Number.isFinite(sink)) throw new Error('unreachable');
  }
}
