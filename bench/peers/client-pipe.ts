/**
 * `client-pipe` of the peer benchmark (bench/peers/README.md), broker mode only:
 * the consume → transform → produce pipe of bench/broker-pipe.ts on rivulet's
 * default client, as group `--app-id` over `--input`, writing to `--alerts`.
 * Per reading it JSON-parses the value and writes what rivulet's run of the IoT
 * topology wrote per reading, kind by kind (`--kinds`, JSON: `[{ "name",
 * "perReading", "bytes" }]`, measured by the orchestrator from that run), so it
 * is the ceiling of the client at rivulet's output volume. `--guarantee
 * exactly_once` makes it transactional (one transaction per second,
 * read_committed), as rivulet-eos. Prints `{"event":"running"}` once it has
 * partitions; stops on SIGTERM. Its outputs are synthetic records of the
 * measured sizes, so it has no alert latency to measure.
 *
 *   npx vite-node bench/peers/client-pipe.ts -- broker --brokers 127.0.0.1:9092 --input in --windowed w --alerts a --status s --app-id id --kinds '[{"name":"outputs","perReading":0.4,"bytes":150}]'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientPipe, type PipeKind } from '../broker-pipe.js';
import { parseRunnerArgs, runMain } from './args.js';

function parseKinds(argv: readonly string[]): PipeKind[] {
  const i = argv.indexOf('--kinds');
  const raw = i >= 0 ? argv[i + 1] : undefined;
  if (raw === undefined) throw new Error('client-pipe: missing --kinds (JSON [{"name","perReading","bytes"}]: what the pipe writes per reading)');
  const parsed: unknown = JSON.parse(raw);
  const ok = (k: unknown): k is PipeKind =>
    typeof k === 'object' && k !== null && typeof (k as PipeKind).name === 'string' && Number.isFinite((k as PipeKind).perReading) && (k as PipeKind).perReading >= 0 && Number.isFinite((k as PipeKind).bytes) && (k as PipeKind).bytes >= 0;
  if (!Array.isArray(parsed) || !parsed.every(ok)) throw new Error(`client-pipe: --kinds must be a JSON array of {"name": string, "perReading": number >= 0, "bytes": number >= 0} (got ${raw})`);
  return parsed;
}

runMain(async () => {
  const argv = process.argv.slice(2);
  const args = parseRunnerArgs(argv);
  if (args.mode !== 'broker') throw new Error('client-pipe: only broker mode (a pipe has no topology to run in-process)');
  const pipe = new ClientPipe({ brokers: args.brokers, input: args.input, output: args.alerts, groupId: args.appId, exactlyOnce: args.guarantee === 'exactly_once', kinds: parseKinds(argv) });
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => (stopping = true));
  await pipe.start();
  try {
    let announced = false;
    while (!stopping) {
      const failure = pipe.failure();
      if (failure !== undefined) throw new Error('client-pipe: the pipe failed', { cause: failure });
      if (!announced && pipe.assignedAt !== undefined) {
        announced = true;
        console.log(JSON.stringify({ event: 'running' }));
      }
      await sleep(20);
    }
  } finally {
    await pipe.stop();
  }
  const s = pipe.stats;
  console.error(`client-pipe: polled ${s.polled}, produced ${s.produced}, ${s.commits} commits (mean ${(s.commitMs / Math.max(1, s.commits)).toFixed(0)} ms)`);
});
