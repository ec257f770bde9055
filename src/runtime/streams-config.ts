import { ConfigError } from '../errors.js';
import { checkKafkaConnection, type CheckedKafkaConnection, type KafkaConnectionConfig } from '../transport/kafka-connection.js';
import { checkKafkaClient, type KafkaClient } from '../transport/kafka-client.js';
import { jsonSerde } from '../serde/json-serde.js';
import type { Serde } from '../serde/serde.js';
import { stringSerde } from '../serde/string-serde.js';
import type { ErrorHandling, ProductionErrorHandler } from './error-handling.js';
import { parseHostInfo } from './streams-metadata.js';

/** Configuration of a `KafkaStreams` instance (Kafka Streams' `StreamsConfig`, camelCased). */
export interface StreamsConfig {
  /** Names the consumer group, internal topics and the state directory. Required. */
  readonly applicationId: string;
  /** Kafka bootstrap servers; none means the in-process embedded broker. */
  readonly brokers?: readonly string[];
  /** How to reach `brokers` beyond their addresses: TLS, SASL, timeouts (see "Secured clusters" in the README). Default: plaintext. */
  readonly kafka?: KafkaConnectionConfig;
  /**
   * The Kafka client library behind the transport when `brokers` are set:
   * `'platformatic'` (@platformatic/kafka) or `'kafkajs'` (kafkajs 2.2.4). Default: the
   * environment variable `RIVULET_KAFKA_CLIENT` if set, else `DEFAULT_KAFKA_CLIENT`
   * (src/transport/create-transport.ts).
   */
  readonly kafkaClient?: KafkaClient;
  /** Where persistent stores live: `<stateDir>/<applicationId>/<taskId>/`. Default `./.rivulet-state`. */
  readonly stateDir?: string;
  /** How often offsets are committed and stores flushed, ms. Default 1000 (Kafka Streams: 30000; 100 with EOS). */
  readonly commitIntervalMs?: number;
  readonly processingGuarantee?: 'at_least_once' | 'exactly_once';
  /** Serdes used where the topology gives none. Defaults: string keys, JSON values. */
  readonly defaultKeySerde?: Serde<unknown>;
  readonly defaultValueSerde?: Serde<unknown>;
  readonly deserializationErrorHandling?: ErrorHandling;
  readonly processingErrorHandling?: ErrorHandling;
  /**
   * What to do with an output record the broker would refuse (larger than
   * Kafka's 1 MiB `max.request.size` with its framing): as the other handlings, or a function deciding per
   * record (Kafka Streams' `ProductionExceptionHandler`; its CONTINUE is `'skip'`).
   * Default `'dead-letter'`: a cut copy goes to the dead-letter topic.
   */
  readonly productionErrorHandling?: ErrorHandling | ProductionErrorHandler;
  /**
   * Records stamped further ahead of wall-clock time than this are invalid: they
   * go to the deserialization error handling (dead-letter by default) instead of
   * moving stream time, which would close every open window and drop the good
   * records after them as late. Default 86 400 000 (one day); `Infinity` turns
   * the check off. The test driver checks only when this is set, against its
   * simulated wall clock.
   */
  readonly maxTimestampAheadMs?: number;
  /** Topic that receives records dropped as late; none by default (they are counted and logged at warn, at most once per 10 s per task). */
  readonly lateRecordsTopic?: string;
  /**
   * A member that does not poll for this long is removed from the group and its
   * tasks move (Kafka's `session.timeout.ms`). Default: the transport's (30 000).
   */
  readonly sessionTimeoutMs?: number;
  /**
   * Exactly-once only: the broker aborts a transaction left open this long, so a
   * crashed instance's open transaction stops blocking read_committed readers
   * and restores. Default 10 000 (Kafka Streams' `transaction.timeout.ms` under EOS).
   */
  readonly transactionTimeoutMs?: number;
  /**
   * How long the instance keeps retrying while the broker fails with retriable
   * errors (unreachable, leader moving, request timeouts) before it goes to
   * ERROR (Kafka Streams' `task.timeout.ms`). Default 300 000.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Records fetched per poll at most. Default 10 000. Also bounds buffering: a
   * partition whose task holds this many unprocessed records is paused until
   * its task has processed half of them.
   */
  readonly maxPollRecords?: number;
  /**
   * How long a task whose input partitions are caught up but some of them empty
   * waits for new records there before it processes the others (Kafka Streams'
   * `max.task.idle.ms`), so records of several partitions are processed in
   * timestamp order. Records already on the broker are always waited for; -1
   * waits for nothing. Default 0.
   */
  readonly maxTaskIdleMs?: number;
  /** Partitions of internal topics when no source topic tells. Default 1. */
  readonly defaultPartitions?: number;
  readonly logger?: Logger;
  /**
   * `host:port` where this instance answers interactive queries (Kafka Streams'
   * `application.server`). rivulet serves nothing there: it tells the other
   * instances, whose `queryMetadataForKey` and `metadataForAllStreamsClients`
   * then name this endpoint for the keys and stores it holds.
   */
  readonly applicationServer?: string;
  /**
   * Copies of each stateful task kept warm on other instances (Kafka Streams'
   * `num.standby.replicas`). A standby follows the task's changelogs into its
   * own local stores, so the instance that takes the task over on a failure
   * restores only the tail. Default 0.
   */
  readonly numStandbyReplicas?: number;
}

/** Leveled, structured logging; the default writes JSON lines to stderr for warn and error. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type ResolvedConfig = Required<Omit<StreamsConfig, 'brokers' | 'kafka' | 'kafkaClient' | 'lateRecordsTopic' | 'sessionTimeoutMs' | 'applicationServer'>> & {
  readonly applicationServer: string | undefined;
  readonly brokers: readonly string[] | undefined;
  /** As configured; the transport factory applies the environment and the default. */
  readonly kafkaClient: KafkaClient | undefined;
  readonly kafka: CheckedKafkaConnection;
  readonly lateRecordsTopic: string | undefined;
  readonly sessionTimeoutMs: number | undefined;
};

function stderrLogger(minLevel: 'debug' | 'info' | 'warn' | 'error'): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const log = (level: keyof typeof order) => (message: string, fields?: Record<string, unknown>) => {
    if (order[level] < order[minLevel]) return;
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function taskIdle(v: number | undefined): number {
  const x = v ?? 0;
  if (!Number.isInteger(x) || x < -1) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: maxTaskIdleMs must be a whole number of ms >= 0, or -1 to never wait for empty partitions (got ${String(v)})`);
  }
  return x;
}

const APP_ID = /^[A-Za-z0-9._-]+$/;

/** Applies defaults and checks every value, naming the bad one. */
export function resolveConfig(c: StreamsConfig): ResolvedConfig {
  if (c.applicationId === undefined || c.applicationId === null) {
    throw new ConfigError('RIVULET_CONFIG_MISSING', `KafkaStreams: applicationId is missing; pass { applicationId: 'my-app' } (letters, digits, '.', '_' or '-'): it names the consumer group, the internal topics and the state directory`);
  }
  if (typeof c.applicationId !== 'string' || !APP_ID.test(c.applicationId)) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_APPLICATION_ID', `KafkaStreams: applicationId must be letters, digits, '.', '_' or '-' (got ${JSON.stringify(c.applicationId)}); it names the consumer group and internal topics`);
  }
  const positive = (what: string, v: number | undefined, dflt: number): number => {
    const x = v ?? dflt;
    if (!Number.isInteger(x) || x <= 0) throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: ${what} must be a whole number > 0 (got ${String(v)})`);
    return x;
  };
  const handling = (what: string, v: ErrorHandling | undefined, dflt: ErrorHandling): ErrorHandling => {
    const x = v ?? dflt;
    if (x !== 'fail' && x !== 'skip' && x !== 'dead-letter') throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: ${what} must be 'fail', 'skip' or 'dead-letter' (got ${JSON.stringify(v)})`);
    return x;
  };
  const production = c.productionErrorHandling ?? 'dead-letter';
  if (typeof production !== 'function') handling('productionErrorHandling', production, 'dead-letter');
  const ahead = c.maxTimestampAheadMs ?? 86_400_000;
  if (typeof ahead !== 'number' || Number.isNaN(ahead) || ahead <= 0) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: maxTimestampAheadMs must be a number of ms > 0, or Infinity to turn the check off (got ${String(c.maxTimestampAheadMs)})`);
  }
  const guarantee = c.processingGuarantee ?? 'at_least_once';
  if (guarantee !== 'at_least_once' && guarantee !== 'exactly_once') {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: processingGuarantee must be 'at_least_once' or 'exactly_once' (got ${JSON.stringify(c.processingGuarantee)})`);
  }
  const kafka = checkKafkaConnection('KafkaStreams: kafka', c.kafka, (message) => {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', message);
  });
  // Without brokers the embedded broker runs, which has no TLS or SASL: credentials set for a cluster that is not used are a mistake.
  if ((kafka.ssl !== false || kafka.sasl !== undefined) && (c.brokers === undefined || c.brokers.length === 0)) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', 'KafkaStreams: kafka.ssl or kafka.sasl is set but brokers is not; set brokers to the cluster\'s bootstrap servers (without brokers the in-process embedded broker runs, which needs neither)');
  }
  if (c.applicationServer !== undefined && (typeof c.applicationServer !== 'string' || parseHostInfo(c.applicationServer) === undefined)) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: applicationServer must be 'host:port' with a port in 1..65535 (got ${JSON.stringify(c.applicationServer)})`);
  }
  const standbys = c.numStandbyReplicas ?? 0;
  if (!Number.isInteger(standbys) || standbys < 0) {
    throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', `KafkaStreams: numStandbyReplicas must be a whole number >= 0 (got ${String(c.numStandbyReplicas)})`);
  }
  return {
    applicationId: c.applicationId,
    applicationServer: c.applicationServer,
    numStandbyReplicas: standbys,
    brokers: c.brokers,
    kafka,
    kafkaClient: c.kafkaClient === undefined ? undefined : checkKafkaClient('KafkaStreams: kafkaClient', c.kafkaClient, (message) => {
      throw new ConfigError('RIVULET_CONFIG_INVALID_VALUE', message);
    }),
    stateDir: c.stateDir ?? './.rivulet-state',
    commitIntervalMs: positive('commitIntervalMs', c.commitIntervalMs, 1000),
    processingGuarantee: guarantee,
    defaultKeySerde: c.defaultKeySerde ?? (stringSerde() as Serde<unknown>),
    defaultValueSerde: c.defaultValueSerde ?? jsonSerde(),
    deserializationErrorHandling: handling('deserializationErrorHandling', c.deserializationErrorHandling, 'dead-letter'),
    processingErrorHandling: handling('processingErrorHandling', c.processingErrorHandling, 'dead-letter'),
    productionErrorHandling: production,
    maxTimestampAheadMs: ahead,
    lateRecordsTopic: c.lateRecordsTopic,
    sessionTimeoutMs: c.sessionTimeoutMs === undefined ? undefined : positive('sessionTimeoutMs', c.sessionTimeoutMs, 30_000),
    transactionTimeoutMs: positive('transactionTimeoutMs', c.transactionTimeoutMs, 10_000),
    taskTimeoutMs: positive('taskTimeoutMs', c.taskTimeoutMs, 300_000),
    maxPollRecords: positive('maxPollRecords', c.maxPollRecords, 10_000),
    maxTaskIdleMs: taskIdle(c.maxTaskIdleMs),
    defaultPartitions: positive('defaultPartitions', c.defaultPartitions, 1),
    logger: c.logger ?? stderrLogger('warn'),
  };
}
