import type { ProcessorSupplier } from '../processors/processor.js';
import type { Serde } from '../serde/serde.js';
import type { TimestampExtractor } from './timestamp-extractor.js';

/** Chooses the output topic per record (Kafka Streams' `TopicNameExtractor`). */
export type TopicNameExtractor<K = unknown, V = unknown> = (key: K, value: V, context: { readonly topic?: string; readonly partition: number }) => string;

/** Chooses the output partition per record; `undefined` uses the default murmur2 partitioner. */
export type StreamPartitioner<K = unknown, V = unknown> = (topic: string, key: K, value: V, numPartitions: number) => number | undefined;

/** Node kinds. The describe writer and the task builder handle every kind. */
export type NodeKind = 'source' | 'processor' | 'sink';

interface NodeBase {
  readonly kind: NodeKind;
  readonly name: string;
}

/** Reads topics into the graph. */
export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly topics: readonly string[];
  /** Internal topics (repartition) are named without the application id; the runtime prefixes it. */
  readonly internal: boolean;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
}

/** Runs a processor. */
export interface ProcessorNode extends NodeBase {
  readonly kind: 'processor';
  readonly supplier: ProcessorSupplier;
  readonly parents: readonly string[];
  readonly stores: readonly string[];
}

/** Writes records to a topic. */
export interface SinkNode extends NodeBase {
  readonly kind: 'sink';
  readonly topic: string | TopicNameExtractor;
  readonly internal: boolean;
  readonly parents: readonly string[];
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly partitioner: StreamPartitioner | undefined;
  /** Internal topics: the partition count to create it with (default: the inputs' largest). */
  readonly partitions?: number;
  /** Internal topics: as many partitions as the topics feeding this node (to be co-partitioned with them). */
  readonly partitionsFrom?: string;
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/** Fails to compile when a new node kind is not handled. */
export function assertNever(x: never): never {
  throw new Error(`unhandled topology node ${JSON.stringify(x)}`);
}
