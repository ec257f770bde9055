import type { Producer, Reader, Transport } from '../transport/transport.js';

/** The internal topic every instance of an application reads shutdown requests from. */
export function shutdownRequestsTopic(applicationId: string): string {
  return `${applicationId}-shutdown-requests`;
}

/** A request, as written to the topic (JSON). */
export interface ShutdownRequest {
  /** The instance whose handler answered `SHUTDOWN_APPLICATION`. */
  readonly instanceId: string;
  /** The error that instance's stream thread failed with. */
  readonly code: string;
  readonly reason: string;
  readonly time: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `SHUTDOWN_APPLICATION` across instances: Kafka Streams carries the request
 * in the group's rebalance protocol; the transport here has no such channel,
 * so the request is a record on an internal single-partition topic that every
 * running instance follows from where it was when it started. Requests written
 * before an instance started do not stop it: a restarted application runs.
 */
export class ShutdownRequests {
  private constructor(
    private readonly transport: Transport,
    private readonly topic: string,
    private readonly reader: Reader,
  ) {}

  /** Follows the (already created) topic from its current end. */
  static async follow(transport: Transport, applicationId: string, clientId: string): Promise<ShutdownRequests> {
    const topic = shutdownRequestsTopic(applicationId);
    const reader = await transport.reader({ clientId: `${clientId}-shutdown` });
    const offsets = await transport.listOffsets(topic);
    reader.assign(offsets.map((o) => ({ topic, partition: o.partition, offset: o.latest })));
    return new ShutdownRequests(transport, topic, reader);
  }

  /** The next request written since, if any; waits up to `timeoutMs`. Undecodable records are not requests. */
  async next(timeoutMs: number): Promise<ShutdownRequest | undefined> {
    for (const r of await this.reader.poll({ timeoutMs })) {
      if (r.value === null) continue;
      try {
        const req = JSON.parse(decoder.decode(r.value)) as Partial<ShutdownRequest>;
        if (typeof req.instanceId === 'string') return { instanceId: req.instanceId, code: String(req.code ?? ''), reason: String(req.reason ?? ''), time: Number(req.time ?? r.timestamp) };
      } catch {
        // Something else wrote to the topic; it asks for nothing.
      }
    }
    return undefined;
  }

  /** Asks every instance to shut down. */
  async request(req: ShutdownRequest, clientId: string): Promise<void> {
    let producer: Producer | undefined;
    try {
      producer = await this.transport.producer({ idempotent: true, clientId: `${clientId}-shutdown` });
      await producer.send([{ topic: this.topic, partition: 0, key: encoder.encode(req.instanceId), value: encoder.encode(JSON.stringify(req)), timestamp: req.time }]);
    } finally {
      await producer?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.reader.close().catch(() => undefined);
  }
}
