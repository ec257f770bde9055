/**
 * Finds why a TLS connection broke off after the handshake. Under TLS 1.3 a
 * broker that requires a client certificate refuses it only after the client
 * has finished its side of the handshake; the library then reports a closed
 * connection and drops the TLS alert. This probe opens one connection with the
 * same TLS settings, sends an ApiVersions request and returns the socket error
 * (with Node's TLS code) if the broker refuses.
 * @module
 */
import { connect, type ConnectionOptions } from 'node:tls';

const PROBE_MS = 3000;

/** The TLS error of a fresh connection to `broker` (`host:port`), or undefined if none shows within a few seconds. */
export function probeTls(broker: string, tls: ConnectionOptions): Promise<Error | undefined> {
  const i = broker.lastIndexOf(':');
  const host = broker.slice(0, i);
  const port = Number(broker.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ ...tls, host, port, ...(tls.servername === undefined ? { servername: host } : {}) });
    const done = (e: Error | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(e);
    };
    const timer = setTimeout(() => done(undefined), PROBE_MS);
    socket.once('error', (e) => done(e));
    socket.once('data', () => done(undefined));
    socket.once('secureConnect', () => {
      // ApiVersions v0: size, api key 18, version 0, correlation id 1, client id 'rivulet-probe'.
      const clientId = Buffer.from('rivulet-probe', 'utf8');
      const body = Buffer.alloc(10 + clientId.length);
      body.writeInt16BE(18, 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(1, 4);
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      socket.write(Buffer.concat([size, body]));
    });
  });
}
