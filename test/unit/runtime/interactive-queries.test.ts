import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../../src/runtime/kafka-streams.js';
import { KeyQueryMetadata } from '../../../src/runtime/streams-metadata.js';
import { Serdes } from '../../../src/serde/serdes.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import { queriesFollowTheKeys } from '../../support/interactive-queries.js';

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const newStateDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rivulet-iq-'));
  dirs.push(d);
  return d;
};
let seq = 0;

const counting = (id: string, options: Partial<KafkaStreamsOptions>): KafkaStreams => {
  const b = new StreamsBuilder();
  b.stream<string, unknown>(`${id}-in`, { valueSerde: Serdes.json() }).groupByKey().count({ storeName: 'counts' }).toStream().to(`${id}-out`, { valueSerde: Serdes.json<number>() });
  return new KafkaStreams(b.build(), { applicationId: id, embeddedBroker: broker, stateDir: newStateDir(), commitIntervalMs: 100, ...options });
};

describe('interactive queries across instances (embedded broker)', () => {
  it('routes every key to the instance holding it, before, during and after a rebalance', async () => {
    const id = `iq-${++seq}-${Date.now()}`;
    const admin = broker.transport();
    await admin.connect();
    try {
      await admin.createTopics([{ topic: `${id}-in`, partitions: 6 }]);
      await queriesFollowTheKeys({ admin, input: `${id}-in`, newApp: (o) => counting(id, o) });
    } finally {
      await admin.close();
    }
  }, 60_000);

  it('answers NOT_AVAILABLE before the first assignment and names unknown stores and bad serdes', async () => {
    const id = `iq-${++seq}-${Date.now()}`;
    const app = counting(id, { applicationServer: 'x.local:1' });
    expect(app.queryMetadataForKey('counts', 'k', Serdes.string())).toBe(KeyQueryMetadata.NOT_AVAILABLE);
    expect(KeyQueryMetadata.NOT_AVAILABLE).toMatchObject({ activeHost: { host: 'unavailable', port: -1 }, standbyHosts: [], partition: -1, available: false });
    expect(app.metadataForAllStreamsClients()).toEqual([]);
    expect(() => app.queryMetadataForKey('nope', 'k', Serdes.string())).toThrow(/no store named "nope"/);
    expect(() => app.queryMetadataForKey('counts', 'k', undefined as never)).toThrow(/keySerde must be a Serde/);
    expect(() => counting(id, { applicationServer: 'no-port' })).toThrow(/applicationServer must be 'host:port'.*got "no-port"/);
    expect(() => counting(id, { numStandbyReplicas: -1 })).toThrow(/numStandbyReplicas must be a whole number >= 0 \(got -1\)/);
  });
});
