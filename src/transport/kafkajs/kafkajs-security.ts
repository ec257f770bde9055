/**
 * Maps rivulet's {@link CheckedKafkaConnection} TLS and SASL settings onto
 * kafkajs's `ssl` and `sasl` options (kafkajs passes `ssl` to Node's
 * `tls.connect`, and speaks PLAIN, SCRAM and OAUTHBEARER itself).
 * @module
 */
import type { ConnectionOptions } from 'node:tls';
import type { AuthenticationProviderArgs, Authenticator, KafkaConfig, Mechanism, SASLOptions } from 'kafkajs';
import type { CheckedKafkaConnection, Pem } from '../kafka-connection.js';
import { AuthenticationFailure } from './kafkajs-errors.js';

/** kafkajs's `ssl` and `sasl` for `connection`, absent when not configured. */
export function kafkaJsSecurity(connection: CheckedKafkaConnection): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: { ssl?: boolean | ConnectionOptions; sasl?: SASLOptions | Mechanism } = {};
  const { ssl, sasl } = connection;
  if (ssl === true) out.ssl = true;
  else if (ssl !== false) {
    const tls: ConnectionOptions = {};
    if (ssl.ca !== undefined) tls.ca = (Array.isArray(ssl.ca) ? ssl.ca : [ssl.ca]).map(toBuffer);
    if (ssl.cert !== undefined) tls.cert = toBuffer(ssl.cert);
    if (ssl.key !== undefined) tls.key = toBuffer(ssl.key);
    if (ssl.passphrase !== undefined) tls.passphrase = ssl.passphrase;
    if (ssl.servername !== undefined) tls.servername = ssl.servername;
    out.ssl = tls;
  }
  if (sasl?.mechanism === 'oauthbearer') {
    out.sasl = { mechanism: 'oauthbearer', authenticationProvider: oauthBearer(sasl.tokenProvider) };
  } else if (sasl !== undefined) {
    // kafkajs's SASLOptions is a union discriminated by mechanism; each arm has username and password.
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  }
  return out;
}

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255) through kafkajs's public custom-mechanism
 * hook. kafkajs's own OAUTHBEARER ignores the broker's answer, and a broker that
 * refuses the token answers with an error challenge, not an error code: kafkajs
 * took that for success and the refusal showed up only as "No brokers in the
 * broker pool" on the next request. Here a challenge is a refusal, answered
 * with %x01 as the RFC asks, and reported as AUTHENTICATION_FAILED at connect.
 */
function oauthBearer(tokenProvider: () => string | Promise<string>): (args: AuthenticationProviderArgs) => Authenticator {
  return ({ saslAuthenticate }) => ({
    authenticate: async () => {
      let token: unknown;
      try {
        token = await tokenProvider();
      } catch (e) {
        // Transient: an identity provider that is briefly down heals; rivulet retries with a new connection.
        throw new AuthenticationFailure(`kafka.sasl.tokenProvider failed: ${e instanceof Error ? e.message : String(e)}`, true, e);
      }
      if (typeof token !== 'string' || token.length === 0) {
        throw new AuthenticationFailure(`kafka.sasl.tokenProvider must resolve to a non-empty token string (got ${typeof token === 'string' ? 'an empty string' : typeof token})`, false);
      }
      const challenge = await saslAuthenticate<Buffer>({
        request: { encode: () => kafkaBytes(`n,,\u0001auth=Bearer ${token}\u0001\u0001`) },
        response: { decode: (raw) => raw, parse: (raw) => fromKafkaBytes(raw) },
      });
      if (challenge === undefined || challenge.length === 0) return;
      // The challenge is JSON with the reason (`status`, e.g. invalid_token), never the token.
      let status = 'no status';
      try {
        status = String((JSON.parse(challenge.toString('utf8')) as { status?: unknown }).status ?? status);
      } catch {
        // not JSON: keep 'no status'
      }
      await saslAuthenticate({ request: { encode: () => kafkaBytes('\u0001') } }).catch(() => undefined);
      throw new AuthenticationFailure(
        `the broker refused the OAUTHBEARER token (${status}); check kafka.sasl.tokenProvider: the token's signature, issuer, audience, expiry and scope as the broker validates them`,
        false,
      );
    },
  });
}

/** Kafka's BYTES: an int32 length, then the bytes (what kafkajs's SaslAuthenticate request carries). */
function kafkaBytes(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

function fromKafkaBytes(raw: Buffer): Buffer {
  if (raw.length < 4) return Buffer.alloc(0);
  const n = raw.readInt32BE(0);
  return n <= 0 ? Buffer.alloc(0) : raw.subarray(4, 4 + n);
}

function toBuffer(pem: Pem): Buffer {
  return typeof pem === 'string' ? Buffer.from(pem, 'utf8') : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}
