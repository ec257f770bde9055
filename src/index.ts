/**
 * rivulet — a Kafka Streams-style stream processor for Node.js.
 * Everything public is exported here; other modules are internal.
 */
export { StreamsBuilder } from './dsl/streams-builder.js';
export type { KStream, BranchedKStream, Branched, ProcessOptions } from './dsl/kstream.js';
export type { KTable } from './dsl/ktable.js';
export type { GlobalKTable } from './dsl/global-ktable.js';
export type { KGroupedStream } from './dsl/kgrouped-stream.js';
export type { KGroupedTable } from './dsl/kgrouped-table.js';
export type { TimeWindowedKStream, StatsOptions, AnomalyOptions } from './dsl/time-windowed-kstream.js';
export type { SessionWindowedKStream } from './dsl/session-windowed-kstream.js';
export { TimeWindows, SlidingWindows, SessionWindows, JoinWindows, type Window, type Windowed, type EmitStrategy } from './dsl/windows.js';
export { BufferConfig, Suppressed, type BufferConfigBuilder, type BufferFullStrategy } from './dsl/suppressed.js';
export type { Duration } from './dsl/duration.js';
export type { Consumed, Produced, Grouped, Repartitioned, Materialized, Named, StreamJoined, DedupeOptions, AsyncOptions } from './dsl/options.js';
export type { AsyncCallContext } from './processors/async-map.js';
export type { BatchInfo, BatchRow } from './processors/foreach-batch.js';

export type { Processor, ProcessorContext, ProcessorSupplier, PunctuationType, Cancellable } from './processors/processor.js';
export type { StreamRecord, RecordHeaders, RecordMetadata } from './processors/stream-record.js';
export type { KeyValue } from './processors/map.js';
export type { Change } from './processors/change.js';
export type { WindowStatistics, Anomaly } from './processors/window-stats.js';

export { Topology, type SubTopology, type SourceOptions, type SinkOptions } from './topology/topology.js';
export type { TopologyDescription } from './topology/topology-description.js';
export type { StoreDefinition, StoreType } from './topology/store-definition.js';
export type { TopicNameExtractor, StreamPartitioner } from './topology/topology-node.js';
export type { TimestampExtractor, ExtractableRecord } from './topology/timestamp-extractor.js';

export { KafkaStreams, defaultEmbeddedBroker, type KafkaStreamsState, type KafkaStreamsOptions } from './runtime/kafka-streams.js';
export type { StreamsConfig, Logger } from './runtime/streams-config.js';
export { KeyQueryMetadata, type HostInfo, type StreamsMetadata, type TaskMetadata, type ThreadMetadata } from './runtime/streams-metadata.js';
export { StreamThreadExceptionResponse, type StreamsUncaughtExceptionHandler } from './runtime/uncaught-exception-handler.js';
export type { ErrorHandling, ProductionErrorHandler, ProductionFailure } from './runtime/error-handling.js';
export { DLQ_HEADERS, DLQ_MAX_RECORD_BYTES, deadLetterTopic } from './runtime/error-handling.js';
export type { TaskMetrics } from './metrics/task-metrics.js';
export type { InstanceMetrics, PartitionLag, RestoreProgress, MetricsSource } from './metrics/instance-metrics.js';

export type {
  KeyValueStore,
  ReadOnlyKeyValueStore,
  WindowStore,
  ReadOnlyWindowStore,
  SessionStore,
  ReadOnlySessionStore,
  KeyValueEntry,
  WindowEntry,
  SessionEntry,
} from './state/store-api.js';
export { QueryableStoreTypes, type QueryableStoreType } from './state/queryable-store-types.js';

export { Serdes } from './serde/serdes.js';
export type { Serde } from './serde/serde.js';
export type { JsonSerdeOptions, JsonValidator } from './serde/json-serde.js';
export type { MsgpackSerdeOptions } from './serde/msgpack-serde.js';

export { TopologyTestDriver, type TestDriverConfig } from './testing/topology-test-driver.js';
export { TestInputTopic, type TestRecord } from './testing/test-input-topic.js';
export { TestOutputTopic, type TestOutputRecord } from './testing/test-output-topic.js';

export { EmbeddedBroker, type EmbeddedBrokerOptions, type EmbeddedTopicOptions } from './transport/embedded/embedded-broker.js';
export { TypedProducer, type TypedProducerRecord, type TypedClientSerdes } from './transport/typed-producer.js';
export { TypedConsumer, type TypedConsumerRecord, type TypedConsumerOptions } from './transport/typed-consumer.js';
export type { Transport } from './transport/transport.js';
export type { KafkaClient } from './transport/kafka-client.js';
export type {
  KafkaConnectionConfig,
  KafkaSslConfig,
  KafkaSaslConfig,
  KafkaSaslPasswordConfig,
  KafkaSaslPasswordMechanism,
  KafkaSaslOAuthBearerConfig,
  Pem,
} from './transport/kafka-connection.js';

export { RivuletError, ConfigError, TopologyError, StateError, SerdeError, TransportError, KernelError, TaskFailure } from './errors.js';
export { prometheusText, serveMetrics } from './metrics/prometheus.js';
export { formatProgress, formatRestoreProgress, type Progress } from './runtime/progress.js';
