import { inspect } from 'node:util';
import kafkajs, { type AuthenticationProviderArgs, type Mechanism, type SaslAuthenticateArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../../src/dsl/streams-builder.js';
import { ConfigError, TransportError } from '../../../src/errors.js';
import { KafkaStreams } from '../../../src/runtime/kafka-streams.js';
import { checkKafkaConnection, type KafkaConnectionConfig } from '../../../src/transport/kafka-connection.js';
import { toTransportError } from '../../../src/transport/kafkajs/kafkajs-errors.js';
import { kafkaJsSecurity } from '../../../src/transport/kafkajs/kafkajs-security.js';
import { createKafkaTransport } from '../../../src/transport/kafkajs/kafkajs-transport.js';
import { TransportErrorCode } from '../../../src/transport/transport-error-codes.js';
import type { Transport } from '../../../src/transport/transport.js';

const SECRET = 'hunter2-do-not-print';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n';
const KEY = `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`;

function topology() {
  const b = new StreamsBuilder();
  b.stream('in').to('out');
  return b.build();
}

/** The ConfigError `new KafkaStreams` throws for `kafka`. */
function configError(kafka: unknown): ConfigError {
  try {
    new KafkaStreams(topology(), { applicationId: 'app', brokers: ['127.0.0.1:9092'], kafka: kafka as KafkaConnectionConfig });
  } catch (e) {
    return e as ConfigError;
  }
  throw new Error('no error');
}

describe('StreamsConfig.kafka validation', () => {
  it.each([
    ['an unknown mechanism', { sasl: { mechanism: 'gssapi', username: 'u', password: SECRET } }, /kafka\.sasl\.mechanism must be 'plain', 'scram-sha-256', 'scram-sha-512' or 'oauthbearer' \(got "gssapi"\)/],
    ['a missing password', { sasl: { mechanism: 'scram-sha-512', username: 'u' } }, /kafka\.sasl\.password must be a non-empty string \(got undefined\)/],
    ['a mistyped password field', { sasl: { mechanism: 'plain', username: 'u', password: 'x', passwd: SECRET } }, /kafka\.sasl: unknown setting 'passwd' for PLAIN/],
    ['a numeric password', { sasl: { mechanism: 'plain', username: 'u', password: 12345 } }, /kafka\.sasl\.password must be a non-empty string \(got number\)/],
    ['a token provider that is not a function', { sasl: { mechanism: 'OAUTHBEARER', tokenProvider: SECRET } }, /kafka\.sasl\.tokenProvider must be a function .* \(got a string of 20 characters\)/],
    ['a key that is not PEM', { ssl: { ca: CA, cert: CA, key: SECRET } }, /kafka\.ssl\.key must be PEM text with a '-----BEGIN PRIVATE KEY-----' block.* \(got a string of 20 characters without such a block\); a file path is not read/],
    ['a CA given as a path', { ssl: { ca: '/etc/ssl/ca.pem' } }, /kafka\.ssl\.ca must be PEM text/],
    ['a certificate without key', { ssl: { cert: CA } }, /kafka\.ssl: a client certificate needs both cert and key \(got only cert\)/],
    ['an empty CA list', { ssl: { ca: [] } }, /kafka\.ssl\.ca must not be an empty array/],
    ['a passphrase without key', { ssl: { passphrase: SECRET } }, /kafka\.ssl\.passphrase must be a string and goes with an encrypted key \(got a string of 20 characters without key\)/],
    ['a misspelled TLS setting', { ssl: { rejectUnauthorised: false } }, /kafka\.ssl: unknown setting 'rejectUnauthorised'/],
    ['a bad timeout', { connectionTimeoutMs: -1 }, /kafka\.connectionTimeoutMs must be a whole number of ms > 0 \(got -1\)/],
    ['not an object', 'SASL_SSL', /kafka must be an object/],
  ])('rejects %s with RIVULET_CONFIG_INVALID_VALUE, never printing the secret', (_what, kafka, message) => {
    const e = configError(kafka);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.code).toBe('RIVULET_CONFIG_INVALID_VALUE');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(SECRET);
  });

  it('refuses TLS or SASL settings without brokers (the embedded broker would run and ignore them)', () => {
    const make = () => new KafkaStreams(topology(), { applicationId: 'app', kafka: { sasl: { mechanism: 'plain', username: 'u', password: SECRET } } });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(/kafka\.ssl or kafka\.sasl is set but brokers is not; set brokers/);
    expect(() => new KafkaStreams(topology(), { applicationId: 'app', kafka: { connectionTimeoutMs: 5000 } })).not.toThrow();
  });

  it('accepts every documented form', () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const forms: KafkaConnectionConfig[] = [
      {},
      { ssl: true },
      { ssl: { ca: CA } },
      { ssl: { ca: [CA, new TextEncoder().encode(CA)], cert: CA, key: KEY, passphrase: 'p', servername: 'kafka.example.com' } },
      { ssl: true, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' }, connectionTimeoutMs: 10_000, requestTimeoutMs: 60_000 },
      { sasl: { mechanism: 'plain', username: 'u', password: 'p' } },
      { ssl: true, sasl: { mechanism: 'oauthbearer', tokenProvider: () => 't' } },
    ];
    for (const f of forms) expect(() => checkKafkaConnection('kafka', f, fail)).not.toThrow();
    expect(checkKafkaConnection('kafka', { sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' } }, fail).sasl?.mechanism).toBe('scram-sha-256');
  });

  it('createKafkaTransport rejects the same mistakes with RIVULET_TRANSPORT_INVALID_ARGUMENT', () => {
    const bad = () => createKafkaTransport({ brokers: ['127.0.0.1:9092'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: '' } });
    expect(bad).toThrow(TransportError);
    expect(bad).toThrow(/createKafkaTransport: config\.sasl\.password must be a non-empty string \(got an empty string\)/);
  });

  it('the resolved config shows no secret when logged (JSON or util.inspect)', () => {
    const app = new KafkaStreams(topology(), {
      applicationId: 'app',
      brokers: ['127.0.0.1:9092'],
      kafka: { ssl: { ca: CA, cert: CA, key: KEY, passphrase: SECRET }, sasl: { mechanism: 'scram-sha-512', username: 'orders', password: SECRET } },
    });
    for (const shown of [JSON.stringify(app.config), inspect(app.config, { depth: 10 }), JSON.stringify({ kafka: app.config.kafka })]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).toContain('orders');
      expect(shown).toContain('[redacted]');
    }
    // Only the showing is redacted: the transport still gets the real values.
    expect(app.config.kafka.sasl).toMatchObject({ password: SECRET });
    const oauth = new KafkaStreams(topology(), { applicationId: 'app', brokers: ['b:1'], kafka: { sasl: { mechanism: 'oauthbearer', tokenProvider: () => SECRET } } });
    expect(inspect(oauth.config, { depth: 10 })).toContain("tokenProvider: '[function]'");
  });
});

describe('KafkaStreams.start when the brokers refuse the connection', () => {
  it('rejects with AUTHENTICATION_FAILED, goes to ERROR and logs the message', async () => {
    const refused = toTransportError('Transport.connect', new (kafkajs.KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)('SASL PLAIN authentication failed'));
    const transport = { connect: () => Promise.reject(refused), close: () => Promise.resolve() } as unknown as Transport;
    const logged: string[] = [];
    const log = (m: string, f?: Record<string, unknown>) => void logged.push(`${m} ${JSON.stringify(f)}`);
    const app = new KafkaStreams(topology(), { applicationId: 'app', transport, logger: { debug: log, info: log, warn: log, error: log } });
    const states: string[] = [];
    app.onStateChange((next) => states.push(next));
    await expect(app.start()).rejects.toMatchObject({ code: TransportErrorCode.AUTHENTICATION_FAILED });
    expect(states).toEqual(['REBALANCING', 'ERROR']);
    expect(logged.filter((l) => l.includes('refused SASL authentication')).length).toBeGreaterThanOrEqual(1);
    await app.close();
    expect(app.state()).toBe('NOT_RUNNING');
  });
});

describe('kafkajs mapping of TLS and SASL', () => {
  it('passes the CA, client certificate, key, passphrase and servername to TLS', () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const out = kafkaJsSecurity(checkKafkaConnection('kafka', { ssl: { ca: CA, cert: CA, key: KEY, passphrase: 'pp', servername: 'broker.example' } }, fail));
    const ssl = out.ssl as { ca: Buffer[]; cert: Buffer; key: Buffer; passphrase: string; servername: string };
    expect(ssl.ca.map((b) => b.toString())).toEqual([CA]);
    expect(ssl.cert.toString()).toBe(CA);
    expect(ssl.key.toString()).toBe(KEY);
    expect(ssl.passphrase).toBe('pp');
    expect(ssl.servername).toBe('broker.example');
    expect(out.sasl).toBeUndefined();
    expect(kafkaJsSecurity(checkKafkaConnection('kafka', { ssl: true }, fail))).toEqual({ ssl: true });
    expect(kafkaJsSecurity(checkKafkaConnection('kafka', {}, fail))).toEqual({});
  });

  it("passes SCRAM and PLAIN credentials with kafkajs's mechanism names", () => {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    expect(kafkaJsSecurity(checkKafkaConnection('kafka', { sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } }, fail)).sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(kafkaJsSecurity(checkKafkaConnection('kafka', { sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' } }, fail)).sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
  });

  /** Runs the OAUTHBEARER authenticator kafkajs gets, against a broker that answers each SaslAuthenticate with `answers` in turn. */
  async function oauthExchange(tokenProvider: () => string | Promise<string>, answers: string[]): Promise<{ sent: string[]; error: unknown }> {
    const fail = (m: string): never => {
      throw new Error(m);
    };
    const sasl = kafkaJsSecurity(checkKafkaConnection('kafka', { sasl: { mechanism: 'oauthbearer', tokenProvider } }, fail)).sasl as Mechanism;
    expect(sasl.mechanism).toBe('oauthbearer');
    const sent: string[] = [];
    const frame = (text: string) => {
      const b = Buffer.alloc(4 + Buffer.byteLength(text));
      b.writeInt32BE(Buffer.byteLength(text), 0);
      b.write(text, 4);
      return b;
    };
    const saslAuthenticate = (async ({ request, response }: SaslAuthenticateArgs<unknown>) => {
      const bytes = await request.encode();
      expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
      sent.push(bytes.subarray(4).toString());
      const raw = frame(answers[sent.length - 1] ?? '');
      return response === undefined ? undefined : response.parse(await response.decode(raw));
    }) as AuthenticationProviderArgs['saslAuthenticate'];
    const logger = {} as AuthenticationProviderArgs['logger'];
    const error = await sasl.authenticationProvider({ host: 'b', port: 9093, logger, saslAuthenticate }).authenticate().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { sent, error };
  }

  it('OAUTHBEARER: asks the token provider at every authentication and sends the token in the RFC 7628 message', async () => {
    let calls = 0;
    const provider = async () => `token-${++calls}`;
    expect(await oauthExchange(provider, [''])).toEqual({ sent: ['n,,\u0001auth=Bearer token-1\u0001\u0001'], error: undefined });
    expect((await oauthExchange(provider, [''])).sent).toEqual(['n,,\u0001auth=Bearer token-2\u0001\u0001']);
  });

  it("OAUTHBEARER: the broker's error challenge is a refusal, answered with %x01 and reported as AUTHENTICATION_FAILED without the token", async () => {
    const { sent, error } = await oauthExchange(() => 'secret-jwt', ['{"status":"invalid_token"}', '']);
    expect(sent).toEqual(['n,,\u0001auth=Bearer secret-jwt\u0001\u0001', '\u0001']);
    expect(toTransportError('Transport.connect', error)).toMatchObject({ code: TransportErrorCode.AUTHENTICATION_FAILED, retriable: false });
    expect(toTransportError('Transport.connect', error).message).toMatch(/^Transport\.connect: the broker refused the OAUTHBEARER token \(invalid_token\); check kafka\.sasl\.tokenProvider/);
    expect(inspect(error, { depth: 10 })).not.toContain('secret-jwt');
  });

  it('OAUTHBEARER: a failing provider is a retriable AUTHENTICATION_FAILED that survives kafkajs retries; an empty token is refused', async () => {
    const { sent, error } = await oauthExchange(() => Promise.reject(new Error('identity provider unreachable')), []);
    expect(sent).toEqual([]);
    // kafkajs must not retry on the same connection; rivulet may, on a new one.
    expect(error).toMatchObject({ retriable: false, transient: true, message: 'kafka.sasl.tokenProvider failed: identity provider unreachable' });
    for (const thrown of [error, new kafkajs.KafkaJSNumberOfRetriesExceeded(error as Error, { retryCount: 5, retryTime: 2000 })]) {
      expect(toTransportError('Transport.connect', thrown)).toMatchObject({
        code: TransportErrorCode.AUTHENTICATION_FAILED,
        retriable: true,
        message: 'Transport.connect: kafka.sasl.tokenProvider failed: identity provider unreachable',
      });
    }
    const empty = toTransportError('Transport.connect', (await oauthExchange(() => '', [])).error);
    expect(empty).toMatchObject({ code: TransportErrorCode.AUTHENTICATION_FAILED, retriable: false, message: expect.stringMatching(/tokenProvider must resolve to a non-empty token string/) as unknown });
  });
});

describe('kafkajs security failures', () => {
  it('a refused SASL authentication is RIVULET_TRANSPORT_AUTHENTICATION_FAILED, not retriable, naming kafka.sasl', () => {
    // kafkajs's typings declare no constructor arguments; its code takes the message.
    const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
    const sasl = new SaslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
    for (const thrown of [sasl, new kafkajs.KafkaJSNumberOfRetriesExceeded(sasl, { retryCount: 1, retryTime: 100 })]) {
      const e = toTransportError('Transport.connect', thrown);
      expect(e.code).toBe(TransportErrorCode.AUTHENTICATION_FAILED);
      expect(e.retriable).toBe(false);
      expect(e.message).toMatch(/^Transport\.connect: the broker refused SASL authentication \(SASL SCRAM SHA512 authentication failed: invalid credentials\); check kafka\.sasl/);
    }
  });

  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain', /not signed by a CA the client trusts; check kafka\.ssl\.ca/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames", /does not name the host connected to; .*kafka\.ssl\.servername/],
    ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', '80AC:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/rec_layer_s3.c:1601:SSL alert number 42\n', /\(sslv3 alert bad certificate, ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE\).*kafka\.ssl\.cert and kafka\.ssl\.key/],
  ])('a TLS failure %s after kafkajs retries is RIVULET_TRANSPORT_TLS_FAILED, not retriable', (code, message, hint) => {
    const connection = new kafkajs.KafkaJSConnectionError(`Connection error: ${message}`, { broker: '127.0.0.1:9093', code });
    const e = toTransportError('Transport.connect', new kafkajs.KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 3, retryTime: 800 }));
    expect(e.code).toBe(TransportErrorCode.TLS_FAILED);
    expect(e.retriable).toBe(false);
    expect(e.message).toMatch(hint);
  });

  it('a plain connection failure stays a retriable RIVULET_TRANSPORT_NOT_CONNECTED', () => {
    const e = toTransportError('Transport.connect', new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9', { code: 'ECONNREFUSED' }));
    expect(e.code).toBe(TransportErrorCode.NOT_CONNECTED);
    expect(e.retriable).toBe(true);
  });
});
