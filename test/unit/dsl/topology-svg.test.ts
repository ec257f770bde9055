import { expect, it } from 'vitest';
import { buildIotTopology } from '../../../examples/iot-anomaly/topology.js';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { topologyToSvg } from '../../../src/topology/topology-svg.js';

it('topologyToSvg draws every node, topic and store once, and an edge per connection', () => {
  const topology = buildIotTopology();
  const svg = topologyToSvg(topology, 'iot');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  const titles = [...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
  const nodes = topology.nodes().map((n) => n.name);
  const topics = new Set(topology.nodes().flatMap((n) => (n.kind === 'source' ? n.topics : n.kind === 'sink' && typeof n.topic === 'string' ? [n.topic] : [])));
  const stores = topology.stores().map((s) => s.name);
  expect(titles.sort()).toEqual([...nodes, ...topics, ...stores].sort());
  // One edge per parent link, per topic read or written, per store connection.
  const links = topology.nodes().reduce((n, node) => n + (node.kind === 'source' ? node.topics.length : node.parents.length + (node.kind === 'sink' ? 1 : node.stores.length)), 0);
  expect([...svg.matchAll(/class="edge"/g)].length).toBe(links);
  expect([...svg.matchAll(/<g /g)].length).toBe([...svg.matchAll(/<\/g>/g)].length);
});

it('global stores get a column of their own', () => {
  const b = new StreamsBuilder();
  const users = b.globalTable('users', {}, { storeName: 'users' });
  b.stream('clicks').join(users, (k) => k, (v, u) => ({ v, u })).to('enriched');
  const svg = topologyToSvg(b.build());
  expect(svg).toContain('Global store users');
  expect(svg).toContain('<title>users</title>');
});
