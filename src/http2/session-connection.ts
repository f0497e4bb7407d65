// One HTTP/2 session as one Connection (4.3.2, multiplexed): every request is
// a stream, up to min(--streams, the server's SETTINGS_MAX_CONCURRENT_STREAMS)
// in flight. The socket is ours (transport.ts), so connect and TLS are timed as
// for HTTP/1; node:http2 speaks the protocol on it.
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import { nowUs, type ConnectionTiming, type Exchange } from '../transport/timing.js';
import type { ClientClose, CloseRule } from '../transport/close-policy.js';
import type { CloseKind, Connection, ConnectionEvents, RetireReason } from '../transport/connection.js';
import { h2ErrorName, REFUSED_STREAM } from './error-codes.js';
import { alpnNotH2, prefaceRejected, type SessionFailure } from './not-http2.js';
import type { Http2Observer, SessionTally } from '../metrics/http2-observer.js';
import { secureFacts, type SecureFacts, type TlsSessionCache } from '../transport/tls.js';
import { openTransport, type Http2Target } from './transport.js';

export type { Http2Target } from './transport.js';

export interface Http2Profile {
  /** Stream headers per path index (page mode) */
  headers: OutgoingHttpHeaders[];
  body: Buffer | null;
  streamsAsked: number;
  nodelay: boolean;
  /** --close for HTTP/2 (transport/close-policy.ts) */
  close: CloseRule;
}

/** A stream knows its exchange and session, so its listeners are shared functions, not closures. */
interface TaggedStream extends ClientHttp2Stream {
  exchange: Exchange | null;
  owner: Http2SessionConnection;
}

// Flow-control windows as large as browsers and curl open them, so that HTTP/2 flow control
// does not cap a download below what TCP alone would carry (the default is 64 KiB per RTT).
const STREAM_WINDOW_BYTES = 1 << 20;
const SESSION_WINDOW_BYTES = 16 << 20;
const REQUEST_WITH_BODY = { endStream: false };
const REQUEST_WITHOUT_BODY = { endStream: true };

export class Http2SessionConnection implements Connection {
  readonly timing: ConnectionTiming;
  connected = false;
  responses = 0;
  sent = 0;
  lastActiveUs: number;
  readonly idleTimeoutUs = 0;
  readonly keepAliveHeader = null;
  readonly keepAliveMax = null;
  secure: SecureFacts | null = null;

  private readonly tcp: net.Socket;
  /** what node:http2 runs on: the TLS socket, or `tcp` for h2c */
  private readonly socket: net.Socket;
  private readonly session: ClientHttp2Session;
  /** streams open now, oldest first */
  private readonly active = new Set<Exchange>();
  /** handed over before SETTINGS came, or beyond the server's limit */
  private readonly waiting: Exchange[] = [];
  private readonly tally: SessionTally = { streams: 0 };
  /** streams in flight allowed: --streams until the server's SETTINGS say less */
  private limit: number;
  private open = true;
  private accepting = true;
  private goingAway = false;
  /** how the client ends the session once it is retired, or null while it is not */
  private retireBy: ClientClose | null = null;
  private closeKind: CloseKind | null = null;
  private closeCode: string | null = null;
  private failure: SessionFailure | null = null;

  constructor(
    readonly id: number,
    private readonly events: ConnectionEvents,
    private readonly profile: Http2Profile,
    private readonly observer: Http2Observer,
    target: Http2Target,
    localAddress: string | undefined,
  ) {
    const startUs = nowUs();
    this.timing = { startUs, lookupEndUs: 0, connectEndUs: 0, tunnelEndUs: 0, secureEndUs: 0 };
    this.lastActiveUs = startUs;
    this.limit = profile.streamsAsked;
    const transport = openTransport(target, profile.nodelay, localAddress, this.timing);
    this.tcp = transport.tcp;
    this.socket = transport.socket;
    const socket = this.socket;
    const sessions = target.tls?.sessions ?? null;
    if (socket !== this.tcp) socket.once('secureConnect', () => this.onSecure(sessions));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.session = http2.connect(target.authority, {
      createConnection: () => socket,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW_BYTES },
    });
    const session = this.session;
    session.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    session.on('remoteSettings', (settings: http2.Settings) => this.onSettings(settings));
    session.on('goaway', (code: number) => this.onGoaway(code));
    session.once('close', () => this.onSessionClose());
  }

  get inFlight(): number {
    return this.active.size + this.waiting.length;
  }

  get oldestSentUs(): number {
    for (const ex of this.active) return ex.writeEndUs;
    const ex = this.waiting[0];
    return ex === undefined ? 0 : ex.issueUs;
  }

  canSend(): boolean {
    return this.accepting && this.open && !this.goingAway && this.inFlight < this.limit;
  }

  send(ex: Exchange, last: boolean): void {
    this.sent++;
    if (ex.counted) this.tally.streams++;
    if (last) this.accepting = false;
    if (this.connected && this.active.size < this.limit) this.startStream(ex);
    else this.waiting.push(ex);
  }

  takeUnanswered(): Exchange[] {
    const left = [...this.active, ...this.waiting.splice(0)];
    this.active.clear();
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
    this.session.destroy();
  }

  // --- streams ----------------------------------------------------------------

  private startStream(ex: Exchange): void {
    const body = this.profile.body;
    let stream: TaggedStream;
    try {
      stream = this.session.request(this.profile.headers[ex.pathIndex]!, body === null ? REQUEST_WITHOUT_BODY : REQUEST_WITH_BODY) as TaggedStream;
    } catch {
      // The session is closing under us: the request stays unanswered and goes back to the engine on close.
      this.waiting.unshift(ex);
      return;
    }
    stream.exchange = ex;
    stream.owner = this;
    stream.on('response', onStreamResponse);
    stream.on('end', onStreamEnd);
    stream.on('close', onStreamClose);
    stream.on('error', ignoreStreamError);
    if (body !== null) stream.end(body);
    stream.resume(); // the body is read and dropped: only its timing matters
    ex.writeEndUs = nowUs();
    this.lastActiveUs = ex.writeEndUs;
    this.active.add(ex);
    this.observer.streamsInFlight(this.active.size);
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.active.size < this.limit && this.open && !this.session.closed) {
      this.startStream(this.waiting.shift()!);
    }
  }

  /** END_STREAM from the server: a complete response. */
  streamEnded(stream: TaggedStream, ex: Exchange): void {
    stream.exchange = null;
    if (!this.active.delete(ex)) return;
    ex.endUs = nowUs();
    this.responses++;
    this.lastActiveUs = ex.endUs;
    this.startWaiting();
    this.events.onResponse(this, ex);
    if (this.retireBy !== null && this.inFlight === 0) this.closeNow();
  }

  /** The stream closed without END_STREAM from the server: RST_STREAM, either side. */
  streamClosed(stream: TaggedStream, ex: Exchange): void {
    stream.exchange = null;
    // A session going down takes its streams with it: those are reported together when it closes.
    if (!this.active.has(ex) || this.session.destroyed) return;
    const code = stream.rstCode ?? 0;
    // Streams the server refused after GOAWAY were never processed: they go back with the session (retried).
    if (code === REFUSED_STREAM && this.goingAway) return;
    this.active.delete(ex);
    const name = h2ErrorName(code);
    this.observer.streamReset(name);
    this.startWaiting();
    this.events.onRequestFailed(this, ex, `RST_STREAM_${name}`);
    if (this.retireBy !== null && this.inFlight === 0) this.closeNow();
  }

  // --- session ----------------------------------------------------------------

  private onSecure(sessions: TlsSessionCache | null): void {
    this.timing.secureEndUs = nowUs();
    this.secure = secureFacts(this.socket as tls.TLSSocket, sessions);
    if (this.secure.alpn !== 'h2') {
      this.failure = alpnNotH2(this.secure.alpn);
      // After node:http2 has set the session up on this socket, so that it closes cleanly.
      setImmediate(() => this.session.destroy());
    }
  }

  private onSettings(settings: http2.Settings): void {
    const maxStreams = settings.maxConcurrentStreams ?? 0xffffffff;
    this.limit = Math.min(this.profile.streamsAsked, maxStreams);
    if (!this.connected) {
      if (this.failure !== null) return;
      this.connected = true;
      this.session.setLocalWindowSize(SESSION_WINDOW_BYTES);
      this.observer.sessionOpened(this.tally, maxStreams);
      this.events.onConnected(this);
    }
    this.startWaiting();
  }

  /** 4.7-style close by the server: no new streams; streams above its last stream id were refused. */
  private onGoaway(code: number): void {
    // A graceful shutdown sends two GOAWAYs (RFC 9113 6.8): the session is counted once.
    if (this.goingAway) return;
    this.goingAway = true;
    this.accepting = false;
    this.closeKind ??= 'server-fin';
    const name = h2ErrorName(code);
    if (code !== 0) this.closeCode ??= `GOAWAY_${name}`;
    if (this.connected) this.observer.goaway(name);
  }

  private onError(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'ERR_UNKNOWN';
    if (!this.connected) {
      // node:http2 reports a peer whose first frame is not SETTINGS as ERR_HTTP2_ERROR (a protocol error).
      const cleartext = this.socket === this.tcp;
      this.failure ??= code === 'ERR_HTTP2_ERROR' && cleartext ? prefaceRejected(this.socket.bytesRead) : { code, message: err.message };
      return;
    }
    if (code === 'ECONNRESET' || code === 'EPIPE') this.closeKind ??= 'server-reset';
    else this.closeKind ??= 'error';
    this.closeCode ??= code;
  }

  private onSessionClose(): void {
    this.open = false;
    this.accepting = false;
    if (!this.connected) {
      if (this.closeKind === 'stopped') return;
      const f = this.connectFailure();
      this.events.onConnectFailed(this, f.code, f.message);
      return;
    }
    this.observer.sessionEnded(this.tally);
    this.events.onClosed(this, this.closeKind ?? 'server-fin', this.closeCode);
  }

  /** Why the session never became usable; a peer that does not speak HTTP/2 is named as such. */
  private connectFailure(): SessionFailure {
    if (this.failure !== null) return this.failure;
    if (this.closeKind === 'timeout') return { code: 'ETIMEDOUT', message: 'no HTTP/2 SETTINGS from the server within --connect-timeout' };
    // Connected, then closed without a word of HTTP/2.
    if (this.timing.connectEndUs > 0 && this.socket === this.tcp) return prefaceRejected(this.socket.bytesRead);
    return { code: 'ECONNCLOSED', message: 'connection closed before the server sent its HTTP/2 SETTINGS' };
  }

  /** 4.7 by the close rule: close the session (node:http2 sends GOAWAY first), or abort the TCP socket
   *  with RST (`reset`). */
  private closeNow(): void {
    if (!this.open || this.closeKind !== null) return;
    if (this.retireBy === 'rst') {
      this.closeKind = 'client-reset';
      this.tcp.resetAndDestroy();
    } else {
      this.closeKind = 'client';
      this.session.close();
    }
  }


}

function onStreamResponse(this: TaggedStream, headers: IncomingHttpHeaders): void {
  const ex = this.exchange;
  if (ex === null) return;
  ex.firstByteUs = nowUs();
  ex.statusCode = Number(headers[':status']);
}

function onStreamEnd(this: TaggedStream): void {
  const ex = this.exchange;
  if (ex !== null) this.owner.streamEnded(this, ex);
}

function onStreamClose(this: TaggedStream): void {
  const ex = this.exchange;
  if (ex !== null) this.owner.streamClosed(this, ex);
}

/** Stream errors arrive again as the stream's close with its rstCode, where they are counted. */
function ignoreStreamError(): void {}
