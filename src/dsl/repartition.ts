import type { Serde } from '../serde/serde.js';
import type { StreamPartitioner } from '../topology/topology-node.js';
import { internalSerde, type StreamHandle } from './builder-context.js';

/**
 * Routes a stream through the internal topic `<name>-repartition` (the runtime
 * prefixes the application id) so records are partitioned by their current
 * key; the part after it becomes a new sub-topology.
 */
export function throughRepartitionTopic(
  h: StreamHandle,
  name: string,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
  partitioner?: StreamPartitioner,
  partitions?: number,
  partitionsFrom?: string,
): StreamHandle {
  const ks = keySerde ?? h.keySerde ?? internalSerde;
  const vs = valueSerde ?? h.valueSerde ?? internalSerde;
  const topic = `${name}-repartition`;
  const sink = `${name}-repartition-sink`;
  const source = `${name}-repartition-source`;
  h.ctx.topology.addSink(
    sink,
    topic,
    { keySerde: ks, valueSerde: vs, internal: true, ...(partitioner === undefined ? {} : { partitioner }), ...(partitions === undefined ? {} : { partitions }), ...(partitionsFrom === undefined ? {} : { partitionsFrom }) },
    h.node,
  );
  h.ctx.topology.addSource(source, [topic], { keySerde: ks, valueSerde: vs, internal: true });
  return { ctx: h.ctx, node: source, keySerde: ks, valueSerde: vs, repartitionRequired: false };
}

/** Repartitions only when the key changed since the source. */
export function repartitionIfRequired(h: StreamHandle, name: string, keySerde: Serde<unknown> | undefined, valueSerde: Serde<unknown> | undefined): StreamHandle {
  return h.repartitionRequired ? throughRepartitionTopic(h, name, keySerde, valueSerde) : h;
}
