import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TransportError } from '../../../src/errors.js';
import { createKafkaTransport } from '../../../src/transport/kafkajs/kafkajs-transport.js';
import { TransportErrorCode } from '../../../src/transport/transport-error-codes.js';

/**
 * A kafkajs client from another kafkajs copy or version: rivulet's fencing
 * hooks patch its own kafkajs's Broker, so they would not engage for it.
 */
function foreignKafka(): { kafka: Kafka; producers: unknown[] } {
  const producers: unknown[] = [];
  const kafka = {
    admin: () => ({ connect: async () => undefined, disconnect: async () => undefined }),
    producer: (options: unknown) => {
      producers.push(options);
      return { connect: async () => undefined, disconnect: async () => undefined, transaction: async () => ({}) };
    },
  } as unknown as Kafka;
  return { kafka, producers };
}

describe('kafkajs transport with a kafkajs client of its caller', () => {
  it('refuses a transactional producer (exactly-once) with RIVULET_TRANSPORT_UNSUPPORTED_CLIENT, creating nothing', async () => {
    const { kafka, producers } = foreignKafka();
    const t = createKafkaTransport({ kafka });
    await t.connect();
    let thrown: unknown;
    try {
      await t.producer({ transactionalId: 'app-1' });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TransportError);
    expect((thrown as TransportError).code).toBe(TransportErrorCode.UNSUPPORTED_CLIENT);
    expect((thrown as TransportError).message).toMatch(/exactly-once needs the kafkajs client rivulet creates/);
    expect(producers).toEqual([]);
    await t.close();
  });

  it('still gives it an idempotent producer (at-least-once needs no hooks)', async () => {
    const { kafka, producers } = foreignKafka();
    const t = createKafkaTransport({ kafka });
    await t.connect();
    const p = await t.producer({ idempotent: true });
    expect(p.transactional).toBe(false);
    expect(producers).toHaveLength(1);
    await t.close();
  });
});
