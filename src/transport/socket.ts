// The one opener of connections: TCP (and TLS over our own TCP socket), the
// set-up timestamps, socket errors turned into codes and close kinds, the close
// rules carried out, and cleartext sockets connected again. A protocol is handed
// a TransportSocket and hears its events through SocketUser; it never touches
// net or tls itself (undici's split: who owns the socket, what runs on it).
/* eslint-disable @typescript-eslint/unbound-method -- the listeners below are written for Node calling them with `this` = the socket they were added to (shared by every socket, no closure each) */
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientClose } from './close-policy.js';
import type { CloseKind } from './connection.js';
import { nowUs, type ConnectionTiming } from './timing.js';
import { connectTls, secureFacts, type SecureFacts, type TlsTarget } from './tls.js';

export interface SocketTarget {
  host: string;
  port: number;
  /** a forward proxy to open a CONNECT tunnel through (TLS targets), or null */
  tunnel?: TunnelProxy | null;
  /** a Unix domain socket to connect to instead of host and port (the host still names TLS) */
  path?: string | null;
  /** TLS over the TCP socket, or null for cleartext */
  tls: TlsTarget | null;
}

export interface SocketOptions {
  nodelay: boolean;
  /** ALPN protocols offered over TLS */
  alpn: readonly string[];
  localAddress: string | undefined;
}

/** A forward proxy that tunnels to the target with CONNECT. */
export interface TunnelProxy {
  host: string;
  port: number;
  /** Proxy-Authorization value, or null */
  authorization: string | null;
}

/** How a socket ended, once it has closed. */
export interface SocketEnd {
  /** false: it never became ready (connect or TLS failed, or it was stopped first) */
  ready: boolean;
  /** who ended it; null when nobody said (the protocol decides: a close with no error is the server's) */
  kind: CloseKind | null;
  /** the error code that ended it (ECONNRESET, parse-error, ...), or null for a clean end */
  code: string | null;
  /** the system's words for a failed connect, or null */
  message: string | null;
}

/** What a protocol hears from its socket. */
export interface SocketUser {
  /** Cleartext: connected; TLS: the handshake is done (`socket.secure` is set). */
  onSocketReady(): void;
  /** Bytes chunk[0, length): valid only during the call (cleartext reads reuse one buffer). */
  onSocketData(chunk: Buffer, length: number): void;
  /** The server's FIN. */
  onSocketEnd(): void;
  onSocketClosed(end: SocketEnd): void;
}

const READ_BUFFER_BYTES = 64 * 1024;

/** On each net.Socket: its TransportSocket, for the listeners below that every socket shares. */
const OWNER = Symbol('connload.transportSocket');
type OwnedSocket = net.Socket & { [OWNER]: TransportSocket };
const owner = (socket: net.Socket): TransportSocket => (socket as OwnedSocket)[OWNER];

/** Cleartext sockets of this thread whose connection ended cleanly, kept to connect again. Node lets a
 *  socket connect anew once 'close' has been emitted (net.Socket#connect): a new TCP connection, with a
 *  new handle and port, without building a new stream and its listeners. With a connection per request,
 *  building them was a third of the thread's time. */
const spareSockets: net.Socket[] = [];

export class TransportSocket {
  readonly timing: ConnectionTiming;
  ready = false;
  open = true;
  /** TLS facts once secure, else null */
  secure: SecureFacts | null = null;
  /** the stream a protocol reads and writes: the TLS socket, or the TCP socket in cleartext (and while a
   *  tunnel is being opened) */
  stream: net.Socket;
  /** the TCP socket under `stream` (the same socket in cleartext): --close reset aborts it */
  readonly tcp: net.Socket;
  private closeKind: CloseKind | null = null;
  private closeCode: string | null = null;
  private errorMessage: string | null = null;
  /** the peer when it is known without asking the kernel (getpeername is a syscall per connection): the
   *  Unix socket's path, or the IPv4 address dialled (written one way only); null: ask */
  private readonly knownPeer: string | null;
  /** while a CONNECT tunnel is being opened: the target behind it and the proxy's answer so far */
  private tunnel: { target: SocketTarget; head: string } | null = null;

  constructor(
    private readonly user: SocketUser,
    target: SocketTarget,
    private readonly options: SocketOptions,
  ) {
    this.timing = { startUs: nowUs(), lookupEndUs: 0, connectEndUs: 0, tunnelEndUs: 0, secureEndUs: 0, peer: null };
    const family = ipFamily(target.host);
    this.knownPeer = target.path ?? (!target.tunnel && family === 4 ? target.host : null);
    if (target.tunnel && target.tls !== null) {
      // TCP to the proxy first; TLS starts once the proxy has answered CONNECT (onTunnelData).
      this.tunnel = { target, head: '' };
      this.stream = this.tcp = net.connect(tcpOptions({ host: target.tunnel.host, port: target.tunnel.port }, options));
      if (net.isIP(target.tunnel.host) !== 0) process.nextTick(stampConnectStart, this);
      (this.tcp as OwnedSocket)[OWNER] = this;
      listen(this.tcp, this.tcp);
      this.tcp.on('data', listeners.tunnel);
      return;
    }
    const spare = target.tls === null ? spareSockets.pop() : undefined;
    if (spare !== undefined) {
      this.stream = this.tcp = spare.connect(tcpOptions(target, options));
    } else {
      ({ tcp: this.tcp, stream: this.stream } = dial(target, options, cleartextRead));
    }
    if (target.tls !== null) this.awaitSecure(target.tls);
    if (!target.path && family !== 0) process.nextTick(stampConnectStart, this);
    (this.tcp as OwnedSocket)[OWNER] = this;
    (this.stream as OwnedSocket)[OWNER] = this;
    if (spare === undefined) listen(this.tcp, this.stream);
  }

  private awaitSecure(t: TlsTarget): void {
    this.stream.once('secureConnect', () => {
      this.timing.secureEndUs = nowUs();
      this.secure = secureFacts(this.stream as tls.TLSSocket, t.sessions);
      this.becomeReady();
    });
  }

  get cleartext(): boolean {
    return this.stream === this.tcp;
  }

  /** Bytes read so far (for a peer that answered with something else than the protocol expected). */
  get bytesRead(): number {
    return this.stream.bytesRead;
  }

  write(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  /** Ends the connection from our side by a close rule: FIN, RST, or nothing (wait for the server's FIN). */
  close(how: ClientClose): void {
    if (!this.open || this.closeKind !== null) return;
    switch (how) {
      case 'rst':
        this.closeKind = 'client-reset';
        this.tcp.resetAndDestroy();
        break;
      case 'fin':
        this.closeKind = 'client';
        this.stream.end();
        break;
      case 'await-server':
        break;
    }
  }

  /** A protocol's reason for the end to come (`truncated`): kept unless a code is already set. */
  noteCode(code: string): void {
    this.closeCode ??= code;
  }

  /** Ends it now (timeouts, stop, a protocol error): `kind` says who, `code` why (kept if one is set). */
  destroy(kind: CloseKind, code: string | null = null): void {
    if (!this.open) return;
    this.closeKind ??= kind;
    if (code !== null) this.closeCode ??= code;
    this.stream.destroy();
  }

  // --- from the shared listeners ---------------------------------------------

  onLookup(): void {
    this.timing.lookupEndUs = nowUs();
  }

  onConnect(): void {
    this.timing.connectEndUs = nowUs();
    this.timing.peer = this.knownPeer ?? this.tcp.remoteAddress ?? null;
    this.tcp.setNoDelay(this.options.nodelay); // a no-op on a Unix socket
    if (this.tunnel !== null) {
      const { target } = this.tunnel;
      const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
      const auth = target.tunnel!.authorization === null ? '' : `Proxy-Authorization: ${target.tunnel!.authorization}\r\n`;
      this.tcp.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    } else if (this.cleartext) {
      readySoon(this);
    }
  }

  /** The proxy's answer to CONNECT: 2xx opens the tunnel and TLS starts over it; anything else fails the
   *  open with code `proxy-<status>`. */
  onTunnelData(chunk: Buffer): void {
    const tunnel = this.tunnel!;
    tunnel.head += chunk.toString('latin1');
    const end = tunnel.head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (tunnel.head.length > 16 * 1024) this.failTunnel('proxy-parse-error', 'the proxy answered CONNECT with more than 16 KiB of header');
      return;
    }
    const statusLine = tunnel.head.slice(0, tunnel.head.indexOf('\r\n'));
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status === undefined) return this.failTunnel('proxy-parse-error', `the proxy answered CONNECT with ${JSON.stringify(statusLine.slice(0, 80))}`);
    if (!status.startsWith('2')) return this.failTunnel(`proxy-${status}`, `the proxy answered CONNECT with ${statusLine.slice(9, 100)}`);
    this.timing.tunnelEndUs = nowUs();
    this.tunnel = null;
    // The TLS socket takes the TCP socket over: its events go to the TLS socket's listeners from now on.
    this.tcp.off('data', listeners.tunnel);
    this.tcp.off('end', listeners.end);
    this.tcp.off('error', listeners.error);
    this.tcp.off('close', listeners.close);
    const tlsTarget = tunnel.target.tls!;
    this.stream = connectTls(this.tcp, tlsTarget, this.options.alpn);
    (this.stream as OwnedSocket)[OWNER] = this;
    this.awaitSecure(tlsTarget);
    this.stream.on('data', listeners.data);
    this.stream.on('end', listeners.end);
    this.stream.on('error', listeners.error);
    this.stream.on('close', listeners.close);
  }

  private failTunnel(code: string, message: string): void {
    this.closeCode ??= code;
    this.errorMessage ??= message;
    this.tcp.destroy();
  }

  /** @internal the socket is usable: its protocol may send */
  becomeReady(): void {
    if (!this.open) return; // closed between its connect and this round's end
    this.ready = true;
    this.user.onSocketReady();
  }

  onData(chunk: Buffer, length: number): void {
    this.user.onSocketData(chunk, length);
  }

  onEnd(): void {
    if (this.tunnel !== null) {
      this.failTunnel('proxy-closed', 'the proxy closed the connection before answering CONNECT');
      return;
    }
    this.closeKind ??= 'server-fin';
    this.user.onSocketEnd();
    // Cleartext: the server has closed, so close at once. One close() sends our FIN, where the
    // stream's automatic end() would shutdown() first (a syscall and a tick more per connection).
    if (this.cleartext) this.stream.destroy();
  }

  /** Socket errors as codes and close kinds: before the connection is ready, a failed open. */
  onError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ERR_UNKNOWN';
    if (!this.ready) {
      this.closeCode ??= code;
      this.errorMessage ??= err.message;
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') this.closeKind ??= 'server-reset';
    else this.closeKind ??= 'error';
    this.closeCode ??= code;
  }

  onClose(): void {
    this.open = false;
    const kind = this.closeKind;
    // Only a clean end: a socket that failed may still hold a listener or state for its own error.
    if (this.ready && this.cleartext && this.closeCode === null && (kind === null || kind === 'server-fin' || kind === 'client' || kind === 'client-reset')) {
      spareSockets.push(this.stream);
    }
    this.user.onSocketClosed({ ready: this.ready, kind, code: this.closeCode, message: this.errorMessage });
  }
}

/** The last host asked about and its IP family (0: a name): a pool dials one host over and over. */
let familyHost = '';
let familyOfHost = 0;

function ipFamily(host: string): number {
  if (host !== familyHost) {
    familyHost = host;
    familyOfHost = net.isIP(host);
  }
  return familyOfHost;
}

/** The last connect options made, and what they were made of: a pool dials one target over and over
 *  (net.Socket#connect reads its options and keeps none of them). */
let lastTcpOptions: { target: Pick<SocketTarget, 'host' | 'port' | 'path'>; localAddress: string | undefined; nodelay: boolean; opts: net.NetConnectOpts } | null = null;

function tcpOptions(target: Pick<SocketTarget, 'host' | 'port' | 'path'>, options: SocketOptions): net.NetConnectOpts {
  const last = lastTcpOptions;
  if (last !== null && last.target === target && last.localAddress === options.localAddress && last.nodelay === options.nodelay) return last.opts;
  const opts: net.NetConnectOpts = target.path
    ? { path: target.path }
    : { host: target.host, port: target.port, localAddress: options.localAddress, noDelay: options.nodelay };
  lastTcpOptions = { target, localAddress: options.localAddress, nodelay: options.nodelay, opts };
  return opts;
}

/**
 * TCP, and TLS over it when the target asks: the one place connections are dialled. TLS runs over a
 * TCP socket of our own, so that --close reset can still abort that socket with RST. `onread`: cleartext
 * reads into a buffer of the caller's instead of 'data' events.
 */
export function dial(target: SocketTarget, options: SocketOptions, onread?: net.OnReadOpts): { tcp: net.Socket; stream: net.Socket } {
  const base = tcpOptions(target, options);
  if (target.tls === null) {
    const tcp = net.connect(onread === undefined ? base : { ...base, onread });
    return { tcp, stream: tcp };
  }
  const tcp = net.connect(base);
  return { tcp, stream: connectTls(tcp, target.tls, options.alpn) };
}

/**
 * `connect` is timed from the connect call the kernel gets. For an address (no name to look up) Node
 * issues that call on the next tick, after the code that opened the socket has returned: a pool that
 * opens 50 connections at once would otherwise time the first from before the other 49 were built
 * (3 ms against 0.3 ms on an idle machine). This tick is queued right behind Node's for the socket.
 * With a name, the lookup's end starts the clock instead ('lookup').
 */
function stampConnectStart(socket: TransportSocket): void {
  socket.timing.startUs = nowUs();
}

/**
 * Cleartext sockets whose connect came in this round of I/O become ready together once the round is
 * handled (setImmediate runs after the poll phase): each connect is stamped as its event comes, before
 * any other connection's first write, so the last of 50 connects completing together is not timed
 * behind 49 writes. The pool calls flushReady() before it opens the round's new connections, so those
 * first writes do not wait behind the connects either (nginx slept less, and new-connection ran faster).
 */
const readyQueue: TransportSocket[] = [];

function readySoon(socket: TransportSocket): void {
  if (readyQueue.push(socket) === 1) setImmediate(flushReady);
}

/** Makes the sockets that connected in this round ready now (their protocols write their first requests). */
export function flushReady(): void {
  const sockets = readyQueue.splice(0);
  for (const socket of sockets) socket.becomeReady();
}

/** Cleartext reads go into one buffer per thread (each worker has its own module instance) and are
 *  handled before the callback returns: no Buffer per read, not even a view of it, and no 'data' event
 *  (a protocol copies only what it keeps). Returns true: keep reading. */
const cleartextRead: net.OnReadOpts = {
  buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
  callback: function (this: net.Socket, bytes: number, buf: Uint8Array): boolean {
    owner(this).onData(buf as Buffer, bytes);
    return true;
  },
};

// What every socket of the thread shares: Node calls these with `this` = the socket, which carries
// its TransportSocket. 10,000 open connections do not hold 10,000 sets of closures.
const listeners = {
  lookup: function (this: net.Socket): void {
    owner(this).onLookup();
  },
  connect: function (this: net.Socket): void {
    owner(this).onConnect();
  },
  data: function (this: net.Socket, chunk: Buffer): void {
    owner(this).onData(chunk, chunk.length);
  },
  end: function (this: net.Socket): void {
    owner(this).onEnd();
  },
  error: function (this: net.Socket, err: NodeJS.ErrnoException): void {
    owner(this).onError(err);
  },
  close: function (this: net.Socket): void {
    owner(this).onClose();
  },
  tunnel: function (this: net.Socket, chunk: Buffer): void {
    owner(this).onTunnelData(chunk);
  },
};

/** A socket's listeners: the same functions for every connection, so a spare socket keeps them
 *  (also for a later phase's target: 'lookup' only comes when there is a name to look up). */
function listen(tcp: net.Socket, stream: net.Socket): void {
  tcp.on('lookup', listeners.lookup);
  tcp.on('connect', listeners.connect);
  if (stream !== tcp) stream.on('data', listeners.data);
  stream.on('end', listeners.end);
  stream.on('error', listeners.error);
  stream.on('close', listeners.close);
}
