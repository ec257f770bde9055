/**
 * Which Kafka client library a transport to real Kafka runs on.
 * @module
 */

/** The Kafka client libraries rivulet has a transport for. */
export type KafkaClient = 'platformatic' | 'kafkajs';

/** Every {@link KafkaClient}. */
export const KAFKA_CLIENTS: readonly KafkaClient[] = ['platformatic', 'kafkajs'];

/** Checks a configured client name, failing through `fail` with a message naming the choices. */
export function checkKafkaClient(where: string, v: unknown, fail: (message: string) => never): KafkaClient {
  if (typeof v !== 'string' || !(KAFKA_CLIENTS as readonly string[]).includes(v)) {
    fail(`${where} must be ${KAFKA_CLIENTS.map((c) => `'${c}'`).join(' or ')} (got ${JSON.stringify(v)})`);
  }
  return v as KafkaClient;
}
