// connload's own HTTP/1.x connection over net/tls: requests written in order,
// responses parsed as they stream in and matched to requests in order (4.6).
// It owns the socket and the timeline; the engine decides what to send.
import net from 'node:net';
import type tls from 'node:tls';
import type { ClientClose, CloseRule } from '../transport/close-policy.js';
import { nowUs, type ConnectionTiming, type Exchange } from '../transport/timing.js';
import type { CloseKind, Connection, ConnectionEvents, RetireReason } from '../transport/connection.js';
import type { RequestBytes } from './request.js';
import { ResponseParser, type ParserEvents, type ResponseHead } from './response-parser.js';
import { connectTls, secureFacts, type TlsSessionCache, type TlsTarget } from '../transport/tls.js';

export interface Http1Profile {
  /** Request bytes per path index: for an ordinary request and for the last one on a connection. */
  requests: Array<{ keep: RequestBytes; last: RequestBytes }>;
  isHead: boolean;
  splitWrites: boolean;
  nodelay: boolean;
  /** Requests in flight at once (pipeline depth, 1 otherwise). */
  depth: number;
  /** The strategy's rule: may the connection carry another request after this response? */
  reusable(head: ResponseHead): boolean;
  /** --close for this protocol (transport/close-policy.ts) */
  close: CloseRule;
}

export interface Http1Target {
  host: string;
  port: number;
  tls: TlsTarget | null;
}

const READ_BUFFER_BYTES = 64 * 1024;

/** On each socket: its connection, for the listeners below that every connection shares. */
const CONNECTION = Symbol('connload.http1Connection');
type OwnedSocket = net.Socket & { [CONNECTION]: Http1Connection };
const owner = (socket: net.Socket): Http1Connection => (socket as OwnedSocket)[CONNECTION];

/** Cleartext sockets of this thread whose connection ended cleanly, kept to connect again. Node lets a
 *  socket connect anew once 'close' has been emitted (net.Socket#connect): a new TCP connection, with a
 *  new handle and port, without building a new stream and its listeners. With a connection per request,
 *  building them was a third of the thread's time. */
const spareSockets: net.Socket[] = [];

export class Http1Connection implements Connection, ParserEvents {
  readonly timing: ConnectionTiming;
  connected = false;
  responses = 0;
  sent = 0;
  lastActiveUs: number;
  idleTimeoutUs = 0;
  announcedClose = false;
  keepAliveHeader: string | null = null;
  keepAliveMax: number | null = null;
  /** TLS details once secure: version, cipher, ALPN, resumed. */
  secure: { version: string | null; cipher: string | null; alpn: string | null; resumed: boolean } | null = null;

  private readonly socket: net.Socket;
  /** the TCP socket under `socket` (the same socket in cleartext) */
  private readonly tcp: net.Socket;
  private readonly parser: ResponseParser;
  private readonly queue: Exchange[] = [];
  /** requests handed over before the socket was connected (made on first need) */
  private pending: Array<{ ex: Exchange; last: boolean }> | null = null;
  private open = true;
  /** false once a response, the strategy or the client said this connection takes no more requests */
  private accepting = true;
  /** how the client ends the connection once it is retired, or null while it is not */
  private retireBy: ClientClose | null = null;
  private closeKind: CloseKind | null = null;
  private closeCode: string | null = null;
  private errorMessage: string | null = null;
  private chunkUs = 0;
  /** Keep-Alive max= from the server: requests it still allows, or -1 (4.5.5) */
  private keepAliveLeft = -1;

  constructor(
    readonly id: number,
    private readonly events: ConnectionEvents,
    private readonly profile: Http1Profile,
    target: Http1Target,
    localAddress: string | undefined,
  ) {
    const startUs = nowUs();
    this.timing = { startUs, lookupEndUs: 0, connectEndUs: 0, secureEndUs: 0 };
    this.lastActiveUs = startUs;
    this.parser = new ResponseParser(this);
    const base = { host: target.host, port: target.port, localAddress, noDelay: profile.nodelay };
    let fresh = true;
    if (target.tls) {
      const t = target.tls;
      this.tcp = net.connect(base);
      this.socket = connectTls(this.tcp, t, ['http/1.1']);
      this.socket.once('secureConnect', () => this.onSecure(t.sessions));
    } else {
      const spare = spareSockets.pop();
      fresh = spare === undefined;
      this.socket = this.tcp = spare?.connect(base) ?? net.connect({ ...base, onread: Http1Connection.cleartextRead });
    }
    (this.tcp as OwnedSocket)[CONNECTION] = this;
    (this.socket as OwnedSocket)[CONNECTION] = this;
    if (fresh) this.listen(target.tls !== null);
  }

  /** A socket's listeners: the same functions for every connection, so a spare socket keeps them
   *  (also for a later phase's target: 'lookup' only comes when there is a name to look up). */
  private listen(secure: boolean): void {
    const shared = Http1Connection.listeners;
    this.tcp.on('lookup', shared.lookup);
    this.tcp.on('connect', shared.connect);
    if (secure) this.socket.on('data', shared.data);
    this.socket.on('end', shared.end);
    this.socket.on('error', shared.error);
    this.socket.on('close', shared.close);
  }

  // What every connection of the thread shares: Node calls these with `this` = the socket, which
  // carries its connection. 10,000 open connections do not hold 10,000 sets of closures.
  /** Cleartext reads go into one buffer per thread (each worker has its own module instance) and are
   *  parsed before the callback returns: no Buffer per read, no 'data' event (the parser copies only an
   *  unfinished head). Returns true: keep reading. */
  private static readonly cleartextRead: net.OnReadOpts = {
    buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
    callback(this: net.Socket, bytes: number, buf: Uint8Array): boolean {
      owner(this).onData((buf as Buffer).subarray(0, bytes));
      return true;
    },
  };

  private static readonly listeners = {
    lookup(this: net.Socket): void {
      owner(this).timing.lookupEndUs = nowUs();
    },
    connect(this: net.Socket): void {
      const conn = owner(this);
      conn.timing.connectEndUs = nowUs();
      conn.socket.setNoDelay(conn.profile.nodelay);
      if (conn.socket === conn.tcp) conn.onReady();
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
      owner(this).onSocketClose();
    },
  };

  get oldestSentUs(): number {
    const ex = this.queue[0] ?? this.pending?.[0]?.ex;
    return ex === undefined ? 0 : ex.writeEndUs || ex.issueUs;
  }

  get inFlight(): number {
    return this.pending === null ? this.queue.length : this.queue.length + this.pending.length;
  }

  canSend(): boolean {
    return this.accepting && this.open && this.inFlight < this.profile.depth && this.keepAliveLeft !== 0;
  }

  send(ex: Exchange, last: boolean): void {
    this.sent++;
    if (this.keepAliveLeft > 0) this.keepAliveLeft--;
    if (last) this.accepting = false;
    if (!this.connected) {
      (this.pending ??= []).push({ ex, last });
      return;
    }
    this.write(ex, last);
  }

  takeUnanswered(): Exchange[] {
    const left = this.queue.splice(0);
    if (this.pending !== null) for (const p of this.pending.splice(0)) left.push(p.ex);
    return left;
  }

  retire(reason: RetireReason): void {
    this.accepting = false;
    this.retireBy = reason === 'last' ? this.profile.close.retire : this.profile.close.evict;
    if (this.inFlight === 0) this.closeNow();
  }

  destroy(kind: CloseKind): void {
    if (!this.open) return;
    this.closeKind ??= kind;
    this.socket.destroy();
  }

  // --- ParserEvents ---------------------------------------------------------

  onMessageBegin(): void {
    const ex = this.queue[0];
    if (ex !== undefined && ex.firstByteUs === 0) ex.firstByteUs = this.chunkUs;
  }

  onInformational(): void {}

  onHeaders(head: ResponseHead): boolean {
    const ex = this.queue[0];
    if (ex !== undefined) ex.statusCode = head.statusCode;
    this.keepAliveHeader = head.keepAliveHeader;
    this.keepAliveMax = head.keepAliveMax;
    if (head.keepAliveTimeoutS !== null) this.idleTimeoutUs = head.keepAliveTimeoutS * 1e6;
    // 4.5.5: max= is how many more requests the server will take on this connection.
    if (head.keepAliveMax !== null) this.keepAliveLeft = Math.max(0, head.keepAliveMax - this.inFlight + 1);
    if (this.profile.isHead) {
      // A response to HEAD has no body whatever its headers say, so its framing cannot end the connection.
      head.keepAlive = head.keepAliveWithoutBody;
      head.bodyKind = 'none';
    }
    if (!this.profile.reusable(head)) {
      this.accepting = false;
      this.announcedClose = true;
    }
    return this.profile.isHead;
  }

  onMessageComplete(): void {
    const ex = this.queue.shift();
    if (ex === undefined) return;
    ex.endUs = this.chunkUs;
    this.responses++;
    this.lastActiveUs = this.chunkUs;
    this.events.onResponse(this, ex);
    if (this.retireBy !== null && this.inFlight === 0) this.closeNow();
  }

  // --- socket ---------------------------------------------------------------

  private onReady(): void {
    this.connected = true;
    this.events.onConnected(this);
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) for (const { ex, last } of pending) this.write(ex, last);
  }

  private onSecure(sessions: TlsSessionCache | null): void {
    this.timing.secureEndUs = nowUs();
    this.secure = secureFacts(this.socket as tls.TLSSocket, sessions);
    this.onReady();
  }

  private write(ex: Exchange, last: boolean): void {
    const bytes = last ? this.profile.requests[ex.pathIndex]!.last : this.profile.requests[ex.pathIndex]!.keep;
    this.queue.push(ex);
    if (this.profile.splitWrites && bytes.body !== null) {
      this.socket.write(bytes.head);
      this.socket.write(bytes.body);
    } else {
      this.socket.write(bytes.whole);
    }
    ex.writeEndUs = nowUs();
    this.lastActiveUs = ex.writeEndUs;
  }

  private onData(chunk: Buffer): void {
    // One timestamp per read: every event parsed from this chunk shares it.
    this.chunkUs = nowUs();
    if (this.queue.length === 0) {
      // Bytes nobody asked for: the server is out of step with us.
      this.fail('parse-error');
      return;
    }
    if (this.parser.execute(chunk) !== null) this.fail('parse-error');
  }

  private onEnd(): void {
    this.closeKind ??= 'server-fin';
    this.chunkUs = nowUs();
    const state = this.parser.finish();
    if (state === 'truncated') this.closeCode ??= 'truncated';
    else if (this.queue.length > 0 && this.closeCode === null && this.queue[0]!.firstByteUs > 0) this.closeCode = 'truncated';
    // Cleartext: the server has closed, so close at once. One close() sends our FIN, where the
    // stream's automatic end() would shutdown() first (a syscall and a tick more per connection).
    if (this.socket === this.tcp) this.socket.destroy();
  }

  private onError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ERR_UNKNOWN';
    if (!this.connected) {
      this.closeCode ??= code;
      this.errorMessage ??= err.message;
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') this.closeKind ??= 'server-reset';
    else this.closeKind ??= 'error';
    this.closeCode ??= code;
  }

  private onSocketClose(): void {
    this.open = false;
    this.accepting = false;
    if (!this.connected) {
      if (this.closeKind === 'stopped') return;
      const code = this.closeCode ?? (this.closeKind === 'timeout' ? 'ETIMEDOUT' : 'ECONNCLOSED');
      this.events.onConnectFailed(this, code, this.errorMessage ?? `connection closed before it was established (${code})`);
      return;
    }
    const kind = this.closeKind ?? 'server-fin';
    // Only a clean end: a socket that failed may still hold a listener or state for its own error.
    if (this.socket === this.tcp && this.closeCode === null && (kind === 'server-fin' || kind === 'client' || kind === 'client-reset')) {
      spareSockets.push(this.socket);
    }
    this.events.onClosed(this, kind, this.closeCode);
  }

  private fail(code: string): void {
    this.closeCode ??= code;
    this.destroy('error');
  }

  /** 4.7: close by the rule once the last response is in. */
  private closeNow(): void {
    if (!this.open || this.closeKind !== null) return;
    switch (this.retireBy) {
      case 'rst':
        this.closeKind = 'client-reset';
        this.tcp.resetAndDestroy();
        break;
      case 'fin':
        this.closeKind = 'client';
        this.socket.end();
        break;
      case 'await-server':
      case null:
        // The last request asked the server to close: wait for its FIN,
        // which leaves the TIME_WAIT on the server (4.2.7).
        break;
    }
  }
}
