import vader from 'vader-sentiment';
import { expect, it } from 'vitest';
import { REGIONS_TO_STATES, runIncidents, type Report } from '../../../examples/incidents/incidents.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';

it('the incidents example: schema-checked, deduplicated, severity-scored counts equal a plain computation; bad reports are dead-lettered', async () => {
  const rand = seededRandom(3);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const types = ['oil spill', 'wildfire', 'flood', 'air pollution'];
  const texts = ['Massive toxic spill, dead fish everywhere, horrible', 'Smoke visible from the highway', 'Water rising slowly near the park', 'Terrible choking smog, people are sick and scared', null];
  const states = Object.values(REGIONS_TO_STATES).flat();
  const start = Date.parse('2025-06-01T00:00:00Z');
  const reports: { value?: unknown; raw?: string; timestamp: number }[] = [];
  const sent: { r: Report; t: number }[] = [];
  for (let i = 0; i < 400; i++) {
    const t = start + i * 60_000;
    const r: Report = { incident_type: pick(types), location: `Town ${i % 9}, ${pick(states)}`, description: pick(texts), contact: null };
    reports.push({ value: r, timestamp: t });
    sent.push({ r, t });
    // Every fifth report is sent again 2 minutes later (a duplicate) and every seventh 15 minutes later (not one).
    if (i % 5 === 0) {
      reports.push({ value: r, timestamp: t + 2 * 60_000 });
      sent.push({ r, t: t + 2 * 60_000 });
    }
    if (i % 7 === 0) {
      reports.push({ value: r, timestamp: t + 15 * 60_000 });
      sent.push({ r, t: t + 15 * 60_000 });
    }
  }
  const bad = [{ raw: '{"incident_type": "flood"', timestamp: start }, { raw: '{"location": "Nowhere, Ohio"}', timestamp: start }, { raw: '{"incident_type": 5, "location": "A, Texas"}', timestamp: start }];

  // Independently: a report is kept unless the same (type, location, description) was kept within 10 minutes.
  const kept: Report[] = [];
  const lastKept = new Map<string, number[]>();
  for (const { r, t } of [...sent].sort((a, b) => a.t - b.t)) {
    const id = `${r.incident_type}|${r.location}|${r.description ?? ''}`;
    const seen = lastKept.get(id) ?? [];
    if (seen.some((s) => Math.abs(s - t) <= 10 * 60_000)) continue;
    lastKept.set(id, [...seen, t]);
    kept.push(r);
  }
  const severity = (d: string | null) => {
    const neg = d === null ? 0 : vader.SentimentIntensityAnalyzer.polarity_scores(d).neg;
    return neg >= 0.4 ? 'High' : neg >= 0.2 ? 'Medium' : 'Low';
  };
  const byType = new Map<string, number>();
  const byTypeSeverity = new Map<string, number>();
  const byRegion = new Map<string, number>();
  const regionOf = (location: string) => Object.entries(REGIONS_TO_STATES).find(([, states]) => states.includes(location.split(', ')[1] as string))?.[0] ?? 'Unknown';
  for (const r of kept) {
    byRegion.set(regionOf(r.location), (byRegion.get(regionOf(r.location)) ?? 0) + 1);
    byType.set(r.incident_type, (byType.get(r.incident_type) ?? 0) + 1);
    const k = `${r.incident_type}|${severity(r.description)}`;
    byTypeSeverity.set(k, (byTypeSeverity.get(k) ?? 0) + 1);
  }

  const got = await runIncidents([...bad, ...reports]);
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort());
  expect(sorted(got.byType)).toEqual(sorted(byType));
  expect(sorted(got.byTypeSeverity)).toEqual(sorted(byTypeSeverity));
  expect(sorted(got.byRegion)).toEqual(sorted(byRegion));
  expect(new Set([...byTypeSeverity.keys()].map((k) => k.split('|')[1])).size).toBeGreaterThan(1);
  expect(got.deadLettered).toBe(bad.length);
  expect(got.duplicates).toBe(sent.length - kept.length);
});
