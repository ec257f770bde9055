/**
 * `npm run example:titles [-- --brokers host:9092] [--people 5000]`: seed 001's
 * title frequency over generated people; prints the top 10 as it changes.
 */
import { parseArgs } from 'node:util';
import { seededRandom } from '../../src/testing/seeded-random.js';
import { runTitleFrequency, topTitles, type Person } from './title-frequency.js';

const { values: args } = parseArgs({ options: { brokers: { type: 'string' }, people: { type: 'string', default: '5000' } } });
const titles = ['Engineer', 'Designer', 'Manager', 'Analyst', 'Nurse', 'Teacher', 'Chef', 'Pilot', 'Writer', 'Lawyer', 'Farmer', 'Architect', 'Librarian'];
const rand = seededRandom(7);
const people: Person[] = Array.from({ length: Number(args.people) }, (_, i) => ({ name: `person ${i}`, title: titles[Math.floor(rand() ** 2 * titles.length)] as string }));
const counts = await runTitleFrequency(people, { progress: (l) => console.error(l), ...(args.brokers === undefined ? {} : { brokers: args.brokers.split(',') }) });
console.log(`\nTop titles: ${topTitles(counts).map(([t, n]) => `${t} ${n}`).join(', ')}`);
