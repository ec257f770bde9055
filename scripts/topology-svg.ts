/**
 * `npm run topology:svg -- <module> <export> <out.svg>`: imports `<export>` from
 * `<module>` (a Topology, or a function returning one) and writes its SVG.
 *
 *   npm run topology:svg -- examples/iot-anomaly/topology.ts buildIotTopology iot.svg
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { topologyToSvg } from '../src/topology/topology-svg.js';
import type { Topology } from '../src/topology/topology.js';

const [modulePath, exportName, outPath] = process.argv.slice(2).filter((a) => a !== '--');
if (modulePath === undefined || exportName === undefined || outPath === undefined) {
  console.error('usage: npm run topology:svg -- <module.ts> <export name> <out.svg>');
  process.exit(2);
}
const mod = (await import(pathToFileURL(resolve(modulePath)).href)) as Record<string, unknown>;
const value = mod[exportName];
if (value === undefined) {
  console.error(`topology:svg: ${modulePath} has no export "${exportName}" (exports: ${Object.keys(mod).join(', ')})`);
  process.exit(2);
}
const topology = (typeof value === 'function' ? (value as () => Topology)() : value) as Topology;
writeFileSync(outPath, topologyToSvg(topology, exportName));
console.log(`topology:svg: wrote ${outPath}`);
