export type {
  CommittedOffset,
  ConsumerGenerationInfo,
  ConsumerOptions,
  ConsumerRecord,
  GroupAssignor,
  GroupConsumer,
  GroupMemberAssignment,
  GroupSubscription,
  IsolationLevel,
  ListOffsetsOptions,
  NewTopic,
  PartitionOffsets,
  PollOptions,
  Producer,
  ProducerOptions,
  ProducerRecord,
  Reader,
  ReaderOptions,
  RebalanceListener,
  RecordHeaders,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
  Transport,
} from './transport.js';
export { TransportErrorCode, type TransportErrorCodeValue } from './transport-error-codes.js';
export { DefaultPartitioner, murmur2, partitionForKey, toPositive } from './partitioner.js';
export { rangeAssign, rangeAssignor, type AssignorMember } from './assignor.js';
export {
  EmbeddedBroker,
  type EmbeddedBrokerOptions,
  type EmbeddedGroupDescription,
  type EmbeddedTopicOptions,
  type EmbeddedTopicDescription,
} from './embedded/embedded-broker.js';
export type { EmbeddedTransport } from './embedded/embedded-transport.js';
