/**
 * How rivulet connects to a secured Kafka cluster: TLS and SASL in rivulet's own
 * terms, so the client library behind the transport can change without changing
 * a service's configuration. The kafkajs transport maps them in
 * kafkajs/kafkajs-security.ts.
 *
 * Secrets (passwords, private keys, key passphrases, tokens) are never put into
 * an error message: validation names the field and what was wrong with it only.
 * @module
 */

/** PEM text (or its bytes): `-----BEGIN ...-----` blocks, e.g. `readFileSync('ca.pem', 'utf8')`. */
export type Pem = string | Uint8Array;

/**
 * TLS to the brokers (Kafka's `security.protocol` `SSL` or `SASL_SSL`).
 *
 * @example
 * ssl: { ca: readFileSync('ca.pem', 'utf8'), cert: readFileSync('client.pem', 'utf8'), key: readFileSync('client-key.pem', 'utf8') }
 */
export interface KafkaSslConfig {
  /**
   * The CA certificates that may sign the brokers' certificates (Kafka's
   * `ssl.truststore.*`); default: Node's bundled public CAs, which is right for
   * managed services whose brokers have publicly signed certificates.
   */
  readonly ca?: Pem | readonly Pem[];
  /** The client certificate chain, for brokers that require client authentication (`ssl.client.auth=required`). Needs `key`. */
  readonly cert?: Pem;
  /** The private key of `cert` (Kafka's `ssl.keystore.*`). A secret. Needs `cert`. */
  readonly key?: Pem;
  /** The passphrase of an encrypted `key` (Kafka's `ssl.key.password`). A secret. */
  readonly passphrase?: string;
  /**
   * The host name the brokers' certificates must name, when it differs from the
   * address connected to (SNI and hostname verification; Kafka's clients verify
   * the hostname too, `ssl.endpoint.identification.algorithm=https`).
   */
  readonly servername?: string;
}

/** SASL mechanisms with a username and password; Kafka's upper-case names are accepted too. */
export type KafkaSaslPasswordMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** SASL PLAIN or SCRAM (Kafka's `sasl.mechanism` with `sasl.jaas.config` credentials). */
export interface KafkaSaslPasswordConfig {
  readonly mechanism: KafkaSaslPasswordMechanism | Uppercase<KafkaSaslPasswordMechanism>;
  readonly username: string;
  /** A secret. */
  readonly password: string;
}

/**
 * SASL OAUTHBEARER: the client asks `tokenProvider` for a token at every
 * authentication (each new connection), so a provider that caches and refreshes
 * its token keeps long-running instances connected (Kafka's
 * `sasl.login.callback.handler.class`).
 */
export interface KafkaSaslOAuthBearerConfig {
  readonly mechanism: 'oauthbearer' | 'OAUTHBEARER';
  /** Resolves to the compact JWT to present. The token is a secret. */
  readonly tokenProvider: () => string | Promise<string>;
}

/** SASL authentication to the brokers (over TLS when `ssl` is set: `SASL_SSL`). */
export type KafkaSaslConfig = KafkaSaslPasswordConfig | KafkaSaslOAuthBearerConfig;

/**
 * Connection settings of a Kafka cluster beyond its bootstrap `brokers`.
 *
 * @example
 * kafka: {
 *   ssl: { ca: readFileSync('ca.pem', 'utf8') },
 *   sasl: { mechanism: 'scram-sha-512', username: 'orders-app', password: process.env.KAFKA_PASSWORD! },
 * }
 */
export interface KafkaConnectionConfig {
  /** TLS: `true` trusts Node's public CAs; an object sets the CA and a client certificate. Default: plaintext. */
  readonly ssl?: boolean | KafkaSslConfig;
  /** SASL authentication. Default: none. */
  readonly sasl?: KafkaSaslConfig;
  /** Bound on opening a connection, TLS and SASL included, ms. Default 3000 (managed clusters far away may need 10 000). */
  readonly connectionTimeoutMs?: number;
  /** Bound on one request's answer, ms. Default 30 000. */
  readonly requestTimeoutMs?: number;
}

/** A validated {@link KafkaConnectionConfig}: mechanisms lower-cased, PEM as given. */
export interface CheckedKafkaConnection {
  readonly ssl: false | true | KafkaSslConfig;
  readonly sasl: (KafkaSaslPasswordConfig & { readonly mechanism: KafkaSaslPasswordMechanism }) | (KafkaSaslOAuthBearerConfig & { readonly mechanism: 'oauthbearer' }) | undefined;
  readonly connectionTimeoutMs: number | undefined;
  readonly requestTimeoutMs: number | undefined;
}

const PASSWORD_MECHANISMS: readonly string[] = ['plain', 'scram-sha-256', 'scram-sha-512'];
const SSL_KEYS = new Set(['ca', 'cert', 'key', 'passphrase', 'servername']);
const CONNECTION_KEYS = new Set(['ssl', 'sasl', 'connectionTimeoutMs', 'requestTimeoutMs']);

/** What a value is, for messages, without its content (it may be a secret). */
function shape(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : `a string of ${v.length} characters`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  return typeof v;
}

function pemText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
  return undefined;
}

/**
 * Checks `c` (from `where`, e.g. `KafkaStreams: kafka`), failing through `fail`
 * with a message that names the field, what is wrong and what to do, and
 * never the value of a secret.
 */
export function checkKafkaConnection(where: string, c: unknown, fail: (message: string) => never): CheckedKafkaConnection {
  if (c === undefined) return { ssl: false, sasl: undefined, connectionTimeoutMs: undefined, requestTimeoutMs: undefined };
  if (typeof c !== 'object' || c === null || Array.isArray(c)) fail(`${where} must be an object with ssl, sasl, connectionTimeoutMs or requestTimeoutMs (got ${shape(c)})`);
  const conn = c as Record<string, unknown>;
  for (const k of Object.keys(conn)) {
    if (!CONNECTION_KEYS.has(k)) fail(`${where}: unknown setting '${k}'; known are ${[...CONNECTION_KEYS].join(', ')}`);
  }
  const ms = (name: string): number | undefined => {
    const v = conn[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(`${where}.${name} must be a whole number of ms > 0 (got ${String(v)})`);
    return v;
  };
  return redactedWhenShown({
    ssl: checkSsl(`${where}.ssl`, conn['ssl'], fail),
    sasl: checkSasl(`${where}.sasl`, conn['sasl'], fail),
    connectionTimeoutMs: ms('connectionTimeoutMs'),
    requestTimeoutMs: ms('requestTimeoutMs'),
  });
}

/** The settings of `c` that are set, for a transport's config (`createKafkaTransport({ brokers, ...connectionSettings(c) })`). */
export function connectionSettings(c: CheckedKafkaConnection): KafkaConnectionConfig {
  return {
    ...(c.ssl === false ? {} : { ssl: c.ssl }),
    ...(c.sasl === undefined ? {} : { sasl: c.sasl }),
    ...(c.connectionTimeoutMs === undefined ? {} : { connectionTimeoutMs: c.connectionTimeoutMs }),
    ...(c.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: c.requestTimeoutMs }),
  };
}

const REDACTED = '[redacted]';

/**
 * `c` itself, shown with its secrets replaced by `[redacted]` when serialized
 * (`JSON.stringify`) or inspected (`console.log`, `util.inspect`): the resolved
 * config is reachable as `KafkaStreams.config`, and a service that logs it must
 * not log the password, the private key or the token provider's output.
 */
function redactedWhenShown(c: CheckedKafkaConnection): CheckedKafkaConnection {
  const view = (): Record<string, unknown> => {
    const { ssl, sasl } = c;
    return {
      ssl: typeof ssl === 'boolean' ? ssl : { ...ssl, ...(ssl.key === undefined ? {} : { key: REDACTED }), ...(ssl.passphrase === undefined ? {} : { passphrase: REDACTED }) },
      sasl: sasl === undefined ? undefined : sasl.mechanism === 'oauthbearer' ? { mechanism: sasl.mechanism, tokenProvider: '[function]' } : { ...sasl, password: REDACTED },
      connectionTimeoutMs: c.connectionTimeoutMs,
      requestTimeoutMs: c.requestTimeoutMs,
    };
  };
  Object.defineProperties(c, {
    toJSON: { value: view, enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: view, enumerable: false },
  });
  return Object.freeze(c);
}

function checkSsl(where: string, v: unknown, fail: (message: string) => never): CheckedKafkaConnection['ssl'] {
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be true or an object with ca, cert, key, passphrase, servername (got ${shape(v)})`);
  const ssl = v as Record<string, unknown>;
  for (const k of Object.keys(ssl)) {
    if (!SSL_KEYS.has(k)) fail(`${where}: unknown setting '${k}'; known are ${[...SSL_KEYS].join(', ')}`);
  }
  const pem = (name: string, value: unknown, kind: 'CERTIFICATE' | 'PRIVATE KEY'): void => {
    const text = pemText(value);
    const header = kind === 'CERTIFICATE' ? /-----BEGIN (TRUSTED )?CERTIFICATE-----/ : /-----BEGIN ([A-Z]+ )*PRIVATE KEY-----/;
    if (text === undefined || !header.test(text)) {
      fail(`${where}.${name} must be PEM text with a '-----BEGIN ${kind}-----' block, e.g. readFileSync('${kind === 'CERTIFICATE' ? 'ca.pem' : 'client-key.pem'}', 'utf8') (got ${shape(value)}${text === undefined ? '' : ' without such a block'}); a file path is not read`);
    }
  };
  const { ca, cert, key, passphrase, servername } = ssl;
  if (ca !== undefined) {
    const list = Array.isArray(ca) ? ca : [ca];
    if (list.length === 0) fail(`${where}.ca must not be an empty array; leave it out to trust Node's public CAs`);
    list.forEach((one, i) => pem(Array.isArray(ca) ? `ca[${i}]` : 'ca', one, 'CERTIFICATE'));
  }
  if ((cert === undefined) !== (key === undefined)) {
    fail(`${where}: a client certificate needs both cert and key (got only ${cert === undefined ? 'key' : 'cert'})`);
  }
  if (cert !== undefined) pem('cert', cert, 'CERTIFICATE');
  if (key !== undefined) pem('key', key, 'PRIVATE KEY');
  if (passphrase !== undefined && (typeof passphrase !== 'string' || key === undefined)) {
    fail(`${where}.passphrase must be a string and goes with an encrypted key (got ${shape(passphrase)}${key === undefined ? ' without key' : ''})`);
  }
  if (servername !== undefined && (typeof servername !== 'string' || servername.length === 0)) {
    fail(`${where}.servername must be a non-empty host name (got ${shape(servername)})`);
  }
  return ssl as KafkaSslConfig;
}

function checkSasl(where: string, v: unknown, fail: (message: string) => never): CheckedKafkaConnection['sasl'] {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object with a mechanism (got ${shape(v)})`);
  const sasl = v as Record<string, unknown>;
  const raw = sasl['mechanism'];
  const mechanism = typeof raw === 'string' ? raw.toLowerCase() : undefined;
  if (mechanism === 'oauthbearer') {
    const provider = sasl['tokenProvider'];
    if (typeof provider !== 'function') fail(`${where}.tokenProvider must be a function returning the token (or a promise of it) for OAUTHBEARER (got ${shape(provider)})`);
    for (const k of Object.keys(sasl)) {
      if (k !== 'mechanism' && k !== 'tokenProvider') fail(`${where}: unknown setting '${k}' for OAUTHBEARER; known are mechanism, tokenProvider`);
    }
    return { mechanism: 'oauthbearer', tokenProvider: provider as KafkaSaslOAuthBearerConfig['tokenProvider'] };
  }
  if (mechanism === undefined || !PASSWORD_MECHANISMS.includes(mechanism)) {
    fail(`${where}.mechanism must be 'plain', 'scram-sha-256', 'scram-sha-512' or 'oauthbearer' (got ${typeof raw === 'string' ? JSON.stringify(raw) : shape(raw)})`);
  }
  const { username, password } = sasl;
  if (typeof username !== 'string' || username.length === 0) fail(`${where}.username must be a non-empty string (got ${shape(username)})`);
  if (typeof password !== 'string' || password.length === 0) fail(`${where}.password must be a non-empty string (got ${shape(password)})`);
  for (const k of Object.keys(sasl)) {
    if (k !== 'mechanism' && k !== 'username' && k !== 'password') fail(`${where}: unknown setting '${k}' for ${mechanism.toUpperCase()}; known are mechanism, username, password`);
  }
  return { mechanism: mechanism as KafkaSaslPasswordMechanism, username, password };
}
