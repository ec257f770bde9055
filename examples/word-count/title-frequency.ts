/**
 * Seed 001's title frequency: JSON people records (name, title, …) counted by
 * title, and the ten most frequent titles kept as one row that follows every
 * count change (Spark's `GROUP BY title ORDER BY count DESC LIMIT 10`, complete mode).
 */
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { runOnce, type RunOnceOptions } from '../shared/run-once.js';

export interface Person {
  readonly name: string;
  readonly title: string;
}

export const PEOPLE_TOPIC = 'fake_people';

/** Counts per title, ordered by count (descending) then title. */
export type TitleCounts = Record<string, number>;

/** The `limit` largest counts, ties by title, as `[title, count]` pairs. */
export function topTitles(counts: TitleCounts, limit = 10): [string, number][] {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit);
}

export function titleFrequencyTopology(print?: (text: string) => void): Topology {
  const b = new StreamsBuilder();
  const perTitle = b
    .stream<string | null, Person>(PEOPLE_TOPIC, { valueSerde: Serdes.json<Person>() })
    .groupBy((_k, p) => p.title, { name: 'by-title' })
    .count({ storeName: 'title-counts' });
  // One row holding every title's count; the table's change pairs (old, new) keep it exact.
  const all = perTitle
    .groupBy((title, n) => ({ key: 'top', value: { title, n } }), { name: 'all-titles' })
    .aggregate<TitleCounts>(
      () => ({}),
      (_k, v, agg) => ({ ...agg, [v.title]: (agg[v.title] ?? 0) + v.n }),
      (_k, v, agg) => {
        const next = { ...agg, [v.title]: (agg[v.title] ?? 0) - v.n };
        if (next[v.title] === 0) delete next[v.title];
        return next;
      },
      { storeName: 'title-top' },
    );
  if (print !== undefined) {
    all
      .mapValues((counts) => Object.fromEntries(topTitles(counts).map(([t, n], i) => [`${String(i + 1).padStart(2, '0')} ${t}`, n])))
      .toConsole({ mode: 'update', title: 'top 10 titles', print });
  }
  return b.build();
}

/** Counts the titles of `people` once and returns every title's count (see `runOnce`). */
export function runTitleFrequency(people: readonly Person[], options: RunOnceOptions & { print?: (text: string) => void } = {}): Promise<TitleCounts> {
  return runOnce(
    {
      name: 'title-frequency',
      topology: titleFrequencyTopology(options.print ?? ((t) => void process.stdout.write(t))),
      topic: PEOPLE_TOPIC,
      records: people.map((p) => ({ value: p })),
      collect: (app) => app.store<string, TitleCounts>('title-top').get('top') ?? {},
    },
    options,
  );
}
