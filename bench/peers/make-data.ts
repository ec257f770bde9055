/** Writes the peer benchmark's input files: `npx vite-node bench/peers/make-data.ts -- --out DIR --scale S`. */
import { writePeerData } from './data.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : dflt;
}

const raw = arg('scale', process.env['RIVULET_BENCH_SCALE'] ?? '1');
const scale = Number(raw);
if (!(scale > 0)) throw new Error(`make-data: --scale must be a number > 0 (got ${JSON.stringify(raw)})`);
await writePeerData(arg('out', 'bench/.data/peers'), scale);
