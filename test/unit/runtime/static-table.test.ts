import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { eventually, latestByKey, produceJson, readAll } from '../../support/embedded-io.js';

const dirs: string[] = [];
let app: KafkaStreams | undefined;
afterEach(async () => {
  await app?.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `{ "id": …, "name": … }` per line, read as [id, name] rows without loading the file at once. */
async function* usersFile(path: string): AsyncIterable<readonly [string, string]> {
  for await (const line of createInterface({ input: createReadStream(path) })) {
    if (line.trim() === '') continue;
    const u = JSON.parse(line) as { id: string; name: string };
    yield [u.id, u.name];
  }
}

it('a static table loaded from a file before processing enriches a stream (seed 002: stream ⨝ static users table)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-static-'));
  dirs.push(dir);
  const file = join(dir, 'users.jsonl');
  writeFileSync(file, Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: `u${i}`, name: `user ${i}` })).join('\n'));
  const broker = new EmbeddedBroker();
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: 'events', partitions: 2 }, { topic: 'enriched', partitions: 2 }]);
  await produceJson(admin, 'events', [{ key: 'e1', value: { user: 'u7' } }, { key: 'e2', value: { user: 'u499' } }, { key: 'e3', value: { user: 'nobody' } }]);

  const b = new StreamsBuilder();
  const users = b.globalTableFrom<string, string>('users', () => usersFile(file));
  b.stream<string, { user: string }>('events', { keySerde: Serdes.string(), valueSerde: Serdes.json() })
    .leftJoin(users, (_k, e) => e.user, (e, name) => ({ ...e, name: name ?? null }))
    .to('enriched', { keySerde: Serdes.string(), valueSerde: Serdes.json() });
  const loaded: number[] = [];
  app = new KafkaStreams(b.build(), { applicationId: 'static-users', stateDir: join(dir, 'state'), embeddedBroker: broker, commitIntervalMs: 100 });
  app.onRestore((p) => p.store === 'users' && loaded.push(p.restored));
  await app.start();
  await eventually(async () => latestByKey(await readAll(admin, 'enriched')).size === 3, 20_000, 'three enriched events');
  expect(loaded).toEqual([500]);
  expect(app.store<string, string>('users').get('u42')).toBe('user 42');
  expect(Object.fromEntries(latestByKey(await readAll(admin, 'enriched')))).toEqual({
    e1: { user: 'u7', name: 'user 7' },
    e2: { user: 'u499', name: 'user 499' },
    e3: { user: 'nobody', name: null },
  });
  await admin.close();
});
