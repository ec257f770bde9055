import { assertNever, type TopologyNode } from './topology-node.js';
import type { Topology } from './topology.js';

/** A topology's shape, printable as Kafka Streams prints `Topology.describe()`. */
export interface TopologyDescription {
  /** Kafka Streams' text format. */
  toString(): string;
  /** A Mermaid flowchart: sub-topologies as subgraphs, topics as stadium shapes, stores as cylinders. */
  toMermaid(): string;
}

function topicLabel(n: TopologyNode): string {
  switch (n.kind) {
    case 'source':
      return `Source: ${n.name} (topics: [${n.topics.join(', ')}])`;
    case 'processor':
      return `Processor: ${n.name} (stores: [${n.stores.join(', ')}])`;
    case 'sink':
      return `Sink: ${n.name} (${typeof n.topic === 'string' ? `topic: ${n.topic}` : 'extractor class: TopicNameExtractor'})`;
    default:
      return assertNever(n);
  }
}

const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

export function describeTopology(topology: Topology): TopologyDescription {
  const subs = topology.subTopologies();
  // Byte for byte Kafka Streams' format: "Topologies:\n " then "  Sub-topology: <id>\n" and its
  // nodes, each sub-topology followed by an empty line; sinks have no successors line.
  const text = (): string => {
    let out = 'Topologies:\n ';
    for (const sub of subs) {
      out += `  Sub-topology: ${sub.id}\n`;
      for (const n of sub.nodes) {
        out += `    ${topicLabel(n)}\n`;
        if (n.kind !== 'sink') {
          const children = topology.children(n.name);
          out += `      --> ${children.length === 0 ? 'none' : children.join(', ')}\n`;
        }
        if (n.kind !== 'source') out += `      <-- ${n.parents.join(', ')}\n`;
      }
      out += '\n';
    }
    topology.globalStores().forEach((g, i) => {
      out += `  Sub-topology: ${subs.length + i} for global store (will not generate tasks)\n`;
      out += `    Source: ${g.sourceName} (topics: [${g.topic}])\n      --> ${g.processorName}\n`;
      out += `    Processor: ${g.processorName} (stores: [${g.store.name}])\n      --> none\n      <-- ${g.sourceName}\n\n`;
    });
    topology.staticGlobalStores().forEach((g, i) => {
      out += `  Sub-topology: ${subs.length + topology.globalStores().length + i} for global store (will not generate tasks)\n`;
      out += `    Static rows: ${g.store.name}\n\n`;
    });
    return out;
  };
  const mermaid = (): string => {
    const lines = ['flowchart TD'];
    const topics = new Set<string>();
    for (const sub of subs) {
      lines.push(`  subgraph sub${sub.id}["Sub-topology ${sub.id}"]`);
      for (const n of sub.nodes) {
        const shape = n.kind === 'processor' ? `["${n.name}"]` : `(["${n.name}"])`;
        lines.push(`    ${mermaidId(n.name)}${shape}`);
      }
      lines.push('  end');
      for (const n of sub.nodes) {
        if (n.kind === 'source') {
          for (const t of n.topics) {
            topics.add(t);
            lines.push(`  topic_${mermaidId(t)} --> ${mermaidId(n.name)}`);
          }
        } else {
          for (const p of n.parents) lines.push(`  ${mermaidId(p)} --> ${mermaidId(n.name)}`);
          if (n.kind === 'sink' && typeof n.topic === 'string') {
            topics.add(n.topic);
            lines.push(`  ${mermaidId(n.name)} --> topic_${mermaidId(n.topic)}`);
          }
          if (n.kind === 'processor') {
            for (const s of n.stores) lines.push(`  ${mermaidId(n.name)} -.- store_${mermaidId(s)}[("${s}")]`);
          }
        }
      }
    }
    topology.globalStores().forEach((g, i) => {
      lines.push(`  subgraph global${i}["Global store ${g.store.name}"]`);
      lines.push(`    ${mermaidId(g.sourceName)}(["${g.sourceName}"])`, `    ${mermaidId(g.processorName)}["${g.processorName}"]`, '  end');
      topics.add(g.topic);
      lines.push(`  topic_${mermaidId(g.topic)} --> ${mermaidId(g.sourceName)}`, `  ${mermaidId(g.sourceName)} --> ${mermaidId(g.processorName)}`);
      lines.push(`  ${mermaidId(g.processorName)} -.- store_${mermaidId(g.store.name)}[("${g.store.name}")]`);
    });
    for (const t of topics) lines.push(`  topic_${mermaidId(t)}{{"${t}"}}`);
    return `${lines.join('\n')}\n`;
  };
  return { toString: text, toMermaid: mermaid };
}
