import { ConfigError } from '../errors.js';
import { EmbeddedBroker } from './embedded/embedded-broker.js';
import { checkKafkaClient, type KafkaClient } from './kafka-client.js';
import { connectionSettings, type CheckedKafkaConnection, type KafkaConnectionConfig } from './kafka-connection.js';
import type { Transport } from './transport.js';

/**
 * The client a transport to Kafka runs on when neither `StreamsConfig.kafkaClient`
 * nor `RIVULET_KAFKA_CLIENT` chooses one: @platformatic/kafka, the one that passes
 * every integration test (kafkajs lost acknowledged records in the 3-node leader-kill
 * test) and needs none of a client's private files or prototypes.
 */
export const DEFAULT_KAFKA_CLIENT: KafkaClient = 'platformatic';

/** The environment variable that picks the Kafka client of every instance that does not configure one. */
export const KAFKA_CLIENT_ENV = 'RIVULET_KAFKA_CLIENT';

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
  /** The Kafka client library (`StreamsConfig.kafkaClient`); undefined: {@link kafkaClient}'s choice. */
  readonly kafkaClient?: KafkaClient | undefined;
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
 * The Kafka client to use: the configured one, else `RIVULET_KAFKA_CLIENT`
 * (the one place the environment is read, so a whole test suite or a
 * deployment can switch), else {@link DEFAULT_KAFKA_CLIENT}.
 */
export function kafkaClient(configured?: KafkaClient): KafkaClient {
  if (configured !== undefined) return configured;
  const env = process.env[KAFKA_CLIENT_ENV];
  if (env === undefined || env === '') return DEFAULT_KAFKA_CLIENT;
  return checkKafkaClient(KAFKA_CLIENT_ENV, env, (message) => {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', message);
  });
}

/** Settings of {@link createBrokerTransport}. */
export type BrokerTransportConfig = KafkaConnectionConfig & {
  readonly brokers: readonly string[];
  readonly clientId?: string;
};

/** A transport to Kafka on `client` (default: {@link kafkaClient}'s choice); loaded on demand so embedded-only services load neither library. */
export async function createBrokerTransport(config: BrokerTransportConfig, client?: KafkaClient): Promise<Transport> {
  if (kafkaClient(client) === 'platformatic') {
    const { createPlatformaticTransport } = await import('./platformatic/platformatic-transport.js');
    return createPlatformaticTransport(config);
  }
  const { createKafkaTransport } = await import('./kafkajs/kafkajs-transport.js');
  return createKafkaTransport(config);
}

/**
 * The one place that picks a transport implementation: Kafka (through the
 * chosen client library) when brokers are configured, the embedded in-process
 * broker otherwise.
 */
export async function createTransport(config: TransportConfig, target: TransportTarget): Promise<Transport> {
  if (config.brokers !== undefined && config.brokers.length > 0) {
    return createBrokerTransport({ brokers: config.brokers, clientId: `${config.applicationId}-${target.instanceId.slice(0, 8)}`, ...connectionSettings(config.kafka) }, config.kafkaClient);
  }
  return (target.embeddedBroker ?? defaultEmbeddedBroker()).transport({ clientId: `${config.applicationId}-${target.instanceId}` });
}
