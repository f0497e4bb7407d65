// A lane and the client's rules for the connection on it: when a connection
// takes its last request, when an idle one is evicted, when one has timed out,
// and which local address the next one binds. The pool (pool.ts) applies them.
import type { LimitRange } from '../plan/types.js';
import type { CloseKind, Connection, ConnectionEvents } from '../transport/connection.js';
import type { Exchange } from '../transport/timing.js';

export const SWEEP_INTERVAL_MS = 100;
/** Back-off after a failed connect; out of ports (EADDRNOTAVAIL/EADDRINUSE), wait for ports to leave TIME_WAIT. */
export const CONNECT_BACKOFF_US = 10_000;
export const EXHAUSTED_BACKOFF_US = 50_000;
/** --connect-rate: slots up to this far behind are caught up. Without it the pacer lost every slot a
 *  late timer skipped: 2,000/s reached 877/s (a timer allows about two connections a millisecond). */
export const PACER_CATCH_UP_US = 5_000;
/** Connections closing when the run ends get this long to finish (the server's FIN). */
export const CLOSE_GRACE_MS = 500;
/** 4.5.5: a connection idle for this share of the server's Keep-Alive timeout is not reused. */
export const IDLE_MARGIN = 0.9;

/** A connection failure before any connection worked means the target is unreachable. */
export class FatalConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the pool needs to know of the phase. */
export interface PoolRules {
  lanes: number;
  /** Requests after which a connection is retired, drawn per connection in this range, or null. */
  perConnection: LimitRange | null;
  /** --max-connection-age in us, drawn per connection in this range, or null. */
  maxAgeUs: LimitRange | null;
  /** --idle-timeout in us, or 0: the client closes a pooled connection idle this long. */
  idleTimeoutUs: number;
  /** --connect-rate for this worker: new connections per second, or null for no limit. */
  connectRate: number | null;
  timeoutUs: number;
  connectTimeoutUs: number;
  /** Source addresses, used in turn; empty: the OS picks. */
  localAddresses: readonly string[];
  /** --interval in us, or 0: held connections, each lane sending one request per interval (held-schedule.ts). */
  intervalUs: number;
}

export interface PoolHooks {
  /** The run must stop (a fatal connect error). */
  stop(): void;
  /** Stopped, and every connection is closed (or was given up on after the grace). */
  settled(fatal: FatalConnectError | null): void;
}

/** What a lane hands its connection's events to (the pool, pool.ts), with the lane named. */
export interface LaneOwner {
  connected(conn: Connection): void;
  connectFailed(lane: Lane, conn: Connection, code: string, message: string): void;
  response(lane: Lane, conn: Connection, ex: Exchange): void;
  requestFailed(lane: Lane, conn: Connection, ex: Exchange, code: string): void;
  closed(lane: Lane, conn: Connection, kind: CloseKind, code: string | null): void;
}

/** One slot of the pool: at most one connection, the limits it drew, and the back-off after a failed connect. */
export class Lane implements ConnectionEvents {
  conn: Connection | null = null;
  backoffUntilUs = 0;
  /** The connection's own limits, drawn when it opened: requests (or null) and age in us (or 0). */
  maxRequests: number | null = null;
  maxAgeUs = 0;
  // --interval (held-schedule.ts): slot k of this lane is due at slotAnchorUs + k x interval.
  /** when the lane's first request went (us), or -1 before it */
  slotAnchorUs = -1;
  /** the slot its next request takes */
  nextSlot = 0;
  /** the slot time it waits for on the schedule, or 0 when it is not waiting */
  waitingUs = 0;
  /** the schedule woke it at its slot: the request it sends now is on time */
  slotWoken = false;
  /** the pool fills it once this round of I/O is handled (pool.ts fillSoon) */
  fillQueued = false;
  constructor(
    private readonly pool: LaneOwner,
    /** its place in the pool: a connection ramp uses the lanes below its target */
    readonly index: number,
  ) {}

  /** A connection opens on this lane: it draws its limits, so a pool's connections do not all retire together. */
  drawLimits(rules: Pick<PoolRules, 'perConnection' | 'maxAgeUs'>, random: () => number = Math.random): void {
    this.maxRequests = rules.perConnection === null ? null : drawWhole(rules.perConnection, random);
    this.maxAgeUs = rules.maxAgeUs === null ? 0 : drawUniform(rules.maxAgeUs, random);
  }
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

/** 4.5.5: an idle connection the server is about to close for idleness is not reused; nor one idle for
 *  longer than --idle-timeout (the client's half of the keep-alive agreement). */
export function idleTooLong(conn: Connection, now: number, rules: Pick<PoolRules, 'idleTimeoutUs'>): boolean {
  const idleUs = now - conn.lastActiveUs;
  return (conn.idleTimeoutUs > 0 && idleUs > conn.idleTimeoutUs * IDLE_MARGIN) || (rules.idleTimeoutUs > 0 && idleUs > rules.idleTimeoutUs);
}

/** A whole number in [min, max], each equally likely (`random` in [0, 1)). */
export function drawWhole(range: LimitRange, random: () => number = Math.random): number {
  if (range.min === range.max) return range.min; // one value (new-connection's 1): no draw per connection
  return range.min + Math.floor(random() * (range.max - range.min + 1));
}

/** A number uniformly in [min, max]. */
export function drawUniform(range: LimitRange, random: () => number = Math.random): number {
  return range.min + random() * (range.max - range.min);
}

/** The request about to go on the lane's connection is its last: the count or the age it drew is reached. */
export function isLastRequest(conn: Connection, now: number, lane: Pick<Lane, 'maxRequests' | 'maxAgeUs'>): boolean {
  return (lane.maxRequests !== null && conn.sent + 1 >= lane.maxRequests) || (lane.maxAgeUs > 0 && now - conn.timing.startUs >= lane.maxAgeUs);
}

/** The connect, the oldest request, or a retired connection's wait for the server's close took too long. */
export function timedOut(conn: Connection, now: number, rules: PoolRules): boolean {
  if (!conn.connected) return now - conn.timing.startUs > rules.connectTimeoutUs;
  if (conn.inFlight > 0) return now - conn.oldestSentUs > rules.timeoutUs;
  return !conn.canSend() && now - conn.lastActiveUs > rules.timeoutUs;
}

/**
 * --connect-rate: new connections at most this many per second, spread evenly (connection k may open
 * at start + k / rate, or later), for every strategy: a pool grows to -c at that rate and replaces
 * retired connections no faster; new-connection is paced by it.
 */
export class ConnectPacer {
  private nextUs = 0;
  private readonly intervalUs: number;
  /** How far behind its schedule the pacer may catch up: a slot, or PACER_CATCH_UP_US if longer. */
  private readonly catchUpUs: number;
  constructor(perSecond: number) {
    this.intervalUs = 1e6 / perSecond;
    this.catchUpUs = Math.max(this.intervalUs, PACER_CATCH_UP_US);
  }
  /** When the next connection may open (at or before `now`: it may now). */
  nextAllowedUs(): number {
    return this.nextUs;
  }
  /**
   * A connection opens now. Slots missed by a timer that fired late (Node's fire about a millisecond
   * after their time, more on a busy machine) are caught up; slots older than that, not used while
   * nothing needed a connection, do not pile up into a burst.
   */
  opened(now: number): void {
    this.nextUs = Math.max(this.nextUs, now - this.catchUpUs) + this.intervalUs;
  }
}

/** --local-address: each new connection binds the next address in turn (more 4-tuples). */
export class LocalAddresses {
  private next = 0;
  constructor(private readonly list: readonly string[]) {}
  take(): string | undefined {
    return this.list.length === 0 ? undefined : this.list[this.next++ % this.list.length];
  }
}
