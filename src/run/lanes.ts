// A lane and the client's rules for the connection on it: when a connection
// takes its last request, when an idle one is evicted, when one has timed out,
// and which local address the next one binds. The pool (pool.ts) applies them.
import type { CloseKind, Connection, ConnectionEvents } from '../transport/connection.js';
import type { Exchange } from '../transport/timing.js';
import type { Pool } from './pool.js';

export const SWEEP_INTERVAL_MS = 100;
/** Back-off after a failed connect; out of ports (EADDRNOTAVAIL/EADDRINUSE), wait for ports to leave TIME_WAIT. */
export const CONNECT_BACKOFF_US = 10_000;
export const EXHAUSTED_BACKOFF_US = 50_000;
/** Connections closing when the run ends get this long to finish (the server's FIN). */
export const CLOSE_GRACE_MS = 500;
/** 4.5.5: a connection idle for this share of the server's Keep-Alive timeout is not reused. */
export const IDLE_MARGIN = 0.9;

/** A connection failure before any connection worked means the target is unreachable. */
export class FatalConnectError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** What the pool needs to know of the phase. */
export interface PoolRules {
  lanes: number;
  /** Requests after which a connection is retired, or null. */
  perConnection: number | null;
  /** --max-connection-age in us, or 0. */
  maxAgeUs: number;
  timeoutUs: number;
  connectTimeoutUs: number;
  /** Source addresses, used in turn; empty: the OS picks. */
  localAddresses: readonly string[];
}

export interface PoolHooks {
  /** The run must stop (a fatal connect error). */
  stop(): void;
  /** Stopped, and every connection is closed (or was given up on after the grace). */
  settled(fatal: FatalConnectError | null): void;
}

/** One slot of the pool: at most one connection, and the back-off after a failed connect. */
export class Lane implements ConnectionEvents {
  conn: Connection | null = null;
  backoffUntilUs = 0;
  constructor(private readonly pool: Pool) {}
  onConnected(conn: Connection): void {
    this.pool.connected(conn);
  }
  onConnectFailed(conn: Connection, code: string, message: string): void {
    this.pool.connectFailed(this, conn, code, message);
  }
  onResponse(conn: Connection, ex: Exchange): void {
    this.pool.response(this, conn, ex);
  }
  onRequestFailed(conn: Connection, ex: Exchange, code: string): void {
    this.pool.requestFailed(this, conn, ex, code);
  }
  onClosed(conn: Connection, kind: CloseKind, code: string | null): void {
    this.pool.closed(this, conn, kind, code);
  }
}

/** 4.5.5: an idle connection the server is about to close for idleness is not reused. */
export function idleTooLong(conn: Connection, now: number): boolean {
  return conn.idleTimeoutUs > 0 && now - conn.lastActiveUs > conn.idleTimeoutUs * IDLE_MARGIN;
}

/** The request about to go on `conn` is its last: the per-connection count or the age is reached. */
export function isLastRequest(conn: Connection, now: number, rules: PoolRules): boolean {
  return (
    (rules.perConnection !== null && conn.sent + 1 >= rules.perConnection) ||
    (rules.maxAgeUs > 0 && now - conn.timing.startUs >= rules.maxAgeUs)
  );
}

/** The connect, the oldest request, or a retired connection's wait for the server's close took too long. */
export function timedOut(conn: Connection, now: number, rules: PoolRules): boolean {
  if (!conn.connected) return now - conn.timing.startUs > rules.connectTimeoutUs;
  if (conn.inFlight > 0) return now - conn.oldestSentUs > rules.timeoutUs;
  return !conn.canSend() && now - conn.lastActiveUs > rules.timeoutUs;
}

/** --local-address: each new connection binds the next address in turn (more 4-tuples). */
export class LocalAddresses {
  private next = 0;
  constructor(private readonly list: readonly string[]) {}
  take(): string | undefined {
    return this.list.length === 0 ? undefined : this.list[this.next++ % this.list.length];
  }
}
