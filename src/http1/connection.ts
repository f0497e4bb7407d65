// connload's own HTTP/1.x connection over a transport socket: requests written
// in order, responses parsed as they stream in and matched to requests in order
// (4.6). The transport owns the socket and its timeline; the engine decides
// what to send.
import { clientCloseFor, type ClientClose, type CloseRule } from '../transport/close-policy.js';
import type { CloseKind, Connection, ConnectionEvents, RetireReason } from '../transport/connection.js';
import { TransportSocket, type SocketEnd, type SocketTarget, type SocketUser } from '../transport/socket.js';
import { nowUs, type ConnectionTiming, type Exchange } from '../transport/timing.js';
import type { SecureFacts } from '../transport/tls.js';
import type { RequestBytes } from './request.js';
import { ResponseParser, type ParserEvents, type ResponseHead } from './response-parser.js';

export interface Http1Profile {
  /** Request bytes per path index: for an ordinary request and for the last one on a connection. */
  requests: Array<{ keep: RequestBytes; last: RequestBytes }>;
  isHead: boolean;
  splitWrites: boolean;
  nodelay: boolean;
  /** Requests in flight at once (pipeline depth, 1 otherwise). */
  depth: number;
  /** The strategy's rule: may the connection carry another request after this response? */
  reusable: (head: ResponseHead) => boolean;
  /** --close for this protocol (transport/close-policy.ts) */
  close: CloseRule;
}

const ALPN_HTTP1 = ['http/1.1'] as const;

export class Http1Connection implements Connection, ParserEvents, SocketUser {
  responses = 0;
  sent = 0;
  lastActiveUs: number;
  idleTimeoutUs = 0;
  announcedClose = false;
  keepAliveHeader: string | null = null;
  keepAliveMax: number | null = null;

  private readonly socket: TransportSocket;
  private readonly parser: ResponseParser;
  private readonly queue: Exchange[] = [];
  /** requests handed over before the socket was connected (made on first need) */
  private pending: Array<{ ex: Exchange; last: boolean }> | null = null;
  /** false once a response, the strategy or the client said this connection takes no more requests */
  private accepting = true;
  /** how the client ends the connection once it is retired, or null while it is not */
  private retireBy: ClientClose | null = null;
  private chunkUs = 0;
  /** Keep-Alive max= from the server: requests it still allows, or -1 (4.5.5) */
  private keepAliveLeft = -1;

  constructor(
    readonly id: number,
    private readonly events: ConnectionEvents,
    private readonly profile: Http1Profile,
    target: SocketTarget,
    localAddress: string | undefined,
  ) {
    this.parser = new ResponseParser(this);
    this.socket = new TransportSocket(this, target, { nodelay: profile.nodelay, alpn: ALPN_HTTP1, localAddress });
    this.lastActiveUs = this.socket.timing.startUs;
  }

  get timing(): ConnectionTiming {
    return this.socket.timing;
  }

  get connected(): boolean {
    return this.socket.ready;
  }

  get secure(): SecureFacts | null {
    return this.socket.secure;
  }

  get oldestSentUs(): number {
    const ex = this.queue[0] ?? this.pending?.[0]?.ex;
    return ex === undefined ? 0 : ex.writeEndUs || ex.issueUs;
  }

  get inFlight(): number {
    return this.pending === null ? this.queue.length : this.queue.length + this.pending.length;
  }

  canSend(): boolean {
    return this.accepting && this.socket.open && this.inFlight < this.profile.depth && this.keepAliveLeft !== 0;
  }

  send(ex: Exchange, last: boolean): void {
    this.sent++;
    if (this.keepAliveLeft > 0) this.keepAliveLeft--;
    if (last) this.accepting = false;
    if (!this.socket.ready) {
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
    this.retireBy = clientCloseFor(this.profile.close, reason);
    if (this.inFlight === 0) this.socket.close(this.retireBy);
  }

  destroy(kind: CloseKind): void {
    this.socket.destroy(kind);
  }

  // --- ParserEvents ---------------------------------------------------------

  onMessageBegin(): void {
    const ex = this.queue[0];
    if (ex !== undefined && ex.firstByteUs === 0) ex.firstByteUs = this.chunkUs;
  }

  onInformational(): void {}

  onHeaders(head: ResponseHead): boolean {
    const ex = this.queue[0];
    if (ex !== undefined) {
      ex.statusCode = head.statusCode;
      ex.backend = head.watchedValue;
    }
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
    if (this.retireBy !== null && this.inFlight === 0) this.socket.close(this.retireBy);
  }

  // --- SocketUser -------------------------------------------------------------

  onSocketReady(): void {
    this.events.onConnected(this);
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) for (const { ex, last } of pending) this.write(ex, last);
  }

  onSocketData(chunk: Buffer, length: number): void {
    // One timestamp per read: every event parsed from this chunk shares it.
    this.chunkUs = nowUs();
    if (this.queue.length === 0) {
      // Bytes nobody asked for: the server is out of step with us.
      this.socket.destroy('error', 'parse-error');
      return;
    }
    if (this.parser.execute(chunk, length) !== null) this.socket.destroy('error', 'parse-error');
  }

  onSocketEnd(): void {
    this.chunkUs = nowUs();
    const state = this.parser.finish();
    if (state === 'truncated' || (this.queue.length > 0 && this.queue[0]!.firstByteUs > 0)) this.socket.noteCode('truncated');
  }

  onSocketClosed(end: SocketEnd): void {
    this.accepting = false;
    if (!end.ready) {
      if (end.kind === 'stopped') return;
      const code = end.code ?? (end.kind === 'timeout' ? 'ETIMEDOUT' : 'ECONNCLOSED');
      this.events.onConnectFailed(this, code, end.message ?? `connection closed before it was established (${code})`);
      return;
    }
    this.events.onClosed(this, end.kind ?? 'server-fin', end.code);
  }

  private write(ex: Exchange, last: boolean): void {
    const bytes = last ? this.profile.requests[ex.pathIndex]!.last : this.profile.requests[ex.pathIndex]!.keep;
    const idleSinceUs = this.responses > 0 && this.queue.length === 0 ? this.lastActiveUs : 0;
    this.queue.push(ex);
    ex.peer = this.socket.timing.peer ?? null;
    if (this.profile.splitWrites && bytes.body !== null) {
      this.socket.write(bytes.head);
      this.socket.write(bytes.body);
    } else {
      this.socket.write(bytes.whole);
    }
    ex.writeEndUs = nowUs();
    ex.idleUs = idleSinceUs > 0 ? ex.writeEndUs - idleSinceUs : -1;
    this.lastActiveUs = ex.writeEndUs;
  }
}
