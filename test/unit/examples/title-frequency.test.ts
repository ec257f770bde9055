import { expect, it } from 'vitest';
import { PEOPLE_TOPIC, titleFrequencyTopology, topTitles, type Person, type TitleCounts } from '../../../examples/word-count/title-frequency.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { seededRandom } from '../../../src/testing/seeded-random.js';
import { TopologyTestDriver } from '../../../src/testing/topology-test-driver.js';

it('the title-frequency example keeps the ten most frequent titles a plain count gives', () => {
  const rand = seededRandom(1);
  const titles = Array.from({ length: 25 }, (_, i) => `Title ${String.fromCharCode(65 + i)}`);
  // Skewed: low indexes far more often, so the top ten are well separated but ties exist too.
  const people: Person[] = Array.from({ length: 3_000 }, (_, i) => ({ name: `person ${i}`, title: titles[Math.floor(rand() ** 2 * titles.length)] as string }));
  const want: TitleCounts = {};
  for (const p of people) want[p.title] = (want[p.title] ?? 0) + 1;

  const printed: string[] = [];
  const d = new TopologyTestDriver(titleFrequencyTopology((t) => void printed.push(t)));
  const input = d.createInputTopic(PEOPLE_TOPIC, Serdes.string(), Serdes.json<Person>());
  for (const p of people) input.pipeInput(null, p);
  const got = d.getKeyValueStore<string, TitleCounts>('title-top').get('top') ?? {};
  d.close();
  expect(got).toEqual(want);
  expect(topTitles(got)).toEqual(topTitles(want));
  expect(topTitles(want)).toHaveLength(10);
  expect(printed.at(-1)).toContain(`01 ${topTitles(want)[0]?.[0]}`);
});
