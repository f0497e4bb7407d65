// The one opener of connections: TCP (and TLS over our own TCP socket), the
// set-up timestamps, socket errors turned into codes and close kinds, the close
// rules carried out, and cleartext sockets connected again. A protocol is handed
// a TransportSocket and hears its events through SocketUser; it never touches
// net or tls itself (undici's split: who owns the socket, what runs on it).
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientClose } from './close-policy.js';
import type { CloseKind } from './connection.js';
import { nowUs, type ConnectionTiming } from './timing.js';
import { connectTls, secureFacts, type SecureFacts, type TlsTarget } from './tls.js';

export interface SocketTarget {
  host: string;
  port: number;
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
  onSocketData(chunk: Buffer): void;
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
  /** the stream a protocol reads and writes: the TLS socket, or the TCP socket in cleartext */
  readonly stream: net.Socket;
  /** the TCP socket under `stream` (the same socket in cleartext): --close reset aborts it */
  readonly tcp: net.Socket;
  private closeKind: CloseKind | null = null;
  private closeCode: string | null = null;
  private errorMessage: string | null = null;

  constructor(
    private readonly user: SocketUser,
    target: SocketTarget,
    private readonly options: SocketOptions,
  ) {
    this.timing = { startUs: nowUs(), lookupEndUs: 0, connectEndUs: 0, secureEndUs: 0 };
    const spare = target.tls === null ? spareSockets.pop() : undefined;
    if (spare !== undefined) {
      this.stream = this.tcp = spare.connect(tcpOptions(target, options));
    } else {
      ({ tcp: this.tcp, stream: this.stream } = dial(target, options, cleartextRead));
    }
    if (target.tls !== null) {
      const sessions = target.tls.sessions;
      this.stream.once('secureConnect', () => {
        this.timing.secureEndUs = nowUs();
        this.secure = secureFacts(this.stream as tls.TLSSocket, sessions);
        this.becomeReady();
      });
    }
    (this.tcp as OwnedSocket)[OWNER] = this;
    (this.stream as OwnedSocket)[OWNER] = this;
    if (spare === undefined) listen(this.tcp, this.stream);
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
    this.tcp.setNoDelay(this.options.nodelay); // a no-op on a Unix socket
    if (this.cleartext) this.becomeReady();
  }

  private becomeReady(): void {
    this.ready = true;
    this.user.onSocketReady();
  }

  onData(chunk: Buffer): void {
    this.user.onSocketData(chunk);
  }

  onEnd(): void {
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

function tcpOptions(target: SocketTarget, options: SocketOptions): net.NetConnectOpts {
  if (target.path) return { path: target.path };
  return { host: target.host, port: target.port, localAddress: options.localAddress, noDelay: options.nodelay };
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

/** Cleartext reads go into one buffer per thread (each worker has its own module instance) and are
 *  handled before the callback returns: no Buffer per read, no 'data' event (a protocol copies only what
 *  it keeps). Returns true: keep reading. */
const cleartextRead: net.OnReadOpts = {
  buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
  callback(this: net.Socket, bytes: number, buf: Uint8Array): boolean {
    owner(this).onData((buf as Buffer).subarray(0, bytes));
    return true;
  },
};

// What every socket of the thread shares: Node calls these with `this` = the socket, which carries
// its TransportSocket. 10,000 open connections do not hold 10,000 sets of closures.
const listeners = {
  lookup(this: net.Socket): void {
    owner(this).onLookup();
  },
  connect(this: net.Socket): void {
    owner(this).onConnect();
  },
  data(this: net.Socket, chunk: Buffer): void {
    owner(this).onData(chunk);
  },
  end(this: net.Socket): void {
    owner(this).onEnd();
  },
  error(this: net.Socket, err: NodeJS.ErrnoException): void {
    owner(this).onError(err);
  },
  close(this: net.Socket): void {
    owner(this).onClose();
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
