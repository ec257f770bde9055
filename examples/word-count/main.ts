/**
 * `npm run example:word-count [-- --brokers host:9092]`: counts the words of a
 * few lines (or of `--file`) and prints the count table after each commit.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runWordCount } from './word-count.js';

const { values: args } = parseArgs({ options: { brokers: { type: 'string' }, file: { type: 'string' } } });
const text = args.file === undefined ? 'the quick brown fox\njumps over the lazy dog\nthe dog sleeps' : readFileSync(args.file, 'utf8');
const counts = await runWordCount(text.split('\n'), { progress: (l) => console.error(l), ...(args.brokers === undefined ? {} : { brokers: args.brokers.split(',') }) });
console.log(`\n${counts.size} distinct words, ${[...counts.values()].reduce((a, b) => a + b, 0)} in all`);
