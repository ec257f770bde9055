import { expect, it } from 'vitest';
import { runWordCount, words } from '../../../examples/word-count/word-count.js';

it('the word-count example counts exactly what a plain JS count of the same lines gives, and prints complete tables', async () => {
  const lines = Array.from({ length: 300 }, (_, i) => `Line ${i % 7}: the ${['quick', 'lazy', 'brown'][i % 3]} fox, the dog!`);
  const want = new Map<string, number>();
  for (const line of lines) for (const w of line.toLowerCase().split(/[^a-z0-9']+/).filter(Boolean)) want.set(w, (want.get(w) ?? 0) + 1);
  const printed: string[] = [];
  const got = await runWordCount(lines, { print: (t) => void printed.push(t) });
  expect(Object.fromEntries([...got].sort())).toEqual(Object.fromEntries([...want].sort()));
  expect(printed.length).toBeGreaterThan(0);
  expect(printed.at(-1)).toMatch(/Batch: \d+ \(word counts, task \d+_0\)/);
  expect(words("It's 2 o'clock.")).toEqual(["it's", '2', "o'clock"]);
});
