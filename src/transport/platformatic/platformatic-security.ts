/**
 * Maps rivulet's {@link KafkaConnectionConfig} onto @platformatic/kafka's
 * connection options (`tls` is passed to Node's `tls.connect`; PLAIN, SCRAM
 * and OAUTHBEARER are spoken by the library).
 * @module
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ConnectionOptions, SASLOptions } from '@platformatic/kafka';
import type { KafkaConnectionConfig, Pem } from '../kafka-connection.js';

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
      const provider = sasl.tokenProvider;
      out.sasl = { mechanism: 'OAUTHBEARER', token: async () => provider() } satisfies SASLOptions;
    } else if ('username' in sasl) {
      out.sasl = { mechanism: MECHANISMS[mechanism as keyof typeof MECHANISMS], username: sasl.username, password: sasl.password };
    }
  }
  return out;
}
