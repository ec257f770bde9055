/** `npm run bench:chart` (also the last step of `npm run bench`): SVG charts of bench/results/*.json. */
import { fileURLToPath } from 'node:url';
import { drawResults } from './chart.js';

for (const f of drawResults(fileURLToPath(new URL('./results', import.meta.url)))) console.log(`bench:chart: wrote ${f}`);
