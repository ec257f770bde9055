import { EmbeddedBroker } from './embedded/embedded-broker.js';
import { connectionSettings, type CheckedKafkaConnection } from './kafka-connection.js';
import type { Transport } from './transport.js';

/**
 * What the factory reads of an instance's resolved configuration. The runtime
 * passes its whole resolved config object, so connection settings added to
 * `StreamsConfig` reach the transport by being read here, in one place.
 */
export interface TransportConfig {
  readonly applicationId: string;
  /** Kafka bootstrap servers; none (or empty) means the embedded broker. */
  readonly brokers: readonly string[] | undefined;
  /** TLS, SASL and timeouts towards Kafka, checked (`StreamsConfig.kafka`). */
  readonly kafka: CheckedKafkaConnection;
}

/** Where the instance is and what to fall back to. */
export interface TransportTarget {
  /** Names the client towards the broker (consumer and producer client ids derive from it). */
  readonly instanceId: string;
  /** The embedded broker to join when no brokers are configured; default: the process-wide one. */
  readonly embeddedBroker?: EmbeddedBroker;
}

let processBroker: EmbeddedBroker | undefined;

/** The process-wide embedded broker every instance without `brokers` shares. */
export function defaultEmbeddedBroker(): EmbeddedBroker {
  processBroker ??= new EmbeddedBroker();
  return processBroker;
}

/**
 * The one place that picks a transport implementation: Kafka (through kafkajs)
 * when brokers are configured, the embedded in-process broker otherwise.
 */
export async function createTransport(config: TransportConfig, target: TransportTarget): Promise<Transport> {
  if (config.brokers !== undefined && config.brokers.length > 0) {
    // Loaded on demand so embedded-only services never load kafkajs.
    const { createKafkaTransport } = await import('./kafkajs/kafkajs-transport.js');
    return createKafkaTransport({ brokers: config.brokers, clientId: `${config.applicationId}-${target.instanceId.slice(0, 8)}`, ...connectionSettings(config.kafka) });
  }
  return (target.embeddedBroker ?? defaultEmbeddedBroker()).transport({ clientId: `${config.applicationId}-${target.instanceId}` });
}
