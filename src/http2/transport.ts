// The socket under an HTTP/2 session: our own TCP socket, with TLS on top of it
// for h2. Its events time the set-up as for HTTP/1, and the TCP socket stays
// reachable so that --close reset can abort it with RST even under TLS.
import net from 'node:net';
import { connectTls, type TlsTarget } from '../transport/tls.js';
import { nowUs, type ConnectionTiming } from '../transport/timing.js';

export interface Http2Target {
  /** `http://host:port` (h2c) or `https://host:port` (h2) */
  authority: string;
  host: string;
  port: number;
  tls: TlsTarget | null;
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
  if (target.tls === null) return { tcp, socket: tcp };
  // http/1.1 is offered too, so a server without h2 says so instead of failing the handshake.
  return { tcp, socket: connectTls(tcp, target.tls, ['h2', 'http/1.1']) };
}
