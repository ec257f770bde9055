/**
 * Maps rivulet's {@link KafkaConnectionConfig} onto @platformatic/kafka's
 * connection options (`tls` is passed to Node's `tls.connect`; PLAIN, SCRAM
 * and OAUTHBEARER are spoken by the library).
 * @module
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ConnectionOptions, SASLCustomAuthenticator } from '@platformatic/kafka';
import type { KafkaConnectionConfig, Pem } from '../kafka-connection.js';
import { SaslFailure } from './platformatic-errors.js';

const toBuffer = (p: Pem): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength));

const MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** The library's connection options for `c`. */
export function platformaticConnection(c: KafkaConnectionConfig): ConnectionOptions {
  const out: ConnectionOptions = {};
  if (c.connectionTimeoutMs !== undefined) out.connectTimeout = c.connectionTimeoutMs;
  if (c.requestTimeoutMs !== undefined) out.requestTimeout = c.requestTimeoutMs;
  const { ssl, sasl } = c;
  if (ssl === true) out.tls = {};
  else if (ssl !== undefined && ssl !== false) {
    const tls: TlsOptions = {};
    if (ssl.ca !== undefined) tls.ca = (Array.isArray(ssl.ca) ? (ssl.ca as readonly Pem[]) : [ssl.ca as Pem]).map(toBuffer);
    if (ssl.cert !== undefined) tls.cert = toBuffer(ssl.cert);
    if (ssl.key !== undefined) tls.key = toBuffer(ssl.key);
    if (ssl.passphrase !== undefined) tls.passphrase = ssl.passphrase;
    if (ssl.servername !== undefined) tls.servername = ssl.servername;
    out.tls = tls;
  }
  if (sasl !== undefined) {
    const mechanism = sasl.mechanism.toLowerCase();
    if (mechanism === 'oauthbearer' && 'tokenProvider' in sasl) {
      out.sasl = { mechanism: 'OAUTHBEARER', authenticate: oauthBearer(sasl.tokenProvider) };
    } else if ('username' in sasl) {
      out.sasl = { mechanism: MECHANISMS[mechanism as keyof typeof MECHANISMS], username: sasl.username, password: sasl.password };
    }
  }
  return out;
}

/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255) through the library's public custom
 * authenticator hook. A broker that refuses a token answers with an error
 * challenge (JSON with a `status`), not an error code; the client must answer
 * it with %x01. The library's own OAUTHBEARER does not, and the refusal then
 * shows as ILLEGAL_SASL_STATE on the next request. Here the refusal and a
 * failing token provider are reported as what they are (SaslFailure).
 */
function oauthBearer(tokenProvider: () => string | Promise<string>): SASLCustomAuthenticator {
  return (_mechanism, connection, authenticate, _username, _password, _token, callback) => {
    void (async () => {
      let token: unknown;
      try {
        token = await tokenProvider();
      } catch (e) {
        // Transient: an identity provider that is briefly down heals; a new connection asks again.
        throw new SaslFailure(`kafka.sasl.tokenProvider failed: ${e instanceof Error ? e.message : String(e)}`, true);
      }
      if (typeof token !== 'string' || token.length === 0) {
        throw new SaslFailure(`kafka.sasl.tokenProvider must resolve to a non-empty token string (got ${typeof token === 'string' ? 'an empty string' : typeof token})`, false);
      }
      const response = await authenticate.async(connection, Buffer.from(`n,,\u0001auth=Bearer ${token}\u0001\u0001`, 'utf8'));
      if (response.authBytes.length === 0) return response;
      // The challenge is JSON with the reason (`status`, e.g. invalid_token), never the token.
      let status = 'no status';
      try {
        status = String((JSON.parse(response.authBytes.toString('utf8')) as { status?: unknown }).status ?? status);
      } catch {
        // not JSON: keep 'no status'
      }
      await authenticate.async(connection, Buffer.from('\u0001', 'utf8')).catch(() => undefined);
      throw new SaslFailure(
        `the broker refused the OAUTHBEARER token (${status}); check kafka.sasl.tokenProvider: the token's signature, issuer, audience, expiry and scope as the broker validates them`,
        false,
      );
    })().then(
      (response) => callback(null, response),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  };
}
