// TLS for the HTTP/1.x and HTTP/2 connections: the handshake over our own TCP
// socket, the facts of a connection once secure, and session resumption across
// new connections (`--tls-session-reuse`).
import net from 'node:net';
import tls from 'node:tls';

/** TLS facts of a connection once secure. */
export interface SecureFacts {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  resumed: boolean;
}

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

/** How to reach a target over TLS. */
export interface TlsTarget {
  servername: string;
  ca: string | null;
  insecure: boolean;
  sessions: TlsSessionCache | null;
}

/**
 * TLS over a TCP socket of our own, so that --close reset can still abort that socket with RST.
 * The TCP socket's errors come again from the TLS socket, which is the one to listen to.
 */
export function connectTls(tcp: net.Socket, target: TlsTarget, alpn: readonly string[]): tls.TLSSocket {
  tcp.on('error', ignoreError);
  const socket = tls.connect({
    socket: tcp,
    servername: net.isIP(target.servername) ? undefined : target.servername,
    ALPNProtocols: [...alpn],
    rejectUnauthorized: !target.insecure,
    ca: target.ca ?? undefined,
    session: target.sessions?.get(),
  });
  const sessions = target.sessions;
  if (sessions !== null) socket.on('session', (session: Buffer) => sessions.set(session));
  return socket;
}

function ignoreError(): void {}

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
