/**
 * Seed 000's environmental incident reports: JSON reports checked against a
 * schema (bad ones dead-lettered), the region looked up from the location's
 * state in a static table (no geocoding service), a severity from VADER's
 * negative sentiment score of the description (as the seed: >= 0.4 high,
 * >= 0.2 medium, else low), repeated reports dropped, and counts by incident
 * type and by (type, severity) kept in queryable LevelDB stores.
 */
import vader from 'vader-sentiment';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { runOnce, type RunOnceOptions } from '../shared/run-once.js';

export interface Report {
  readonly incident_type: string;
  readonly location: string;
  readonly description: string | null;
  readonly contact: string | null;
}

export interface Enriched extends Report {
  readonly region: string;
  readonly severity: 'High' | 'Medium' | 'Low';
}

export const REPORTS_TOPIC = 'incident_reports';
export const STORES = { byType: 'incidents-by-type', byTypeSeverity: 'incidents-by-type-severity', byRegion: 'incidents-by-region' } as const;

export const REGIONS_TO_STATES: Record<string, readonly string[]> = {
  South: ['West Virginia', 'District of Columbia', 'Maryland', 'Virginia', 'Kentucky', 'Tennessee', 'North Carolina', 'Mississippi', 'Arkansas', 'Louisiana', 'Alabama', 'Georgia', 'South Carolina', 'Florida', 'Delaware'],
  Southwest: ['Arizona', 'New Mexico', 'Oklahoma', 'Texas'],
  West: ['Washington', 'Oregon', 'California', 'Nevada', 'Idaho', 'Montana', 'Wyoming', 'Utah', 'Colorado', 'Alaska', 'Hawaii'],
  Midwest: ['North Dakota', 'South Dakota', 'Nebraska', 'Kansas', 'Minnesota', 'Iowa', 'Missouri', 'Wisconsin', 'Illinois', 'Michigan', 'Indiana', 'Ohio'],
  Northeast: ['Maine', 'Vermont', 'New York', 'New Hampshire', 'Massachusetts', 'Rhode Island', 'Connecticut', 'New Jersey', 'Pennsylvania'],
};

/** The state of a location written `City, State`. */
export function stateOf(location: string): string {
  return location.split(',').at(-1)?.trim() ?? '';
}

/** The seed's severity rule on VADER's negative score. */
export function severityOf(description: string | null): Enriched['severity'] {
  const neg = description === null ? 0 : vader.SentimentIntensityAnalyzer.polarity_scores(description).neg;
  return neg >= 0.4 ? 'High' : neg >= 0.2 ? 'Medium' : 'Low';
}

/** The schema of seed 000: type and location required, description and contact optional strings. */
export function validateReport(v: unknown): Report | string {
  if (typeof v !== 'object' || v === null) return 'a report is a JSON object';
  const r = v as Record<string, unknown>;
  if (typeof r.incident_type !== 'string' || r.incident_type === '') return 'incident_type must be a non-empty string';
  if (typeof r.location !== 'string' || r.location === '') return 'location must be a non-empty string';
  for (const f of ['description', 'contact'] as const) if (r[f] !== undefined && r[f] !== null && typeof r[f] !== 'string') return `${f} must be a string or null`;
  return { incident_type: r.incident_type, location: r.location, description: (r.description as string | undefined) ?? null, contact: (r.contact as string | undefined) ?? null };
}

export function incidentsTopology(): Topology {
  const b = new StreamsBuilder();
  const regions = b.globalTableFrom<string, string>('state-regions', Object.entries(REGIONS_TO_STATES).flatMap(([region, states]) => states.map((s) => [s, region] as const)));
  const enriched = b
    .stream<string | null, Report>(REPORTS_TOPIC, { valueSerde: Serdes.json<Report>({ validate: validateReport }) })
    // The same report sent again within 10 minutes is a duplicate.
    .dedupe({ within: '10m', id: (_k, r) => `${r.incident_type}|${r.location}|${r.description ?? ''}`, name: 'repeated-reports' })
    .leftJoin(regions, (_k, r) => stateOf(r.location), (r, region): Omit<Enriched, 'severity'> => ({ ...r, region: region ?? 'Unknown' }))
    .mapValues((r): Enriched => ({ ...r, severity: severityOf(r.description) }));
  enriched.groupBy((_k, r) => r.incident_type, { name: 'by-type' }).count({ storeName: STORES.byType });
  enriched.groupBy((_k, r) => `${r.incident_type}|${r.severity}`, { name: 'by-type-severity' }).count({ storeName: STORES.byTypeSeverity });
  enriched.groupBy((_k, r) => r.region, { name: 'by-region' }).count({ storeName: STORES.byRegion });
  enriched.to('incidents_enriched');
  return b.build();
}

export interface IncidentCounts {
  readonly byType: Map<string, number>;
  readonly byTypeSeverity: Map<string, number>;
  readonly byRegion: Map<string, number>;
  readonly deadLettered: number;
  readonly duplicates: number;
}

/** Runs the reports once (`raw` texts can be malformed on purpose); see `runOnce`. */
export function runIncidents(reports: readonly { readonly value?: unknown; readonly raw?: string; readonly timestamp?: number }[], options: RunOnceOptions = {}): Promise<IncidentCounts> {
  return runOnce(
    {
      name: 'incidents',
      topology: incidentsTopology(),
      topic: REPORTS_TOPIC,
      partitions: 2,
      records: reports,
      collect: (app) => ({
        byType: new Map(app.store<string, number>(STORES.byType).all().map((e) => [e.key, e.value])),
        byTypeSeverity: new Map(app.store<string, number>(STORES.byTypeSeverity).all().map((e) => [e.key, e.value])),
        byRegion: new Map(app.store<string, number>(STORES.byRegion).all().map((e) => [e.key, e.value])),
        deadLettered: app.metrics().deadLettered,
        duplicates: app.metrics().dropped.duplicate,
      }),
    },
    options,
  );
}
