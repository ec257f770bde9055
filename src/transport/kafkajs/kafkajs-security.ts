/**
 * Maps rivulet's {@link CheckedKafkaConnection} TLS and SASL settings onto
 * kafkajs's `ssl` and `sasl` options (kafkajs passes `ssl` to Node's
 * `tls.connect`, and speaks PLAIN, SCRAM and OAUTHBEARER itself).
 * @module
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { CheckedKafkaConnection, Pem } from '../kafka-connection.js';
import { TransportErrorCode, transportError } from '../transport-error-codes.js';

/** kafkajs's `ssl` and `sasl` for `connection`, absent when not configured. */
export function kafkaJsSecurity(connection: CheckedKafkaConnection): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: { ssl?: boolean | ConnectionOptions; sasl?: SASLOptions } = {};
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
    const provider = sasl.tokenProvider;
    out.sasl = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const token: unknown = await provider();
        if (typeof token !== 'string' || token.length === 0) {
          throw transportError(TransportErrorCode.AUTHENTICATION_FAILED, `kafka.sasl.tokenProvider must resolve to a non-empty token string (got ${typeof token === 'string' ? 'an empty string' : typeof token})`);
        }
        return { value: token };
      },
    };
  } else if (sasl !== undefined) {
    // kafkajs's SASLOptions is a union discriminated by mechanism; each arm has username and password.
    out.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
  }
  return out;
}

function toBuffer(pem: Pem): Buffer {
  return typeof pem === 'string' ? Buffer.from(pem, 'utf8') : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
}
