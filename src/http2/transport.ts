// The socket under a node:http2 session: dialled by the transport layer (TCP,
// with TLS on top of it for h2). Its events time the set-up as for HTTP/1, and
// the TCP socket stays reachable so that --close reset can abort it with RST.
import { dial, type SocketTarget } from '../transport/socket.js';
import { nowUs, type ConnectionTiming } from '../transport/timing.js';
import type net from 'node:net';

export interface Http2Target extends SocketTarget {
  /** `http://host:port` (h2c) or `https://host:port` (h2) */
  authority: string;
}

export interface Transport {
  tcp: net.Socket;
  /** what node:http2 runs on: the TLS socket, or `tcp` itself for h2c */
  socket: net.Socket;
}

// http/1.1 is offered too, so a server without h2 says so instead of failing the handshake.
const ALPN_H2 = ['h2', 'http/1.1'] as const;

/** Starts connecting; lookup, connect (and, by the caller, secureConnect) are stamped into `timing`. */
export function openTransport(target: Http2Target, nodelay: boolean, localAddress: string | undefined, timing: ConnectionTiming): Transport {
  const { tcp, stream } = dial(target, { nodelay, alpn: ALPN_H2, localAddress });
  tcp.once('lookup', () => (timing.lookupEndUs = nowUs()));
  tcp.once('connect', () => (timing.connectEndUs = nowUs()));
  return { tcp, socket: stream };
}
