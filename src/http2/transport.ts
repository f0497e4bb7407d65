// The socket under an HTTP/2 session: our own TCP socket, with TLS on top of it
// for h2. Its events time the set-up as for HTTP/1, and the TCP socket stays
// reachable so that --close reset can abort it with RST even under TLS.
import net from 'node:net';
import tls from 'node:tls';
import type { TlsSessionCache } from '../http1/tls-session.js';
import { nowUs, type ConnectionTiming } from '../metrics/timing.js';

export interface Http2Target {
  /** `http://host:port` (h2c) or `https://host:port` (h2) */
  authority: string;
  host: string;
  port: number;
  tls: { servername: string; ca: string | null; insecure: boolean; sessions: TlsSessionCache | null } | null;
}

export interface Transport {
  tcp: net.Socket;
  /** what node:http2 runs on: the TLS socket, or `tcp` itself for h2c */
  socket: net.Socket;
}

/** Starts connecting; lookup, connect (and, by the caller, secureConnect) are stamped into `timing`. */
export function openTransport(target: Http2Target, nodelay: boolean, localAddress: string | undefined, timing: ConnectionTiming): Transport {
  const tcp = net.connect({ host: target.host, port: target.port, localAddress, noDelay: nodelay });
  tcp.once('lookup', () => (timing.lookupEndUs = nowUs()));
  tcp.once('connect', () => (timing.connectEndUs = nowUs()));
  const t = target.tls;
  if (t === null) return { tcp, socket: tcp };
  tcp.on('error', ignoreError); // reported again by the TLS socket
  const socket = tls.connect({
    socket: tcp,
    servername: net.isIP(t.servername) ? undefined : t.servername,
    // http/1.1 is offered too, so a server without h2 says so instead of failing the handshake.
    ALPNProtocols: ['h2', 'http/1.1'],
    rejectUnauthorized: !t.insecure,
    ca: t.ca ?? undefined,
    session: t.sessions?.get(),
  });
  const sessions = t.sessions;
  if (sessions !== null) socket.on('session', (s: Buffer) => sessions.set(s));
  return { tcp, socket };
}

function ignoreError(): void {}
