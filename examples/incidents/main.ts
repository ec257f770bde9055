/**
 * `npm run example:incidents [-- --brokers host:9092]`: seed 000's incident
 * reports over a few generated reports (some malformed, some repeated); prints
 * the counts by type, by (type, severity) and by region.
 */
import { parseArgs } from 'node:util';
import { formatTable } from '../../src/sinks/console-table.js';
import { runIncidents } from './incidents.js';

const { values: args } = parseArgs({ options: { brokers: { type: 'string' } } });
const now = Date.now();
const reports = [
  { incident_type: 'oil spill', location: 'Galveston, Texas', description: 'Huge toxic oil slick, dead birds and fish on the beach' },
  { incident_type: 'wildfire', location: 'Paradise, California', description: 'Smoke visible on the ridge' },
  { incident_type: 'flood', location: 'Cedar Rapids, Iowa', description: 'River over the bank, roads closed, people frightened' },
  { incident_type: 'air pollution', location: 'Pittsburgh, Pennsylvania', description: null },
].flatMap((r, i) => [
  { value: { ...r, contact: null }, timestamp: now + i * 1000 },
  { value: { ...r, contact: null }, timestamp: now + i * 1000 + 60_000 }, // sent twice: dropped
]);
const counts = await runIncidents([...reports, { raw: '{"incident_type": "flood"', timestamp: now }], { progress: (l) => console.error(l), ...(args.brokers === undefined ? {} : { brokers: args.brokers.split(',') }) });
const rows = (m: Map<string, number>, column: string) => [...m].map(([k, n]) => ({ [column]: k, count: n }));
console.log(formatTable(rows(counts.byType, 'incident_type')));
console.log(formatTable(rows(counts.byTypeSeverity, 'type|severity')));
console.log(formatTable(rows(counts.byRegion, 'region')));
console.log(`${counts.duplicates} repeated reports dropped, ${counts.deadLettered} malformed report(s) dead-lettered`);
