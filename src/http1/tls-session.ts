// TLS facts of a connection and session resumption across new connections
// (`--tls-session-reuse`), shared by the HTTP/1.x and HTTP/2 connections.
import type tls from 'node:tls';
import type { Connection } from '../strategies/types.js';

export type SecureFacts = NonNullable<Connection['secure']>;

/** One ticket kept per worker, as a browser keeps one per origin. */
export class TlsSessionCache {
  private session: Buffer | undefined;
  get(): Buffer | undefined {
    return this.session;
  }
  set(session: Buffer): void {
    this.session = session;
  }
}

/** Once secure: version, cipher, ALPN, resumption; a full handshake's session is kept for the next connection. */
export function secureFacts(socket: tls.TLSSocket, sessions: TlsSessionCache | null): SecureFacts {
  const cipher = socket.getCipher();
  const resumed = socket.isSessionReused();
  if (sessions !== null && !resumed) {
    const session = socket.getSession();
    if (session) sessions.set(session);
  }
  return {
    version: socket.getProtocol() ?? null,
    cipher: cipher?.name ?? null,
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    resumed,
  };
}
