import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from '../errors.js';
import type { Logger } from './streams-config.js';

/** Names the cluster whose changelogs and offsets the state beside it was built from. */
const MARKER = 'cluster-id';

/** Per directory, the last claim of this process: instances starting together check one after the other. */
const claims = new Map<string, Promise<void>>();

/**
 * Makes `stateDir/applicationId` belong to the cluster the instance runs
 * against. Local state is only a cache of the changelog topics, and its
 * checkpoints are offsets into them: against another log — another Kafka
 * cluster, or an embedded broker, whose log is in memory and new with every
 * process — the same offsets name other records. So state from another
 * cluster, or of unknown origin (no marker), is deleted before any task opens
 * it, and the tasks restore from this cluster's changelogs instead.
 *
 * Directories are created 0700 and the marker 0600: state holds the
 * application's data.
 */
export async function claimStateDirectory(dir: string, clusterId: string, logger: Logger): Promise<void> {
  const before = claims.get(dir);
  const done = (async () => {
    await before?.catch(() => undefined);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const marker = join(dir, MARKER);
    const previous = await readFile(marker, 'utf8').then(
      (s) => s.trim(),
      () => undefined,
    );
    if (previous === clusterId) return;
    const entries = (await readdir(dir)).filter((e) => e !== MARKER);
    if (entries.length > 0) {
      logger.warn(
        previous === undefined
          ? `state in ${dir} has no record of the cluster it was built from; deleting it, tasks restore from the changelogs`
          : `state in ${dir} was built against cluster ${previous}, not ${clusterId} (an embedded broker is new in every process); deleting it, tasks restore from the changelogs`,
        { stateDir: dir, previous, clusterId },
      );
      for (const e of entries) await rm(join(dir, e), { recursive: true, force: true });
    }
    await writeFile(marker, `${clusterId}\n`, { mode: 0o600 });
  })().catch((e: unknown) => {
    throw new StateError('RIVULET_STATE_IO', `KafkaStreams.start: could not prepare the state directory ${dir} (${e instanceof Error ? e.message : String(e)}); check that stateDir is writable`, { cause: e });
  });
  claims.set(dir, done);
  return done;
}
