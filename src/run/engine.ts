// The load loop of one worker: lanes of connections fed by a supply.
// A lane holds at most one connection at a time; a connection that takes no
// more requests is set aside to close while the lane opens the next.
import { isIdempotent } from '../http1/request.js';
import type { AddressBook } from '../transport/resolver.js';
import { TlsSessionCache } from '../transport/tls.js';
import { isPortExhaustion } from '../metrics/ports.js';
import type { Recorder } from '../metrics/recorder.js';
import { newExchange, nowUs, resetExchange, type Exchange } from '../transport/timing.js';
import type { WorkerPlan } from '../plan/types.js';
import { requestsPerConnection, type Strategy } from '../strategies/types.js';
import type { CloseKind, Connection, ConnectionEvents, ConnectionFactory } from '../transport/connection.js';
import type { Supply } from './supply.js';

const SWEEP_INTERVAL_MS = 100;
/** Back-off after a failed connect; out of ports (EADDRNOTAVAIL/EADDRINUSE), wait for ports to leave TIME_WAIT. */
const CONNECT_BACKOFF_US = 10_000;
const EXHAUSTED_BACKOFF_US = 50_000;
/** Connections closing when the run ends get this long to finish (the server's FIN). */
const CLOSE_GRACE_MS = 500;

/** A connection failure before any connection worked means the target is unreachable. */
export class FatalConnectError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

class Lane implements ConnectionEvents {
  conn: Connection | null = null;
  backoffUntilUs = 0;
  constructor(private readonly engine: Engine) {}
  onConnected(conn: Connection): void {
    this.engine.connected(this, conn);
  }
  onConnectFailed(conn: Connection, code: string, message: string): void {
    this.engine.connectFailed(this, conn, code, message);
  }
  onResponse(conn: Connection, ex: Exchange): void {
    this.engine.response(this, conn, ex);
  }
  onRequestFailed(conn: Connection, ex: Exchange, code: string): void {
    this.engine.requestFailed(this, conn, ex, code);
  }
  onClosed(conn: Connection, kind: CloseKind, code: string | null): void {
    this.engine.closed(this, conn, kind, code);
  }
}

export class Engine {
  private readonly lanes: Lane[];
  private readonly retries: Exchange[] = [];
  private readonly pool: Exchange[] = [];
  private readonly setAside = new Set<Connection>();
  /** lanes waiting for openWaiting() to give them a new connection */
  private readonly toOpen: Lane[] = [];
  /** every connection not yet closed */
  private readonly live = new Set<Connection>();
  private readonly open: ConnectionFactory;
  private readonly perConnection: number | null;
  private readonly maxAgeUs: number;
  private readonly timeoutUs: number;
  private readonly connectTimeoutUs: number;
  private readonly idempotent: boolean;
  private outstanding = 0;
  private nextId = 1;
  private nextLocal = 0;
  private everConnected = false;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtUs = Infinity;
  /** Set when the supply had nothing due: pumpAll() stops offering work to lanes. */
  private supplyDry = false;
  private scheduleTimer: NodeJS.Timeout | undefined;
  /** True while connects fail for want of a local port; false again after a connect that works. */
  private outOfPorts = false;
  private fatal: FatalConnectError | null = null;
  private resolveDone!: () => void;
  private rejectDone!: (err: Error) => void;
  readonly done: Promise<void>;

  constructor(
    private readonly plan: WorkerPlan,
    strategy: Strategy,
    private readonly rec: Recorder,
    private readonly supply: Supply,
    addresses: AddressBook | null = null,
  ) {
    const phase = plan.phase;
    this.open = strategy.prepare(phase, { tlsSessions: phase.tls.sessionReuse ? new TlsSessionCache() : null, http2: rec, addresses });
    this.perConnection = requestsPerConnection(strategy.traits, phase);
    this.maxAgeUs = (phase.maxConnectionAgeMs ?? 0) * 1000;
    this.timeoutUs = phase.timeoutMs * 1000;
    this.connectTimeoutUs = phase.connectTimeoutMs * 1000;
    this.idempotent = isIdempotent(phase.method);
    this.lanes = Array.from({ length: plan.connections }, () => new Lane(this));
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  start(): void {
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    if (this.plan.rate !== null) {
      const { warmupMs, durationMs } = this.plan.phase;
      this.scheduleTimer = setTimeout(() => this.scheduleOver(), warmupMs + durationMs);
    }
    this.pumpAll();
  }

  /**
   * Open model: the engine normally stops once every scheduled request has its outcome. Requests
   * waiting for a local port would wait for TIME_WAIT to end (60 s), far past the schedule: if the
   * ports are still out when it is over, they are dropped (they never started) and the run stops.
   */
  private scheduleOver(): void {
    if (this.stopping || !this.outOfPorts) return;
    for (const ex of this.retries) if (ex.counted) this.rec.dropped();
    this.stop();
  }

  /**
   * Stops sending. In-flight requests are abandoned; connections that are only
   * waiting for the server's FIN get a short grace, so the close is counted as it happened.
   */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stoppedAtUs = nowUs();
    clearInterval(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    clearTimeout(this.scheduleTimer);
    for (const lane of this.lanes) lane.conn = null;
    for (const conn of this.live) if (!this.setAside.has(conn) || conn.inFlight > 0) conn.destroy('stopped');
    this.settleIfClosed();
    setTimeout(() => {
      for (const conn of this.live) conn.destroy('stopped');
      // destroy() reports 'close' on the next tick; settle after it.
      setImmediate(() => this.settle());
    }, CLOSE_GRACE_MS).unref();
  }

  /** When the run stopped (us), or 0 while it runs. */
  stoppedAtUs = 0;

  private settled = false;

  private settleIfClosed(): void {
    if (this.stopping && this.live.size === 0) setImmediate(() => this.settle());
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.fatal) this.rejectDone(this.fatal);
    else this.resolveDone();
  }

  /** Offers work to every lane: those with a connection first, so open ones are reused before new ones open. */
  private pumpAll(): void {
    // Stop at the first lane that finds nothing due: the open model pumps on every timer tick.
    this.supplyDry = false;
    for (const lane of this.lanes) {
      if (this.supplyDry) break;
      if (lane.conn !== null) this.fill(lane);
    }
    for (const lane of this.lanes) {
      if (this.supplyDry) break;
      if (lane.conn === null) this.fill(lane);
    }
    this.armWake();
  }

  /** The next request for a lane; `fresh`: it goes on a new connection (no response on it yet). */
  private acquire(now: number, fresh: boolean): Exchange | null {
    // 4.7.3: a request is retried on a new connection, never behind others on a used one.
    if (fresh) {
      const retry = this.retries.shift();
      if (retry !== undefined) return retry;
    }
    const ex = this.pool.pop() ?? newExchange();
    resetExchange(ex);
    const counted = this.rec.counting;
    ex.counted = counted; // a supply may decide otherwise (a page begun in the warmup stays uncounted)
    if (!this.supply.take(ex, now, counted)) {
      this.pool.push(ex);
      // Nothing due for anyone, unless retries wait for a lane with a new connection.
      this.supplyDry = this.retries.length === 0;
      // Open model: a schedule can end on dropped slots, with no response left to notice it.
      if (this.outstanding === 0 && this.supply.exhausted && this.retries.length === 0) this.stop();
      else this.armWake(now); // a connection is free: wake it when the next request is due
      return null;
    }
    this.outstanding++;
    return ex;
  }

  /** `atUs`: the time now when the caller has it (a response's timestamp), saving a clock read. */
  private fill(lane: Lane, atUs?: number): void {
    while (!this.stopping) {
      let conn = lane.conn;
      if (conn !== null && !conn.canSend()) return;
      const now = atUs ?? nowUs();
      if (conn !== null) {
        // 4.5.5: do not reuse a connection the server is about to close for idleness.
        if (conn.inFlight === 0 && conn.idleTimeoutUs > 0 && now - conn.lastActiveUs > conn.idleTimeoutUs * 0.9) {
          this.setAsideConn(lane, conn, true);
          continue;
        }
        // Retries need a new connection: an idle used one makes room when no lane is empty.
        if (this.retries.length > 0 && conn.inFlight === 0 && conn.responses > 0 && !this.lanes.some((l) => l.conn === null)) {
          this.setAsideConn(lane, conn, true);
          continue;
        }
      } else if (lane.backoffUntilUs > now) {
        this.wakeAt(lane.backoffUntilUs);
        return;
      }
      const ex = this.acquire(now, conn === null || conn.responses === 0);
      if (ex === null) return;
      if (conn === null) {
        conn = this.open(this.nextId++, lane, this.localAddress());
        this.live.add(conn);
        lane.conn = conn;
      }
      ex.connection = conn.sent === 0 ? conn.timing : null;
      ex.issueUs = now;
      const last =
        (this.perConnection !== null && conn.sent + 1 >= this.perConnection) ||
        (this.maxAgeUs > 0 && now - conn.timing.startUs >= this.maxAgeUs);
      conn.send(ex, last);
      if (last) conn.retire('last');
    }
  }

  private localAddress(): string | undefined {
    const list = this.plan.phase.localAddresses;
    return list.length === 0 ? undefined : list[this.nextLocal++ % list.length];
  }

  private setAsideConn(lane: Lane, conn: Connection, retireNow: boolean): void {
    if (lane.conn === conn) lane.conn = null;
    this.setAside.add(conn);
    if (retireNow) conn.retire('evicted');
  }

  // --- events from connections ----------------------------------------------

  connected(lane: Lane, conn: Connection): void {
    this.everConnected = true;
    this.outOfPorts = false;
    this.rec.connected(conn.timing, conn.secure);
  }

  connectFailed(lane: Lane, conn: Connection, code: string, message: string): void {
    this.live.delete(conn);
    if (lane.conn === conn) lane.conn = null;
    const pending = conn.takeUnanswered();
    if (this.stopping) {
      this.settleIfClosed();
      return this.discard(pending);
    }
    const now = nowUs();
    this.rec.connectFailed(code, now);
    if (isPortExhaustion(code)) {
      // Out of local ports: the requests wait for a port, they have not failed (4.2.7).
      this.outOfPorts = true;
      this.retries.unshift(...pending);
      lane.backoffUntilUs = now + EXHAUSTED_BACKOFF_US;
    } else {
      if (!this.everConnected) {
        this.fatal = new FatalConnectError(code, message);
        this.stop();
        return;
      }
      for (const ex of pending) this.fail(ex, code, now);
      lane.backoffUntilUs = now + CONNECT_BACKOFF_US;
    }
    this.fill(lane);
  }

  response(lane: Lane, conn: Connection, ex: Exchange): void {
    // After stop, requests in flight are abandoned: a destroyed HTTP/2 session still ends its streams.
    if (this.stopping) return this.discard([ex]);
    this.rec.response(ex);
    if (conn.keepAliveHeader !== null) this.rec.keepAlive(conn.keepAliveHeader, conn.keepAliveMax, conn.responses);
    // Set aside first: finishing the last request may stop the run, and a closing connection gets its grace.
    if (lane.conn === conn && conn.inFlight === 0 && !conn.canSend()) this.setAsideConn(lane, conn, false);
    this.finish(ex, true, ex.endUs);
    if (this.supply.fansOut) this.pumpAll();
    else if (lane.conn === null) this.openSoon(lane);
    else this.fill(lane, ex.endUs);
  }

  /**
   * A lane whose connection is done opens the next one once this round of I/O events is handled,
   * together with the other lanes that came free in it (setImmediate runs after the poll phase).
   * Connecting between two reads left the server time to go idle in between, so every connect
   * woke it again; connecting in a batch wakes it once for many (new-connection: +10% req/s).
   */
  private openSoon(lane: Lane): void {
    if (this.toOpen.push(lane) === 1) setImmediate(this.openWaiting);
  }

  private readonly openWaiting = (): void => {
    const lanes = this.toOpen.splice(0);
    for (const lane of lanes) this.fill(lane);
  };

  /** One request failed while its connection goes on (HTTP/2 RST_STREAM). */
  requestFailed(lane: Lane, conn: Connection, ex: Exchange, code: string): void {
    if (this.stopping) return this.discard([ex]);
    if (lane.conn === conn && conn.inFlight === 0 && !conn.canSend()) this.setAsideConn(lane, conn, false);
    this.fail(ex, code, nowUs());
    if (this.supply.fansOut) this.pumpAll();
    else this.fill(lane);
  }

  closed(lane: Lane, conn: Connection, kind: CloseKind, code: string | null): void {
    this.setAside.delete(conn);
    this.live.delete(conn);
    if (lane.conn === conn) lane.conn = null;
    this.rec.closed(kind, conn.timing, conn.responses);
    const unanswered = conn.takeUnanswered();
    if (this.stopping) {
      this.settleIfClosed();
      return this.discard(unanswered);
    }
    const now = nowUs();
    let retriedAny = false;
    unanswered.forEach((ex, i) => {
      const partial = ex.firstByteUs > 0;
      // 4.7.3: a request that got no byte back may be sent again, once, if it is idempotent.
      // The first one on a used connection met a stale keep-alive; the others were pipelined behind it.
      const mayRetry = !partial && ex.attempt === 1 && this.idempotent && (i > 0 || conn.responses > 0);
      if (mayRetry) {
        ex.attempt = 2;
        // Stale: the server closed a used connection without saying so first (4.5.6 / 4.7.3).
        if (ex.counted) this.rec.retried(i === 0 && conn.announcedClose !== true);
        this.retries.push(ex);
        retriedAny = true;
      } else {
        // Requests behind a failed one fail for the same reason.
        this.fail(ex, code ?? closeCode(kind, partial), now);
      }
    });
    if (retriedAny || this.supply.fansOut) this.pumpAll();
    else this.fill(lane);
  }

  // --- outcomes --------------------------------------------------------------

  private fail(ex: Exchange, code: string, now: number): void {
    if (ex.counted) this.rec.error(code, now);
    this.finish(ex, false, now);
  }

  private finish(ex: Exchange, ok: boolean, now: number): void {
    this.outstanding--;
    this.supply.finished(ex, ok, now);
    this.pool.push(ex);
    if (this.outstanding === 0 && this.supply.exhausted && this.retries.length === 0) this.stop();
  }

  private discard(exchanges: Exchange[]): void {
    for (const ex of exchanges) this.pool.push(ex);
  }

  // --- timers ----------------------------------------------------------------

  private wakeAt(atUs: number): void {
    if (atUs >= this.wakeAtUs) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtUs = atUs;
    // Whole milliseconds, as Node's timers fire anyway: one timer list serves every wake-up
    // (a fractional delay makes a list of its own each time).
    this.wakeTimer = setTimeout(this.onWake, Math.max(1, Math.ceil((atUs - nowUs()) / 1000)));
  }

  private readonly onWake = (): void => {
    this.wakeAtUs = Infinity;
    this.pumpAll();
  };

  /** Open model: wake up when the next scheduled request falls due. */
  private armWake(now = nowUs()): void {
    const due = this.supply.nextDueUs();
    // An overdue request is waiting for a busy connection: the next response or close fills that lane.
    // `now` is the time the supply was asked at, so "not due yet" there is never "overdue" here.
    if (due !== null && !this.stopping && due > now) this.wakeAt(due);
  }

  /** Timeouts without a timer per request: one sweep over the connections. */
  private sweep(): void {
    const now = nowUs();
    const check = (conn: Connection): void => {
      if (!conn.connected) {
        if (now - conn.timing.startUs > this.connectTimeoutUs) conn.destroy('timeout');
      } else if (conn.inFlight > 0) {
        if (now - conn.oldestSentUs > this.timeoutUs) conn.destroy('timeout');
      } else if (!conn.canSend() && now - conn.lastActiveUs > this.timeoutUs) {
        conn.destroy('timeout');
      }
    };
    for (const lane of this.lanes) if (lane.conn !== null) check(lane.conn);
    for (const conn of this.setAside) check(conn);
    this.armWake();
  }
}

function closeCode(kind: CloseKind, partial: boolean): string {
  switch (kind) {
    case 'server-fin': return partial ? 'truncated' : 'server-closed';
    case 'server-reset': return 'ECONNRESET';
    case 'timeout': return 'timeout';
    default: return 'closed';
  }
}
