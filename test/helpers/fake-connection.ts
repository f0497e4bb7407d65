// An in-memory Connection for unit tests of the engine: the test decides when
// it connects, fails to connect, answers, or is closed by the server. What the
// client does to it (retire, destroy) is reported back on the next turn of the
// event loop (setImmediate), as a socket's 'close' is, never inside the call.
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, vi } from 'vitest';
import type { CloseKind, Connection, ConnectionEvents, ConnectionFactory, RetireReason } from '../../src/transport/connection.js';
import { nowUs, type ConnectionTiming, type Exchange } from '../../src/transport/timing.js';

export class FakeConnection implements Connection {
  readonly timing: ConnectionTiming;
  connected = false;
  responses = 0;
  sent = 0;
  lastActiveUs: number;
  idleTimeoutUs = 0;
  keepAliveHeader: string | null = null;
  keepAliveMax: number | null = null;
  announcedClose = false;
  readonly secure = null;
  /** Requests sent and not answered, oldest first. */
  readonly queue: Exchange[] = [];
  /** Every request handed to this connection, in order. */
  readonly received: Exchange[] = [];
  /** When the client last handed it a request (us), or 0. */
  lastSendUs = 0;
  /** Why the client retired it, or null. */
  retiredBy: RetireReason | null = null;
  /** How it ended, or null while open. */
  closedAs: CloseKind | 'connect-failed' | null = null;
  private accepting = true;

  constructor(
    readonly id: number,
    private readonly events: ConnectionEvents,
    readonly localAddress: string | undefined,
    private readonly depth: number,
  ) {
    this.timing = { startUs: nowUs(), lookupEndUs: 0, connectEndUs: 0, tunnelEndUs: 0, secureEndUs: 0 };
    this.lastActiveUs = this.timing.startUs;
  }

  get inFlight(): number {
    return this.queue.length;
  }

  get oldestSentUs(): number {
    const ex = this.queue[0];
    return ex === undefined ? 0 : ex.writeEndUs || ex.issueUs;
  }

  canSend(): boolean {
    return this.accepting && this.closedAs === null && this.queue.length < this.depth;
  }

  send(ex: Exchange, last: boolean): void {
    this.sent++;
    this.lastSendUs = nowUs();
    if (last) this.accepting = false;
    this.queue.push(ex);
    this.received.push(ex);
    if (this.connected) this.wrote(ex);
  }

  takeUnanswered(): Exchange[] {
    return this.queue.splice(0);
  }

  retire(reason: RetireReason): void {
    this.accepting = false;
    this.retiredBy = reason;
    if (this.queue.length === 0) this.closeSoon('client');
  }

  destroy(kind: CloseKind): void {
    if (this.closedAs !== null) return;
    // As the real ones: a connection stopped before it connected reports nothing.
    if (!this.connected && kind === 'stopped') {
      this.closedAs = kind;
      return;
    }
    this.closeSoon(kind);
  }

  // --- what the test does ------------------------------------------------------

  /** The TCP (and TLS) set-up is done. */
  connect(): void {
    const now = nowUs();
    this.timing.connectEndUs = now;
    this.connected = true;
    this.events.onConnected(this);
    for (const ex of this.queue) this.wrote(ex, now);
  }

  /** The connect failed with `code` (ECONNREFUSED, EADDRNOTAVAIL...). */
  failConnect(code: string): void {
    this.closedAs = 'connect-failed';
    this.events.onConnectFailed(this, code, `connect ${code}`);
  }

  /** A complete response to the oldest request; `keepAliveTimeoutS`: the server's Keep-Alive timeout. */
  answer(statusCode = 200, keepAliveTimeoutS?: number): Exchange {
    const ex = this.queue.shift();
    if (ex === undefined) throw new Error(`connection ${this.id} has no request to answer`);
    const now = nowUs();
    ex.firstByteUs = now;
    ex.endUs = now;
    ex.statusCode = statusCode;
    this.responses++;
    this.lastActiveUs = now;
    if (keepAliveTimeoutS !== undefined) {
      this.keepAliveHeader = `timeout=${keepAliveTimeoutS}`;
      this.idleTimeoutUs = keepAliveTimeoutS * 1e6;
    }
    this.events.onResponse(this, ex);
    if (this.retiredBy !== null && this.queue.length === 0) this.closeSoon('client');
    return ex;
  }

  /** The server closes (FIN) or resets the connection, with what is in flight unanswered. */
  serverClose(kind: 'server-fin' | 'server-reset' = 'server-fin'): void {
    this.close(kind);
  }

  private wrote(ex: Exchange, now = nowUs()): void {
    ex.writeEndUs = now;
    this.lastActiveUs = now;
  }

  private closeSoon(kind: CloseKind): void {
    if (this.closedAs !== null) return;
    this.closedAs = kind;
    setImmediate(() => this.events.onClosed(this, kind, null));
  }

  private close(kind: CloseKind): void {
    if (this.closedAs !== null) throw new Error(`connection ${this.id} is closed already (${this.closedAs})`);
    this.closedAs = kind;
    this.events.onClosed(this, kind, null);
  }
}

/** A ConnectionFactory of fake connections that keeps every one it made. */
export class FakeNetwork {
  readonly connections: FakeConnection[] = [];
  /** `depth`: requests in flight a connection takes (1; a pipeline's depth; HTTP/2 streams). */
  constructor(private readonly depth = 1) {}

  readonly open: ConnectionFactory = (id, events, localAddress) => {
    const conn = new FakeConnection(id, events, localAddress, this.depth);
    this.connections.push(conn);
    return conn;
  };

  /** Connections not closed yet. */
  get live(): FakeConnection[] {
    return this.connections.filter((c) => c.closedAs === null);
  }

  /** Connects every connection still connecting. */
  connectAll(): void {
    for (const c of this.connections) if (!c.connected && c.closedAs === null) c.connect();
  }

  /** Answers what is in flight on connected connections now (the answers may send more requests). */
  answerAll(): number {
    let n = 0;
    for (const c of [...this.connections]) {
      for (let k = c.connected ? c.inFlight : 0; k > 0 && c.closedAs === null; k--) {
        c.answer();
        n++;
      }
    }
    return n;
  }
}

/**
 * Fake timers for the tests of this describe block (or file): setTimeout, setInterval, setImmediate and
 * Date move only when the test advances them, and nowUs() (performance.now()) follows that clock.
 */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'], now: 1_000_000 });
    vi.spyOn(performance, 'now').mockImplementation(() => Date.now());
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}
