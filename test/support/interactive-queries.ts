/**
 * Interactive queries across instances: three instances count keys into store
 * `counts`; a router (what a service's HTTP layer would do) asks a random
 * instance for a key's metadata, then reads the key from the instance named
 * as active. Once the group is stable every key is found with its exact
 * count; while an instance joins or leaves every answer is the exact count or
 * an explicit "not available", never a wrong value. Run on the embedded broker
 * and on Kafka.
 */
import { expect } from 'vitest';
import type { KafkaStreams, KafkaStreamsOptions } from '../../src/runtime/kafka-streams.js';
import { KeyQueryMetadata } from '../../src/runtime/streams-metadata.js';
import { Serdes } from '../../src/serde/serdes.js';
import { QueryableStoreTypes } from '../../src/state/queryable-store-types.js';
import type { Transport } from '../../src/transport/transport.js';
import { eventually, produceJson } from './embedded-io.js';

export interface QueryableCountingApp {
  readonly admin: Transport;
  /** The input topic (6 partitions). */
  readonly input: string;
  /** A new instance counting per key into store `counts`, sharing the application id. */
  newApp(options: Partial<KafkaStreamsOptions>): KafkaStreams;
}

type Answer = { kind: 'value'; value: number | undefined } | { kind: 'unavailable'; why: string };

const KEYS = Array.from({ length: 300 }, (_, i) => `key-${i}`);
const ROUNDS = 3;

export async function queriesFollowTheKeys({ admin, input, newApp }: QueryableCountingApp, waitMs = 20_000): Promise<void> {
  const live = new Map<string, KafkaStreams>();
  const start = async (name: string): Promise<KafkaStreams> => {
    const app = newApp({ applicationServer: `${name}.local:8080` });
    live.set(`${name}.local:8080`, app);
    await app.start();
    return app;
  };
  /** The router: metadata from a random instance, the value from the one it names. */
  const ask = (key: string, random: () => number = Math.random): Answer => {
    const instances = [...live.values()];
    const asked = instances[Math.floor(random() * instances.length)] as KafkaStreams;
    const meta = asked.queryMetadataForKey('counts', key, Serdes.string());
    if (!meta.available) return { kind: 'unavailable', why: `metadata (${asked.state()})` };
    expect(meta).not.toBe(KeyQueryMetadata.NOT_AVAILABLE);
    const owner = live.get(`${meta.activeHost.host}:${meta.activeHost.port}`);
    if (owner === undefined || owner.state() !== 'RUNNING') return { kind: 'unavailable', why: `owner ${meta.activeHost.host} ${owner?.state() ?? 'gone'}` };
    const value = owner.store('counts', QueryableStoreTypes.keyValueStore<string, number>()).get(key);
    // The metadata may be a generation behind the owner: a task it no longer holds reads as missing.
    return value === undefined ? { kind: 'unavailable', why: 'not held by the named owner (moved)' } : { kind: 'value', value };
  };
  const allExact = (): boolean => KEYS.every((k) => {
    const a = ask(k);
    return a.kind === 'value' && a.value === ROUNDS;
  });
  /** Asks for every key during a membership change: never a wrong value. */
  const askThroughout = async (change: Promise<unknown>): Promise<{ exact: number; unavailable: number }> => {
    let settled = false;
    void change.finally(() => (settled = true));
    const tally = { exact: 0, unavailable: 0 };
    do {
      for (const k of KEYS) {
        const a = ask(k);
        if (a.kind === 'value') {
          expect(a.value, `${k} during the rebalance`).toBe(ROUNDS);
          tally.exact++;
        } else tally.unavailable++;
      }
      await new Promise((r) => setTimeout(r, 5));
    } while (!settled);
    await change;
    return tally;
  };

  try {
    await start('a');
    await start('b');
    await start('c');
    for (let r = 0; r < ROUNDS; r++) await produceJson(admin, input, KEYS.map((key) => ({ key, value: { r } })));
    await eventually(() => [...live.values()].every((s) => s.state() === 'RUNNING') && allExact(), waitMs, 'every key routed to its exact count (3 instances)');

    // Every instance knows the whole map: three hosts sharing the six partitions.
    for (const app of live.values()) {
      const all = app.metadataForAllStreamsClients();
      expect(all.map((m) => m.hostInfo.host).sort()).toEqual(['a.local', 'b.local', 'c.local']);
      expect(all.flatMap((m) => m.topicPartitions.map((tp) => tp.partition)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const m of all) expect(m.stateStoreNames).toEqual(['counts']);
    }
    // Asking any instance gives the same owner.
    for (const k of KEYS.slice(0, 20)) {
      const owners = [...live.values()].map((s) => s.queryMetadataForKey('counts', k, Serdes.string()).activeHost.host);
      expect(new Set(owners).size, k).toBe(1);
    }

    // A fourth instance joins: tasks move while the router keeps asking.
    const joined = await askThroughout(start('d'));
    await eventually(() => [...live.values()].every((s) => s.state() === 'RUNNING') && allExact(), waitMs, 'every key routed after d joined');
    // One instance leaves.
    const leaving = live.get('b.local:8080') as KafkaStreams;
    live.delete('b.local:8080');
    const left = await askThroughout(leaving.close());
    await eventually(() => [...live.values()].every((s) => s.state() === 'RUNNING') && allExact(), waitMs, 'every key routed after b left');
    for (const app of live.values()) expect(app.metadataForAllStreamsClients().map((m) => m.hostInfo.host).sort()).toEqual(['a.local', 'c.local', 'd.local']);
    expect(joined.exact + left.exact, 'answers given during the rebalances').toBeGreaterThan(0);
  } finally {
    await Promise.allSettled([...live.values()].map((s) => s.close()));
  }
}
