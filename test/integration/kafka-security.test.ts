/**
 * rivulet on the secured listeners of a real broker (scripts/kafka/start.sh with
 * KAFKA_SECURITY=sasl_ssl): SASL_SSL with SCRAM, PLAIN and OAUTHBEARER, TLS with
 * client certificates, exactly-once processing over SASL_SSL, and clear,
 * bounded failures for a wrong password and an untrusted broker certificate.
 * No secret may appear in any log line or error text.
 *
 * Uses the shared broker when with-kafka.sh started it secured
 * (KAFKA_SECURITY=sasl_ssl), otherwise starts a private secured one.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../src/dsl/streams-builder.js';
import { KafkaStreams } from '../../src/runtime/kafka-streams.js';
import type { Logger } from '../../src/runtime/streams-config.js';
import { Serdes } from '../../src/serde/serdes.js';
import type { KafkaConnectionConfig, KafkaSaslConfig } from '../../src/transport/kafka-connection.js';
import { createBrokerTransport } from '../../src/transport/create-transport.js';
import { TransportErrorCode } from '../../src/transport/transport-error-codes.js';
import type { Transport } from '../../src/transport/transport.js';
import { brokerControlUnavailable, startControlledBroker, type ControlledBroker } from '../support/kafka-broker.js';
import { eventually, latestByKey, produceJson, readAll } from '../support/embedded-io.js';

const sharedSecured = process.env['KAFKA_SASL_SSL_BROKERS'];
const unavailable = sharedSecured ? undefined : brokerControlUnavailable();
const WAIT_MS = 90_000;
/** A failed authentication or handshake must end start() within this (kafkajs retries connection errors a few times). */
const FAIL_WITHIN_MS = 20_000;

interface Secured {
  readonly saslSsl: string;
  readonly ssl: string;
  readonly ca: string;
  readonly rogueCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** An unsigned JWT, which Kafka's default (unsecured) OAUTHBEARER validator accepts. */
function unsecuredJwt(sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none' })}.${b64({ sub, iat: now, exp: now + 3600, nonce: randomUUID() })}.`;
}

const token = unsecuredJwt('alice');
const scram512: KafkaSaslConfig = { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' };
const wrongPassword = 'wrong-secret-7f3a';

describe.skipIf(unavailable !== undefined)(`rivulet on secured Kafka listeners${unavailable ? ` (${unavailable})` : ''}`, () => {
  let broker: ControlledBroker | undefined;
  let env: Secured;
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m, f) => void lines.push(`debug ${m} ${inspect(f, { depth: 8 })}`),
    info: (m, f) => void lines.push(`info ${m} ${inspect(f, { depth: 8 })}`),
    warn: (m, f) => void lines.push(`warn ${m} ${inspect(f, { depth: 8 })}`),
    error: (m, f) => void lines.push(`error ${m} ${inspect(f, { depth: 8 })}`),
  };
  const errorTexts: string[] = [];
  const dirs: string[] = [];
  const apps: KafkaStreams[] = [];
  const transports: Transport[] = [];
  /** Every secret used in this file: none may reach a log line or an error. */
  const secrets = () => ['alice-secret', 'bob-secret', wrongPassword, token, ...env.clientKey.split('\n').filter((l) => l.length > 40)];

  beforeAll(async () => {
    let vars: Record<string, string | undefined> = process.env;
    if (!sharedSecured) {
      broker = await startControlledBroker('secure', { KAFKA_SECURITY: 'sasl_ssl' });
      vars = broker.vars;
    }
    const dir = vars['KAFKA_TLS_DIR'] as string;
    env = {
      saslSsl: vars['KAFKA_SASL_SSL_BROKERS'] as string,
      ssl: vars['KAFKA_SSL_BROKERS'] as string,
      ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      rogueCa: readFileSync(join(dir, 'rogue-ca.pem'), 'utf8'),
      clientCert: readFileSync(join(dir, 'client.pem'), 'utf8'),
      clientKey: readFileSync(join(dir, 'client-key.pem'), 'utf8'),
    };
  }, 180_000);

  afterAll(async () => {
    for (const a of apps.splice(0)) await a.close();
    for (const t of transports.splice(0)) await t.close().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    await broker?.destroy();
  }, 120_000);

  const transport = async (brokers: string, kafka: KafkaConnectionConfig): Promise<Transport> => {
    const t = await createBrokerTransport({ brokers: [brokers], ...kafka });
    transports.push(t);
    await t.connect();
    return t;
  };
  const newApp = (build: (b: StreamsBuilder) => void, applicationId: string, kafka: KafkaConnectionConfig, brokers = env.saslSsl): KafkaStreams => {
    const b = new StreamsBuilder();
    build(b);
    const stateDir = mkdtempSync(join(tmpdir(), 'rivulet-secure-'));
    dirs.push(stateDir);
    const app = new KafkaStreams(b.build(), { applicationId, stateDir, brokers: [brokers], kafka, processingGuarantee: 'exactly_once', commitIntervalMs: 200, logger });
    apps.push(app);
    return app;
  };
  /** start() of an app that cannot connect: its rejection, and how long it took. */
  const failedStart = async (app: KafkaStreams): Promise<{ error: { code?: string; message: string }; ms: number }> => {
    const t0 = Date.now();
    const error = await app.start().then(
      () => {
        throw new Error('start() succeeded');
      },
      (e: unknown) => e as { code?: string; message: string },
    );
    errorTexts.push(String(error), inspect(error, { depth: 10 }));
    return { error, ms: Date.now() - t0 };
  };
  const expectNoSecrets = () => {
    const all = [...lines, ...errorTexts].join('\n');
    for (const s of secrets()) expect(all.includes(s), `a secret (${s.length} characters) appears in a log line or error`).toBe(false);
  };

  it('processes a topology exactly-once over SASL_SSL with SCRAM-SHA-512: exact output', async () => {
    const id = randomUUID().slice(0, 8);
    const [input, scaled, totals] = [`sec-in-${id}`, `sec-scaled-${id}`, `sec-totals-${id}`];
    const kafka: KafkaConnectionConfig = { ssl: { ca: env.ca }, sasl: scram512 };
    const admin = await transport(env.saslSsl, kafka);
    await admin.createTopics([input, scaled, totals].map((topic) => ({ topic, partitions: 2 })));
    const app = newApp(
      (b) => {
        const s = b.stream<string, number>(input, { keySerde: Serdes.string(), valueSerde: Serdes.json() });
        s.mapValues((v) => v * 10).to(scaled, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
        s.groupByKey()
          .aggregate(() => 0, (_k, v, sum: number) => sum + v, { storeName: 'sec-totals' })
          .toStream()
          .to(totals, { keySerde: Serdes.string(), valueSerde: Serdes.json<number>() });
      },
      `sec-eos-${id}`,
      kafka,
    );
    await app.start();
    await app.waitForState('RUNNING', WAIT_MS);
    const records = Array.from({ length: 500 }, (_, i) => ({ key: `k${i % 7}`, value: i }));
    await produceJson(admin, input, records);
    const decode = (b: Uint8Array | null) => new TextDecoder().decode(b ?? new Uint8Array());
    const scaledOut = async () => (await readAll(admin, scaled, 'read_committed')).map((r) => `${decode(r.key)}=${decode(r.value)}`);
    await eventually(async () => (await scaledOut()).length >= records.length, WAIT_MS, `${records.length} scaled records`);
    const want = new Map<string, number>();
    for (const r of records) want.set(r.key, (want.get(r.key) ?? 0) + r.value);
    await eventually(
      async () => {
        const latest = latestByKey(await readAll(admin, totals, 'read_committed'));
        return [...want].every(([k, v]) => latest.get(k) === v);
      },
      WAIT_MS,
      'exact totals',
    );
    expect((await scaledOut()).sort()).toEqual(records.map((r) => `${r.key}=${r.value * 10}`).sort());
    expect(app.state()).toBe('RUNNING');
    expectNoSecrets();
  }, 4 * 60_000);

  it('authenticates with PLAIN, SCRAM-SHA-256 and an OAUTHBEARER token provider, and with a client certificate over TLS', async () => {
    const reference = await (await transport(env.saslSsl, { ssl: { ca: env.ca }, sasl: scram512 })).clusterId();
    let tokens = 0;
    const configs: [string, string, KafkaConnectionConfig][] = [
      ['PLAIN', env.saslSsl, { ssl: { ca: env.ca }, sasl: { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' } }],
      ['SCRAM-SHA-256', env.saslSsl, { ssl: { ca: env.ca }, sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' } }],
      ['OAUTHBEARER', env.saslSsl, { ssl: { ca: env.ca }, sasl: { mechanism: 'oauthbearer', tokenProvider: async () => (tokens++, token) } }],
      ['client certificate', env.ssl, { ssl: { ca: env.ca, cert: env.clientCert, key: env.clientKey } }],
    ];
    for (const [name, brokers, kafka] of configs) {
      const t = await transport(brokers, kafka);
      expect(await t.clusterId(), name).toBe(reference);
      // A produced record read back: requests after authentication work too.
      const topic = `sec-auth-${randomUUID().slice(0, 8)}`;
      await t.createTopics([{ topic, partitions: 1 }]);
      await produceJson(t, topic, [{ key: name, value: 1 }]);
      expect((await readAll(t, topic)).length, name).toBe(1);
    }
    expect(tokens).toBeGreaterThan(0);
  }, 3 * 60_000);

  it('a wrong password fails start() within bounded time with RIVULET_TRANSPORT_AUTHENTICATION_FAILED naming kafka.sasl', async () => {
    const app = newApp((b) => void b.stream('sec-unused').to('sec-unused-out'), `sec-badpw-${randomUUID().slice(0, 8)}`, {
      ssl: { ca: env.ca },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: wrongPassword },
    });
    const states: string[] = [];
    app.onStateChange((next) => states.push(next));
    const { error, ms } = await failedStart(app);
    expect(states).toEqual(['REBALANCING', 'ERROR']);
    expect(error.code).toBe(TransportErrorCode.AUTHENTICATION_FAILED);
    expect(error.message).toMatch(/SASL authentication/);
    expect(error.message).toMatch(/kafka\.sasl/);
    expect(ms).toBeLessThan(FAIL_WITHIN_MS);
    expectNoSecrets();
  }, 60_000);

  it('a broker certificate from a CA the client does not trust fails start() within bounded time with RIVULET_TRANSPORT_TLS_FAILED naming kafka.ssl.ca', async () => {
    const app = newApp((b) => void b.stream('sec-unused').to('sec-unused-out'), `sec-rogue-${randomUUID().slice(0, 8)}`, { ssl: { ca: env.rogueCa }, sasl: scram512 });
    const { error, ms } = await failedStart(app);
    expect(app.state()).toBe('ERROR');
    expect(error.code).toBe(TransportErrorCode.TLS_FAILED);
    expect(error.message).toMatch(/not signed by a CA the client trusts/);
    expect(error.message).toMatch(/kafka\.ssl\.ca/);
    expect(ms).toBeLessThan(FAIL_WITHIN_MS);
    expectNoSecrets();
  }, 60_000);

  it('a listener requiring client certificates refuses a client without one: RIVULET_TRANSPORT_TLS_FAILED', async () => {
    const t = await createBrokerTransport({ brokers: [env.ssl], ssl: { ca: env.ca } });
    transports.push(t);
    const t0 = Date.now();
    const error = await t.connect().then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toBe(TransportErrorCode.TLS_FAILED);
    expect(error?.message).toMatch(/kafka\.ssl\.cert/);
    expect(Date.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
    errorTexts.push(inspect(error, { depth: 10 }));
  }, 60_000);

  it('OAUTHBEARER: an expired token is refused by the broker, a failing token provider is reported as such', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const past = Math.floor(Date.now() / 1000) - 7200;
    const expired = `${b64({ alg: 'none' })}.${b64({ sub: 'alice', iat: past, exp: past + 60 })}.`;
    const cases: [KafkaSaslConfig, RegExp][] = [
      [{ mechanism: 'oauthbearer', tokenProvider: () => expired }, /^Transport\.connect: the broker refused the OAUTHBEARER token \(invalid_token\); check kafka\.sasl\.tokenProvider/],
      [{ mechanism: 'oauthbearer', tokenProvider: () => Promise.reject(new Error('identity provider unreachable')) }, /^Transport\.connect: kafka\.sasl\.tokenProvider failed: identity provider unreachable$/],
    ];
    for (const [sasl, message] of cases) {
      const t = await createBrokerTransport({ brokers: [env.saslSsl], ssl: { ca: env.ca }, sasl });
      transports.push(t);
      const t0 = Date.now();
      const error = (await t.connect().then(() => undefined, (e: unknown) => e)) as { code?: string; message: string } | undefined;
      expect(error?.code).toBe(TransportErrorCode.AUTHENTICATION_FAILED);
      expect(error?.message).toMatch(message);
      expect(Date.now() - t0).toBeLessThan(FAIL_WITHIN_MS);
      errorTexts.push(inspect(error, { depth: 10 }));
      expect(inspect(error, { depth: 10 })).not.toContain(expired);
    }
  }, 60_000);

  it('no secret appears in any log line or error text of this file', () => {
    // The runs above logged (restores, rebalances, failures) and failed; they all went through here.
    expect(lines.length + errorTexts.length).toBeGreaterThan(0);
    expectNoSecrets();
  });
});
