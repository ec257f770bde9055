import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { ConfigError, RivuletError, TaskFailure, TopologyError } from '../../../src/errors.js';
import { KafkaStreams, type KafkaStreamsOptions } from '../../../src/runtime/kafka-streams.js';
import type { Logger } from '../../../src/runtime/streams-config.js';
import { StreamThreadExceptionResponse } from '../../../src/runtime/uncaught-exception-handler.js';
import { Serdes } from '../../../src/serde/serdes.js';
import type { Topology } from '../../../src/topology/topology.js';
import { EmbeddedBroker } from '../../../src/transport/embedded/embedded-broker.js';
import type { Transport } from '../../../src/transport/transport.js';
import { eventually, produceJson, readAll } from '../../support/embedded-io.js';

const broker = new EmbeddedBroker();
const dirs: string[] = [];
afterAll(() => {
  broker.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let seq = 0;

interface Reading {
  readonly n: number;
  readonly boom?: boolean;
}

/** Input `in-<id>` (2 partitions) copied to `out-<id>`; the record marked `boom` throws the first time it is processed. */
async function scenario(): Promise<{ id: string; admin: Transport; topology: () => Topology; options: () => KafkaStreamsOptions; produce: () => Promise<void>; outputs: () => Promise<number[]> }> {
  const id = `ueh-${++seq}-${Date.now()}`;
  const admin = broker.transport();
  await admin.connect();
  await admin.createTopics([{ topic: `in-${id}`, partitions: 2 }]);
  let thrown = false;
  const topology = () => {
    const b = new StreamsBuilder();
    b.stream<string, Reading>(`in-${id}`, { keySerde: Serdes.string(), valueSerde: Serdes.json<Reading>() })
      .mapValues((v) => {
        if (v.boom === true && !thrown) {
          thrown = true;
          throw new Error(`reading ${v.n} is broken`);
        }
        return v.n;
      })
      .to(`out-${id}`, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
    return b.build();
  };
  const options = (): KafkaStreamsOptions => {
    const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-ueh-'));
    dirs.push(stateDir);
    return { applicationId: `app-${id}`, stateDir, embeddedBroker: broker, commitIntervalMs: 50, processingErrorHandling: 'fail', sessionTimeoutMs: 30_000, logger: quiet };
  };
  const produce = () => produceJson(admin, `in-${id}`, Array.from({ length: 20 }, (_, n) => ({ key: `k${n}`, value: n === 7 ? { n, boom: true } : { n } })));
  const outputs = async () => (await readAll(admin, `out-${id}`)).map((r) => JSON.parse(new TextDecoder().decode(r.value ?? new Uint8Array())) as number).sort((a, b) => a - b);
  return { id, admin, topology, options, produce, outputs };
}

const all20 = Array.from({ length: 20 }, (_, n) => n);

describe('uncaught-exception handler', () => {
  it('REPLACE_THREAD: the failed thread is replaced, the instance stays RUNNING and every record is processed', async () => {
    const s = await scenario();
    const app = new KafkaStreams(s.topology(), s.options());
    const errors: Error[] = [];
    const states: string[] = [];
    app.onError((e) => errors.push(e));
    app.onStateChange((next) => states.push(next));
    app.setUncaughtExceptionHandler(() => StreamThreadExceptionResponse.REPLACE_THREAD);
    await app.start();
    await app.waitForState('RUNNING', 20_000);
    await s.produce();
    await eventually(async () => (await s.outputs()).length >= 20 && app.state() === 'RUNNING', 20_000, 'all 20 records processed by the replacement thread');
    expect(new Set(await s.outputs())).toEqual(new Set(all20));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TaskFailure);
    expect((errors[0] as RivuletError).code).toBe('RIVULET_RECORD_FAILED');
    expect(app.state()).toBe('RUNNING');
    expect(app.error()).toBeUndefined();
    // RUNNING, then REBALANCING while the thread was replaced, then RUNNING again.
    expect(states.filter((x) => x === 'RUNNING').length).toBeGreaterThanOrEqual(2);
    expect(states).not.toContain('ERROR');
    expect(app.metrics().tasks).toBe(2);
    await app.close();
    expect(app.state()).toBe('NOT_RUNNING');
  }, 60_000);

  it('SHUTDOWN_CLIENT (the default): the failing instance goes to ERROR and leaves the group; the other instance takes every partition over', async () => {
    const s = await scenario();
    const a = new KafkaStreams(s.topology(), s.options());
    const b = new KafkaStreams(s.topology(), s.options());
    const errors: Error[] = [];
    for (const app of [a, b]) app.onError((e) => errors.push(e));
    await a.start();
    await b.start();
    await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks + b.metrics().tasks === 2, 20_000, 'both instances running with 2 tasks');
    await s.produce();
    await eventually(() => a.state() === 'ERROR' || b.state() === 'ERROR', 20_000, 'one instance in ERROR');
    const [failed, survivor] = a.state() === 'ERROR' ? [a, b] : [b, a];
    expect(failed.error()).toBeInstanceOf(TaskFailure);
    expect(errors).toEqual([failed.error()]);
    // An instance in ERROR never reaches RUNNING: waitForState fails at once, naming the error.
    const t0 = Date.now();
    await expect(failed.waitForState('RUNNING', 30_000)).rejects.toMatchObject({ code: 'RIVULET_STOPPED', message: expect.stringContaining('reading 7 is broken') });
    expect(Date.now() - t0).toBeLessThan(1_000);
    // The failed instance left the group (well before its 30 s session timeout): the survivor runs both tasks.
    await eventually(async () => survivor.metrics().tasks === 2 && (await s.outputs()).length >= 20, 20_000, 'survivor owns both partitions and processed all 20 records');
    expect(new Set(await s.outputs())).toEqual(new Set(all20));
    expect(survivor.state()).toBe('RUNNING');
    // From ERROR only shutdown is reachable: waiting for it works.
    const closed = failed.waitForState('NOT_RUNNING', 10_000);
    await failed.close();
    await closed;
    expect(failed.state()).toBe('NOT_RUNNING');
    await survivor.close();
  }, 60_000);

  it('SHUTDOWN_APPLICATION: every instance of the application shuts down; an instance started afterwards runs', async () => {
    const s = await scenario();
    const a = new KafkaStreams(s.topology(), s.options());
    const b = new KafkaStreams(s.topology(), s.options());
    const errors = new Map<KafkaStreams, Error[]>([
      [a, []],
      [b, []],
    ]);
    for (const app of [a, b]) {
      app.onError((e) => errors.get(app)?.push(e));
      app.setUncaughtExceptionHandler(() => StreamThreadExceptionResponse.SHUTDOWN_APPLICATION);
    }
    await a.start();
    await b.start();
    await eventually(() => a.state() === 'RUNNING' && b.state() === 'RUNNING' && a.metrics().tasks + b.metrics().tasks === 2, 20_000, 'both instances running with 2 tasks');
    await s.produce();
    await eventually(() => a.state() === 'ERROR' && b.state() === 'ERROR', 20_000, 'both instances in ERROR');
    const [failed, other] = a.error() instanceof TaskFailure ? [a, b] : [b, a];
    expect(failed.error()).toBeInstanceOf(TaskFailure);
    expect(other.error()).toBeInstanceOf(RivuletError);
    expect((other.error() as RivuletError).code).toBe('RIVULET_SHUTDOWN_REQUESTED');
    expect((other.error() as RivuletError).message).toContain(failed.instanceId);
    expect((other.error() as RivuletError).message).toContain('reading 7 is broken');
    expect(errors.get(failed)).toEqual([failed.error()]);
    expect(errors.get(other)).toEqual([other.error()]);
    await a.close();
    await b.close();
    // The request was for the instances running then, not for the next start.
    const c = new KafkaStreams(s.topology(), s.options());
    await c.start();
    await c.waitForState('RUNNING', 20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(c.state()).toBe('RUNNING');
    await c.close();
  }, 60_000);

  it('a handler that throws or answers nonsense counts as SHUTDOWN_CLIENT', async () => {
    const s = await scenario();
    const app = new KafkaStreams(s.topology(), s.options());
    app.setUncaughtExceptionHandler(() => 'RETRY' as unknown as StreamThreadExceptionResponse);
    await app.start();
    await s.produce();
    await eventually(() => app.state() === 'ERROR', 20_000, 'ERROR');
    await app.close();
    expect(() => app.setUncaughtExceptionHandler(() => StreamThreadExceptionResponse.REPLACE_THREAD)).toThrow(expect.objectContaining({ code: 'RIVULET_STATE_ILLEGAL' }));
  }, 60_000);
});

describe('start() failures reach the caller', () => {
  it('missing source topic: start() rejects, the state is ERROR (not REBALANCING), onError saw it, waitForState fails at once', async () => {
    const s = await scenario();
    const b = new StreamsBuilder();
    b.stream(`no-such-topic-${s.id}`).to(`out-${s.id}`);
    const app = new KafkaStreams(b.build(), s.options());
    const errors: Error[] = [];
    app.onError((e) => errors.push(e));
    const waiting = app.waitForState('RUNNING', 60_000);
    const t0 = Date.now();
    await expect(app.start()).rejects.toBeInstanceOf(TopologyError);
    await expect(waiting).rejects.toMatchObject({ code: 'RIVULET_STOPPED' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(app.state()).toBe('ERROR');
    expect(errors).toHaveLength(1);
    expect((errors[0] as RivuletError).code).toBe('RIVULET_TOPOLOGY_MISSING_SOURCE_TOPIC');
    await expect(app.waitForState('RUNNING', 60_000)).rejects.toMatchObject({ code: 'RIVULET_STOPPED' });
    await app.close();
    expect(app.state()).toBe('NOT_RUNNING');
  });

  it('unreachable broker: start() rejects with a transport error and the state is ERROR', async () => {
    const s = await scenario();
    const { embeddedBroker: _unused, ...rest } = s.options();
    const app = new KafkaStreams(s.topology(), { ...rest, brokers: ['127.0.0.1:1'] });
    const waiting = app.waitForState('RUNNING', 120_000);
    await expect(app.start()).rejects.toMatchObject({ code: expect.stringMatching(/^RIVULET_TRANSPORT_/) });
    expect(app.state()).toBe('ERROR');
    await expect(waiting).rejects.toMatchObject({ code: 'RIVULET_STOPPED' });
    await app.close();
  }, 120_000);
});

describe('missing configuration', () => {
  it('new KafkaStreams(topology) without options, or without applicationId, throws RIVULET_CONFIG_MISSING naming what to pass', async () => {
    const s = await scenario();
    const New = KafkaStreams as unknown as new (...a: unknown[]) => KafkaStreams;
    for (const make of [() => new New(s.topology()), () => new New(s.topology(), {}), () => new New(s.topology(), { brokers: ['x:9092'] })]) {
      let thrown: unknown;
      try {
        make();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).code).toBe('RIVULET_CONFIG_MISSING');
      expect((thrown as ConfigError).message).toContain("applicationId: 'my-app'");
    }
    expect(() => new New(undefined, { applicationId: 'x' })).toThrow(expect.objectContaining({ code: 'RIVULET_CONFIG_MISSING', message: expect.stringContaining('builder.build()') }));
  });
});
