import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('every README block marked `<!-- verbatim: <file> -->` is that file, so the README shows code that runs', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const blocks = [...readme.matchAll(/<!-- verbatim: (\S+) -->\n```\w*\n([\s\S]*?)^```$/gm)];
  // The quick start, the test-driver snippet and the service are run or type-checked by test/consumer.
  expect(blocks.map((b) => b[1])).toEqual(['examples/quick-start/quick-start.mjs', 'examples/quick-start/test-driver.mjs', 'examples/service/service.ts']);
  for (const [, file = '', shown] of blocks) expect(shown, `README block of ${file}`).toBe(readFileSync(`${root}${file}`, 'utf8'));
});
