// One HTTP/2 session as one Connection (4.3.2, multiplexed), on connload's own
// frame codec and HPACK: every request is a stream, up to
// min(--streams, the server's SETTINGS_MAX_CONCURRENT_STREAMS) in flight. The
// socket is the transport's (transport/socket.ts), timed as for HTTP/1, and
// each stream is stamped as HTTP/1 requests are: writeEnd when its HEADERS (and
// body) went to the socket, firstByte at its first HEADERS, end at END_STREAM.
import { nowUs, type ConnectionTiming, type Exchange } from '../transport/timing.js';
import { clientCloseFor, type ClientClose, type CloseRule } from '../transport/close-policy.js';
import type { CloseKind, Connection, ConnectionEvents, RetireReason } from '../transport/connection.js';
import { TransportSocket, type SocketEnd, type SocketUser } from '../transport/socket.js';
import type { SecureFacts } from '../transport/tls.js';
import {
  COMPRESSION_ERROR,
  ENHANCE_YOUR_CALM,
  FLOW_CONTROL_ERROR,
  h2ErrorName,
  NO_ERROR,
  PROTOCOL_ERROR,
  REFUSED_STREAM,
  SETTINGS_TIMEOUT,
  STREAM_CLOSED,
} from './error-codes.js';
import { FrameDecoder, type FrameHandler } from './frame-decoder.js';
import {
  CLIENT_PREFACE,
  dataBytes,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW_BYTES,
  FRAME_HEADER_BYTES,
  headersBytes,
  MAX_WINDOW_BYTES,
  Setting,
  settingsBytes,
  writeData,
  writeGoaway,
  writeHeaders,
  writePing,
  writePingPayload,
  writeRstStream,
  writeSettings,
  writeWindowUpdate,
  settingsRecord,
  type SettingsValues,
} from './frames.js';
import { FrameWriter } from './frame-writer.js';
import { HpackDecoder } from './hpack/decoder.js';
import { PingClock } from './ping-clock.js';
import { alpnNotH2, prefaceRejected, type SessionFailure } from './not-http2.js';
import type { Http2Observer, SessionTally } from '../metrics/http2-observer.js';
import type { Http2Target } from './transport.js';

export type { Http2Target } from './transport.js';

export interface Http2ClientProfile {
  /** HPACK header block of each path (page mode), encoded once without dynamic-table state */
  blocks: Buffer[];
  /** each block's fields as HTTP/1 text lines would take (header compression) */
  plainBytes: number[];
  body: Buffer | null;
  streamsAsked: number;
  nodelay: boolean;
  /** --close for HTTP/2 (transport/close-policy.ts) */
  close: CloseRule;
  /** how long the server may take to acknowledge our SETTINGS (6.5.3): --timeout */
  settingsAckTimeoutUs: number;
}

// Flow-control windows as large as browsers and curl open them, so that HTTP/2 flow control
// does not cap a download below what TCP alone would carry (the default is 64 KiB per RTT).
const STREAM_WINDOW_BYTES = 1 << 20;
const SESSION_WINDOW_BYTES = 16 << 20;
const OUR_SETTINGS: ReadonlyArray<readonly [number, number]> = [
  [Setting.ENABLE_PUSH, 0],
  [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW_BYTES],
];
const STATUS = Buffer.from(':status');
const LAST_STREAM_ID = 0x7fffffff;
// http/1.1 is offered too, so a server without h2 says so instead of failing the handshake.
const ALPN_H2 = ['h2', 'http/1.1'] as const;

/** A request on the wire. */
interface Stream {
  id: number;
  ex: Exchange;
  /** the final (non-1xx) response HEADERS came */
  answered: boolean;
  /** DATA consumed and not yet given back by WINDOW_UPDATE */
  unacked: number;
  /** body bytes written so far, and the stream's send window */
  bodySent: number;
  sendWindow: number;
  /** when its body began to wait for window (flow-control waits), or 0 */
  blockedSinceUs: number;
}

export class Http2ClientSession implements Connection, FrameHandler, SocketUser {
  connected = false;
  responses = 0;
  sent = 0;
  lastActiveUs: number;
  readonly idleTimeoutUs = 0;
  readonly keepAliveHeader = null;
  readonly keepAliveMax = null;
  announcedClose = false;

  private readonly socket: TransportSocket;
  private readonly out: FrameWriter;
  private readonly decoder: FrameDecoder;
  private readonly hpack = new HpackDecoder();
  /** streams open now, oldest first */
  private readonly streams = new Map<number, Stream>();
  /** handed over before SETTINGS came, or beyond the server's limit */
  private readonly waiting: Exchange[] = [];
  /** refused by a GOAWAY (above its last stream id): never processed, returned for a retry on another session */
  private readonly refused: Exchange[] = [];
  /** streams whose body waits for the server's window to open */
  private readonly blocked: Stream[] = [];
  /** streams written since the last flush, stamped with writeEnd when it happens */
  private readonly unstamped: Exchange[] = [];
  /** streams we reset: their frames in flight are dropped, not errors */
  private readonly resetByUs = new Set<number>();
  private readonly tally: SessionTally = { streams: 0 };
  private nextStreamId = 1;
  /** streams in flight allowed: --streams until the server's SETTINGS say less */
  private limit: number;
  private serverMaxStreams = 0xffffffff;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private peerInitialWindow = DEFAULT_WINDOW_BYTES;
  private sendWindow = DEFAULT_WINDOW_BYTES;
  private sessionUnacked = 0;
  private readonly pings = new PingClock();
  /** the :status of the header block being decoded */
  private status = 0;
  /** the server's first bytes, until the session is up (what a server that is not HTTP/2 sent) */
  private firstBytes: Buffer = Buffer.alloc(0);
  /** when our SETTINGS went out, until the server acknowledges them (then 0) */
  private settingsSentUs = 0;
  /** plain bytes of the header block being decoded, and blocks each way so far (header compression) */
  private fieldBytes = 0;
  private blocksReceived = 0;
  private blocksSent = 0;
  private accepting = true;
  private goingAway = false;
  /** our GOAWAY went out (a close rule, or a connection error): nothing more is sent */
  private goawaySent = false;
  private retireBy: ClientClose | null = null;
  /** why the session never became usable, when we found out (ALPN, not HTTP/2) */
  private failure: SessionFailure | null = null;

  constructor(
    readonly id: number,
    private readonly events: ConnectionEvents,
    private readonly profile: Http2ClientProfile,
    private readonly observer: Http2Observer,
    target: Http2Target,
    localAddress: string | undefined,
  ) {
    this.limit = profile.streamsAsked;
    this.decoder = new FrameDecoder(this);
    this.socket = new TransportSocket(this, target, { nodelay: profile.nodelay, alpn: ALPN_H2, localAddress });
    this.out = new FrameWriter(this.socket, this.stampWritten);
    this.lastActiveUs = this.socket.timing.startUs;
  }

  get timing(): ConnectionTiming {
    return this.socket.timing;
  }

  get secure(): SecureFacts | null {
    return this.socket.secure;
  }

  private get open(): boolean {
    return this.socket.open;
  }

  get inFlight(): number {
    return this.streams.size + this.waiting.length + this.refused.length;
  }

  get oldestSentUs(): number {
    for (const s of this.streams.values()) return s.ex.writeEndUs || s.ex.issueUs;
    const ex = this.waiting[0] ?? this.refused[0];
    return ex === undefined ? 0 : ex.issueUs;
  }

  canSend(): boolean {
    return this.accepting && this.open && !this.goingAway && this.inFlight < this.limit && this.nextStreamId < LAST_STREAM_ID;
  }

  send(ex: Exchange, last: boolean): void {
    this.sent++;
    if (ex.counted) this.tally.streams++;
    if (last) this.accepting = false;
    if (this.connected && this.streams.size < this.limit) {
      this.startStream(ex);
      this.out.flushSoon();
    } else this.waiting.push(ex);
  }

  takeUnanswered(): Exchange[] {
    const left: Exchange[] = [];
    for (const s of this.streams.values()) left.push(s.ex);
    left.push(...this.refused.splice(0), ...this.waiting.splice(0));
    this.streams.clear();
    this.blocked.length = 0;
    return left;
  }

  retire(reason: RetireReason): void {
    this.accepting = false;
    this.retireBy = clientCloseFor(this.profile.close, reason);
    if (this.inFlight === 0) this.closeNow();
  }

  destroy(kind: CloseKind): void {
    this.decoder.stop();
    this.socket.destroy(kind);
  }

  // --- SocketUser -------------------------------------------------------------

  /** Connected (h2c) or TLS done (h2): RFC 9113 3.4, preface, SETTINGS, the session window opened to
   *  16 MiB, and a first PING for the RTT. */
  onSocketReady(): void {
    const secure = this.socket.secure;
    if (secure !== null && secure.alpn !== 'h2') {
      this.failure = alpnNotH2(secure.alpn);
      this.destroy('error');
      return;
    }
    const bytes = CLIENT_PREFACE.length + settingsBytes(OUR_SETTINGS) + FRAME_HEADER_BYTES + 4;
    const buf = this.out.room(bytes);
    let o = this.out.pos;
    o += CLIENT_PREFACE.copy(buf, o);
    o = writeSettings(buf, o, OUR_SETTINGS);
    this.settingsSentUs = nowUs();
    o = writeWindowUpdate(buf, o, 0, SESSION_WINDOW_BYTES - DEFAULT_WINDOW_BYTES);
    this.out.pos = o;
    this.ping();
    this.out.flush();
  }

  private ping(): void {
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.pings.sent(nowUs());
    this.out.pos = writePing(buf, this.out.pos, false, 0, this.id);
  }

  onSocketData(buf: Buffer, length: number): void {
    const chunk = length === buf.length ? buf : buf.subarray(0, length);
    // Kept to say what a server that does not speak HTTP/2 sent instead (copied: the read buffer is shared).
    if (!this.connected && this.firstBytes.length === 0) this.firstBytes = Buffer.from(chunk.subarray(0, 8));
    this.decoder.push(chunk);
    // 6.5.3: SETTINGS not acknowledged in time is a connection error (checked as frames come; a server that
    // goes silent is ended by --timeout).
    if (this.settingsSentUs > 0 && this.open && nowUs() - this.settingsSentUs > this.profile.settingsAckTimeoutUs) {
      this.settingsSentUs = 0;
      this.connectionError(SETTINGS_TIMEOUT, 'no SETTINGS ACK within --timeout');
    }
    if (this.connected && !this.goawaySent && this.pings.due(nowUs())) this.ping();
    if (this.open) this.out.flush();
  }

  onSocketEnd(): void {}

  onSocketClosed(end: SocketEnd): void {
    this.accepting = false;
    this.decoder.stop();
    if (!this.connected) {
      if (end.kind === 'stopped') return;
      const f = this.connectFailure(end);
      this.events.onConnectFailed(this, f.code, f.message);
      return;
    }
    this.observer.sessionEnded(this.tally);
    this.events.onClosed(this, end.kind ?? 'server-fin', end.code);
  }

  /** Why the session never became usable; a peer that does not speak HTTP/2 is named as such. */
  private connectFailure(end: SocketEnd): SessionFailure {
    if (this.failure !== null) return this.failure;
    if (end.code !== null && !end.ready) return { code: end.code, message: end.message ?? `connection failed (${end.code})` };
    if (end.kind === 'timeout') return { code: 'ETIMEDOUT', message: 'no HTTP/2 SETTINGS from the server within --connect-timeout' };
    // Connected, then closed without a word of HTTP/2.
    if (end.ready && this.socket.cleartext) return prefaceRejected(this.firstBytes);
    return { code: 'ECONNCLOSED', message: 'connection closed before the server sent its HTTP/2 SETTINGS' };
  }

  // --- frames in --------------------------------------------------------------

  onSettings(settings: SettingsValues | null): void {
    if (settings === null) {
      this.settingsSentUs = 0; // our SETTINGS acknowledged
      return;
    }
    this.observer.settings?.(settingsRecord(settings));
    if (settings.maxFrameSize !== undefined) this.peerMaxFrameSize = settings.maxFrameSize;
    if (settings.initialWindowSize !== undefined) {
      // 6.9.2: a new initial window changes every open stream's window by the difference.
      const delta = settings.initialWindowSize - this.peerInitialWindow;
      this.peerInitialWindow = settings.initialWindowSize;
      for (const s of this.streams.values()) {
        s.sendWindow += delta;
        if (s.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
      }
    }
    if (settings.maxConcurrentStreams !== undefined) {
      this.serverMaxStreams = settings.maxConcurrentStreams;
      this.limit = Math.min(this.profile.streamsAsked, settings.maxConcurrentStreams);
    }
    const buf = this.out.room(FRAME_HEADER_BYTES);
    this.out.pos = writeSettings(buf, this.out.pos, null);
    if (!this.connected) {
      this.connected = true;
      this.observer.sessionOpened(this.tally, this.serverMaxStreams);
      this.events.onConnected(this);
    }
    this.sendBlocked();
    this.startWaiting();
  }

  onHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    if (!this.connected) return this.notHttp2();
    // The response's first byte is here, whether or not its block decodes.
    const open = this.streams.get(streamId);
    if (open !== undefined && open.ex.firstByteUs === 0) open.ex.firstByteUs = nowUs();
    // The block is decoded whatever its stream: it changes the session's HPACK table.
    this.status = 0;
    this.fieldBytes = 0;
    const problem = this.hpack.decode(block, this.onField);
    if (problem !== null) return this.connectionError(COMPRESSION_ERROR, problem);
    this.observer.headerBlock?.(false, this.blocksReceived++ === 0, block.length, this.fieldBytes);
    const s = open ?? this.streamFor(streamId);
    if (s === null) return;
    const ex = s.ex;
    if (!s.answered) {
      if (this.status === 0) return this.streamError(s, PROTOCOL_ERROR);
      // 1xx: an interim response; the final one follows in another HEADERS.
      if (this.status >= 200 || endStream) {
        s.answered = true;
        ex.statusCode = this.status;
      }
    } else if (!endStream) return this.streamError(s, PROTOCOL_ERROR); // trailers must end the stream (8.1)
    if (endStream) this.streamEnded(s);
  }

  private readonly onField = (name: Buffer, value: Buffer): void => {
    // As an HTTP/1 line: "name: value" CRLF.
    this.fieldBytes += name.length + value.length + 4;
    if (name.length !== 7 || name[1] !== 0x73 || !name.equals(STATUS)) return;
    if (value.length === 3) this.status = (value[0]! - 48) * 100 + (value[1]! - 48) * 10 + (value[2]! - 48);
    if (this.status < 100 || this.status > 999) this.status = 0;
  };

  onData(streamId: number, _data: Buffer, endStream: boolean, flowBytes: number): void {
    if (!this.connected) return this.notHttp2();
    this.sessionUnacked += flowBytes;
    // Given back once half the session window is used, in one WINDOW_UPDATE.
    if (this.sessionUnacked >= SESSION_WINDOW_BYTES / 2) {
      const buf = this.out.room(FRAME_HEADER_BYTES + 4);
      this.out.pos = writeWindowUpdate(buf, this.out.pos, 0, this.sessionUnacked);
      this.sessionUnacked = 0;
    }
    const s = this.streamFor(streamId);
    if (s === null) return;
    if (!s.answered) return this.streamError(s, PROTOCOL_ERROR); // DATA before the response HEADERS
    if (endStream) return this.streamEnded(s);
    s.unacked += flowBytes;
    if (s.unacked >= STREAM_WINDOW_BYTES / 2) {
      const buf = this.out.room(FRAME_HEADER_BYTES + 4);
      this.out.pos = writeWindowUpdate(buf, this.out.pos, s.id, s.unacked);
      s.unacked = 0;
    }
  }

  onRstStream(streamId: number, code: number): void {
    if (!this.connected) return this.notHttp2();
    const s = this.streams.get(streamId);
    if (s === undefined) {
      if (this.isIdle(streamId)) this.connectionError(PROTOCOL_ERROR, `RST_STREAM on idle stream ${streamId}`);
      return; // a stream that ended meanwhile
    }
    this.streams.delete(streamId);
    this.removeBlocked(s);
    const name = h2ErrorName(code);
    this.observer.streamReset(name);
    // 8.7: REFUSED_STREAM means not processed, so it is sent again once, here or on the next session.
    if (code === REFUSED_STREAM && s.ex.attempt === 1 && s.ex.firstByteUs === 0) {
      s.ex.attempt = 2;
      if (this.goingAway) this.refused.push(s.ex);
      else this.waiting.unshift(s.ex);
      this.afterStream();
      return;
    }
    this.events.onRequestFailed(this, s.ex, `RST_STREAM_${name}`);
    this.afterStream();
  }

  onPing(ack: boolean, payload: Buffer): void {
    if (!this.connected) return this.notHttp2();
    if (ack) {
      const rttUs = this.pings.acked(nowUs());
      if (rttUs !== null) this.observer.rtt?.(rttUs);
      return;
    }
    if (!this.pings.received(nowUs())) return this.connectionError(ENHANCE_YOUR_CALM, 'PING flood');
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.out.pos = writePingPayload(buf, this.out.pos, true, payload);
  }

  /** 4.7-style close by the server: no new streams; streams above its last stream id were not processed. */
  onGoaway(lastStreamId: number, code: number): void {
    if (!this.connected) return this.notHttp2();
    for (const s of [...this.streams.values()]) {
      if (s.id <= lastStreamId) continue;
      this.streams.delete(s.id);
      this.removeBlocked(s);
      this.refused.push(s.ex);
    }
    this.accepting = false;
    this.announcedClose = true;
    if (code !== NO_ERROR) this.socket.noteCode(`GOAWAY_${h2ErrorName(code)}`);
    // A graceful shutdown sends two GOAWAYs (RFC 9113 6.8): the session is counted once.
    if (!this.goingAway) this.observer.goaway(h2ErrorName(code), lastStreamId);
    this.goingAway = true;
    this.refused.push(...this.waiting.splice(0));
    if (this.streams.size === 0) this.endSocket();
  }

  onWindowUpdate(streamId: number, increment: number): void {
    if (!this.connected) return this.notHttp2();
    if (streamId === 0) {
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW_BYTES) return this.connectionError(FLOW_CONTROL_ERROR, 'the session window above 2^31-1');
    } else {
      const s = this.streams.get(streamId);
      if (s === undefined) {
        if (this.isIdle(streamId)) this.connectionError(PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${streamId}`);
        return;
      }
      s.sendWindow += increment;
      if (s.sendWindow > MAX_WINDOW_BYTES) return this.streamError(s, FLOW_CONTROL_ERROR);
    }
    this.sendBlocked();
  }

  onStreamError(streamId: number, code: number): void {
    const s = this.streams.get(streamId);
    if (s !== undefined) this.streamError(s, code);
  }

  onConnectionError(code: number, reason: string): void {
    if (!this.connected) return this.notHttp2();
    this.connectionError(code, reason);
  }

  // --- streams ----------------------------------------------------------------

  /** The open stream a frame is for, or null when the frame is to be dropped (or was a connection error). */
  private streamFor(streamId: number): Stream | null {
    const s = this.streams.get(streamId);
    if (s !== undefined) return s;
    // Streams we reset, or that a GOAWAY gave back, may still see frames the server sent before it knew.
    if (this.resetByUs.has(streamId) || this.goingAway) return null;
    // 5.1: frames on a stream we never opened are a PROTOCOL_ERROR; on one that ended, STREAM_CLOSED.
    if (this.isIdle(streamId)) this.connectionError(PROTOCOL_ERROR, `a frame on idle stream ${streamId}`);
    else this.connectionError(STREAM_CLOSED, `a frame on closed stream ${streamId}`);
    return null;
  }

  private isIdle(streamId: number): boolean {
    return streamId % 2 === 0 || streamId >= this.nextStreamId;
  }

  private startStream(ex: Exchange): void {
    const block = this.profile.blocks[ex.pathIndex]!;
    const body = this.profile.body;
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const s: Stream = { id, ex, answered: false, unacked: 0, bodySent: 0, sendWindow: this.peerInitialWindow, blockedSinceUs: 0 };
    const idle = this.streams.size === 0 && this.responses > 0;
    const buf = this.out.room(headersBytes(block.length, this.peerMaxFrameSize));
    this.out.pos = writeHeaders(buf, this.out.pos, id, block, body === null, this.peerMaxFrameSize);
    this.observer.headerBlock?.(true, this.blocksSent++ === 0, block.length, this.profile.plainBytes[ex.pathIndex]!);
    this.streams.set(id, s);
    if (body !== null) this.sendBody(s, body);
    if (body === null || s.bodySent === body.length) this.unstamped.push(ex);
    const now = nowUs();
    ex.idleUs = idle ? now - this.lastActiveUs : -1;
    this.lastActiveUs = now;
    this.observer.streamsInFlight(this.streams.size);
  }

  /** DATA as far as both windows allow (6.9); the rest waits for WINDOW_UPDATE. */
  private sendBody(s: Stream, body: Buffer): boolean {
    const n = Math.min(body.length - s.bodySent, s.sendWindow, this.sendWindow);
    if (n > 0 || body.length === 0) {
      const end = s.bodySent + n;
      const buf = this.out.room(dataBytes(n, this.peerMaxFrameSize));
      this.out.pos = writeData(buf, this.out.pos, s.id, body, s.bodySent, end, end === body.length, this.peerMaxFrameSize);
      s.bodySent = end;
      s.sendWindow -= n;
      this.sendWindow -= n;
    }
    const done = s.bodySent === body.length;
    if (!done && !this.blocked.includes(s)) {
      this.blocked.push(s);
      s.blockedSinceUs = nowUs();
    }
    return done;
  }

  private sendBlocked(): void {
    const body = this.profile.body;
    if (body === null) return;
    for (let i = 0; i < this.blocked.length && this.sendWindow > 0;) {
      const s = this.blocked[i]!;
      if (this.sendBody(s, body)) {
        this.blocked.splice(i, 1);
        this.observer.flowControlWait?.(nowUs() - s.blockedSinceUs);
        this.unstamped.push(s.ex);
      } else i++;
    }
  }

  private removeBlocked(s: Stream): void {
    const i = this.blocked.indexOf(s);
    if (i >= 0) this.blocked.splice(i, 1);
  }

  private readonly stampWritten = (): void => {
    if (this.unstamped.length === 0) return;
    const now = nowUs();
    for (const ex of this.unstamped) ex.writeEndUs = now;
    this.unstamped.length = 0;
  };

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.streams.size < this.limit && this.open && !this.goingAway && !this.goawaySent) {
      this.startStream(this.waiting.shift()!);
    }
  }

  /** END_STREAM from the server: a complete response. */
  private streamEnded(s: Stream): void {
    this.streams.delete(s.id);
    this.removeBlocked(s);
    const ex = s.ex;
    // A response that ends before the request's body was all sent: the server needs no more of it.
    if (ex.writeEndUs === 0) {
      ex.writeEndUs = ex.firstByteUs;
      const i = this.unstamped.indexOf(ex);
      if (i >= 0) this.unstamped.splice(i, 1);
    }
    ex.endUs = nowUs();
    this.responses++;
    this.lastActiveUs = ex.endUs;
    this.events.onResponse(this, ex);
    this.afterStream();
  }

  /** Our stream error (5.4.2): RST_STREAM to the server, the request failed with the code. */
  private streamError(s: Stream, code: number): void {
    this.streams.delete(s.id);
    this.removeBlocked(s);
    // Frames in flight for it are dropped; a bounded memory of them is enough for that.
    if (this.resetByUs.size >= 1024) this.resetByUs.clear();
    this.resetByUs.add(s.id);
    const buf = this.out.room(FRAME_HEADER_BYTES + 4);
    this.out.pos = writeRstStream(buf, this.out.pos, s.id, code);
    this.events.onRequestFailed(this, s.ex, `H2_${h2ErrorName(code)}`);
    this.afterStream();
  }

  private afterStream(): void {
    this.startWaiting();
    if (this.goingAway && this.streams.size === 0) this.endSocket();
    else if (this.retireBy !== null && this.inFlight === 0) this.closeNow();
  }

  // --- session end ------------------------------------------------------------

  /** The first bytes were not an HTTP/2 server's SETTINGS. */
  private notHttp2(): void {
    if (this.failure === null) {
      this.failure = this.socket.cleartext ? prefaceRejected(this.firstBytes) : { code: 'EPROTO', message: 'the server did not start HTTP/2 with a SETTINGS frame' };
    }
    this.destroy('error');
  }

  /** Our connection error (5.4.1): GOAWAY with the code, then FIN; the session's requests fail as H2_<code>. */
  private connectionError(code: number, reason: string): void {
    if (!this.open || this.goawaySent) return;
    void reason; // for a debugger: the counters keep the code only
    this.decoder.stop();
    this.socket.noteCode(`H2_${h2ErrorName(code)}`);
    this.goaway(code);
    this.socket.close('fin');
  }

  /** After the server's GOAWAY, once the streams it kept are done: the session is over, and the server
   *  closed it (6.8), whichever side's FIN goes first. */
  private endSocket(): void {
    this.out.flush();
    this.socket.destroy('server-fin');
  }

  /** 4.7 by the close rule: GOAWAY then FIN (`fin`), or abort the TCP socket with RST (`rst`). */
  private closeNow(): void {
    if (!this.open || this.goawaySent) return;
    const how = this.retireBy ?? 'fin';
    if (how === 'rst') this.decoder.stop();
    else if (this.profile.close.goaway) this.goaway(NO_ERROR);
    this.out.flush();
    this.socket.close(how);
  }

  /** RFC 9113 6.8: a client's last-stream-id names server-initiated streams; with push off, 0. */
  private goaway(code: number): void {
    this.goawaySent = true;
    const buf = this.out.room(FRAME_HEADER_BYTES + 8);
    this.out.pos = writeGoaway(buf, this.out.pos, 0, code);
    this.out.flush();
  }
}
