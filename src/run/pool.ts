// The pool of lanes: it owns the connections. A lane holds at most one
// connection at a time; a connection that takes no more requests is set aside
// to close while the lane opens the next. The pool opens (with back-off and
// local address rotation), evicts and times out connections, closes them at the
// end (live.ts), and asks the dispatch (dispatch.ts) for each request; it never
// decides a request's fate.
import type { Recorder } from '../metrics/recorder.js';
import { isPortExhaustion } from '../metrics/ports.js';
import type { CloseKind, Connection, ConnectionFactory } from '../transport/connection.js';
import { flushReady } from '../transport/socket.js';
import { nowUs, type Exchange } from '../transport/timing.js';
import type { Dispatch } from './dispatch.js';
import {
  CONNECT_BACKOFF_US,
  ConnectPacer,
  EXHAUSTED_BACKOFF_US,
  FatalConnectError,
  idleTooLong,
  isLastRequest,
  Lane,
  LocalAddresses,
  SWEEP_INTERVAL_MS,
  timedOut,
  type LaneOwner,
  type PoolHooks,
  type PoolRules,
} from './lanes.js';
import { HeldSchedule } from './held-schedule.js';
import { LiveConnections } from './live.js';
import { Waker } from './wake.js';

export class Pool implements LaneOwner {
  private readonly lanes: Lane[];
  /** lanes without a connection (a retry may need one to make room) */
  private emptyLanes: number;
  /** lanes waiting for fillWaiting() at the end of this round of I/O (fillSoon) */
  private readonly toFill: Lane[] = [];
  private readonly live: LiveConnections;
  private nextId = 1;
  private readonly localAddresses: LocalAddresses;
  private readonly pacer: ConnectPacer | null;
  private everConnected = false;
  /** True while connects fail for want of a local port; false again after a connect that works. */
  outOfPorts = false;
  private fatal: FatalConnectError | null = null;
  private stopping = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly waker = new Waker(() => this.pumpAll());
  /** Set when the supply had nothing due: pumpAll() stops offering work to lanes. */
  private supplyDry = false;
  /** Lanes that may hold a connection now: all of them, unless a connection ramp moves it (setLanes). */
  private wanted: number;
  /** Set when --connect-rate holds new connections back: pumpAll() stops offering work to lanes without one. */
  private connectsWait = false;
  /** --interval: each lane sends one request per interval, on its own slots; null otherwise. */
  private readonly held: HeldSchedule | null;

  constructor(
    private readonly rules: PoolRules,
    private readonly open: ConnectionFactory,
    private readonly work: Dispatch,
    private readonly rec: Recorder,
    private readonly hooks: PoolHooks,
  ) {
    this.lanes = Array.from({ length: rules.lanes }, (_, i) => new Lane(this, i));
    this.wanted = rules.lanes;
    this.emptyLanes = rules.lanes;
    this.localAddresses = new LocalAddresses(rules.localAddresses);
    this.pacer = rules.connectRate === null ? null : new ConnectPacer(rules.connectRate);
    this.live = new LiveConnections(rec, () => hooks.settled(this.fatal));
    this.held = rules.intervalUs > 0 ? new HeldSchedule(rules.intervalUs, (lane) => this.fill(lane), rec) : null;
  }

  start(): void {
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.pumpAll();
  }

  /**
   * Connection ramp (connection-ramp.ts): lanes from `wanted` up hold no connection. New ones below
   * it open; those above retire once their requests in flight are answered. Before start() only the
   * number is set.
   */
  setLanes(wanted: number): void {
    const before = this.wanted;
    this.wanted = Math.min(wanted, this.lanes.length);
    if (this.sweepTimer === undefined || this.stopping) return;
    for (let i = Math.min(before, this.wanted); i < Math.max(before, this.wanted); i++) this.fill(this.lanes[i]!);
  }

  /** Offers work to every lane: those with a connection first, so open ones are reused before new ones open. */
  private pumpAll(): void {
    // Stop at the first lane that finds nothing due: the open model pumps on every timer tick.
    this.supplyDry = false;
    this.connectsWait = false;
    // Held lanes with a connection are driven by their responses and their slots (held-schedule.ts).
    if (this.held === null) {
      for (const lane of this.lanes) {
        if (this.supplyDry) break;
        if (lane.conn !== null) this.fill(lane);
      }
    }
    for (const lane of this.lanes) {
      if (this.supplyDry || this.connectsWait) break;
      if (lane.conn === null) this.fill(lane);
    }
    this.armWake();
  }

  private fill(lane: Lane): void {
    while (!this.stopping) {
      let conn = lane.conn;
      if (lane.index >= this.wanted) return this.leaveRampedDown(lane);
      if (conn !== null && !conn.canSend()) return;
      const now = nowUs();
      if (conn !== null) {
        if (this.mustEvict(conn, now)) {
          this.setAsideConn(lane, conn, true);
          continue;
        }
      } else if (lane.backoffUntilUs > now) {
        this.waker.at(lane.backoffUntilUs);
        return;
      } else if (this.pacer !== null && this.pacer.nextAllowedUs() > now) {
        // --connect-rate: this lane's connection waits for its slot (and so does every other lane's).
        this.connectsWait = true;
        this.waker.at(this.pacer.nextAllowedUs());
        return;
      }
      let slotUs: number | null = null;
      if (this.held !== null) {
        // --interval: one request at a time, each on the lane's next slot.
        if (conn !== null && conn.inFlight > 0) return;
        slotUs = this.held.slotFor(lane, now);
        if (slotUs === null) return;
      }
      const ex = this.work.next(now, conn === null || conn.responses === 0);
      if (ex === null) {
        // Nothing due for anyone, unless retries wait for a lane with a new connection.
        this.supplyDry = !this.work.retryWaiting;
        this.armWake(now); // a connection is free: wake it when the next request is due
        return;
      }
      if (conn === null) {
        this.pacer?.opened(now);
        conn = this.openOn(lane);
      }
      if (slotUs !== null) {
        // Measured from its slot (a retry from its first try, which is earlier).
        ex.intendedUs = Math.min(ex.intendedUs, slotUs);
        this.held!.sent(lane);
      }
      this.send(lane, conn, ex, now);
    }
  }

  /** The client's rules for setting aside an idle connection instead of sending on it. */
  private mustEvict(conn: Connection, now: number): boolean {
    if (conn.inFlight > 0) return false;
    // 4.5.5: do not reuse a connection the server is about to close for idleness. Held connections
    // (--interval) are there to see what the server keeps: its announced timeout is not anticipated.
    if (this.held === null && idleTooLong(conn, now, this.rules)) return true;
    // 4.7.3: retries need a new connection; a used idle one makes room when no lane is empty
    // (lanes above a connection ramp's target do not count: they may not open one).
    return conn.responses > 0 && this.emptyLanes - (this.lanes.length - this.wanted) <= 0 && this.work.retryWaiting;
  }

  /**
   * A lane above the connection ramp's target sends nothing more; its connection, once idle, is
   * set aside and closed by the client (the close policy's evict rule: FIN, or RST with --close reset).
   */
  private leaveRampedDown(lane: Lane): void {
    const conn = lane.conn;
    if (conn !== null && conn.inFlight === 0 && conn.canSend()) this.setAsideConn(lane, conn, true);
  }

  private openOn(lane: Lane): Connection {
    const conn = this.open(this.nextId++, lane, this.localAddresses.take());
    lane.drawLimits(this.rules);
    this.live.add(conn);
    lane.conn = conn;
    this.emptyLanes--;
    return conn;
  }

  /** Hands `ex` to the lane's `conn`; the last request it may carry retires it (the close rule is the connection's). */
  private send(lane: Lane, conn: Connection, ex: Exchange, now: number): void {
    ex.connection = conn.sent === 0 ? conn.timing : null;
    ex.issueUs = now;
    const last = isLastRequest(conn, now, lane);
    conn.send(ex, last);
    if (last) conn.retire('last');
  }

  private detach(lane: Lane, conn: Connection): void {
    if (lane.conn !== conn) return;
    lane.conn = null;
    this.emptyLanes++;
  }

  private setAsideConn(lane: Lane, conn: Connection, evict: boolean): void {
    this.detach(lane, conn);
    this.live.setAside(conn);
    if (evict) conn.retire('evicted');
  }

  // --- events from connections ----------------------------------------------

  connected(conn: Connection): void {
    this.everConnected = true;
    this.outOfPorts = false;
    this.rec.connected(conn.timing, conn.secure);
  }

  connectFailed(lane: Lane, conn: Connection, code: string, message: string): void {
    if (!this.live.gone(conn)) return;
    this.detach(lane, conn);
    const pending = conn.takeUnanswered();
    if (this.stopping) {
      for (const ex of pending) this.work.abandon(ex);
      return;
    }
    const now = nowUs();
    this.rec.connectFailed(code, now);
    if (isPortExhaustion(code)) {
      this.outOfPorts = true;
      this.work.waitForPort(pending);
      lane.backoffUntilUs = now + EXHAUSTED_BACKOFF_US;
    } else if (!this.everConnected) {
      // Its requests stay without an outcome: the run ends with them unfinished.
      this.fatal = new FatalConnectError(code, message);
      return this.hooks.stop();
    } else {
      this.work.failAll(pending, code, now);
      lane.backoffUntilUs = now + CONNECT_BACKOFF_US;
    }
    this.fill(lane);
  }

  response(lane: Lane, conn: Connection, ex: Exchange): void {
    // After stop, requests in flight are abandoned: a destroyed HTTP/2 session still ends its streams.
    if (this.stopping) return this.work.abandon(ex);
    if (conn.keepAliveHeader !== null) this.rec.keepAlive(conn.keepAliveHeader, conn.keepAliveMax, conn.responses);
    // Set aside first: finishing the last request may stop the run, and a closing connection gets its grace.
    if (lane.conn === conn && conn.inFlight === 0 && !conn.canSend()) this.setAsideConn(lane, conn, false);
    this.work.responded(ex);
    if (this.work.fansOut) this.pumpAll();
    else this.fillSoon(lane);
  }

  /**
   * A lane whose response came sends its next request (or, when its connection is done, opens the
   * next one) once this round of I/O events is handled, together with the other lanes that came
   * free in it (setImmediate runs after the poll phase), as wrk does from its next loop turn.
   * Writing or connecting between two reads left the server time to go idle in between, so each
   * write or connect woke it again; sending in a batch wakes it once for many. Measured against
   * nginx on the other core: new-connection +10% req/s; persistent -c 50, nginx went to sleep 5-6
   * times per 1,000 requests instead of 15-33. The request is issued (and timed) when it is sent.
   */
  private fillSoon(lane: Lane): void {
    // Once per round: a pipeline or an HTTP/2 session may finish many requests in one read.
    if (lane.fillQueued) return;
    lane.fillQueued = true;
    if (this.toFill.push(lane) === 1) setImmediate(this.fillWaiting);
  }

  private readonly fillWaiting = (): void => {
    // The first requests of the connections that connected in this round go before the new connects.
    flushReady();
    const lanes = this.toFill.splice(0);
    for (const lane of lanes) {
      lane.fillQueued = false;
      this.fill(lane);
    }
  };

  /** One request failed while its connection goes on (HTTP/2 RST_STREAM). */
  requestFailed(lane: Lane, conn: Connection, ex: Exchange, code: string): void {
    if (this.stopping) return this.work.abandon(ex);
    if (lane.conn === conn && conn.inFlight === 0 && !conn.canSend()) this.setAsideConn(lane, conn, false);
    this.work.fail(ex, code, nowUs());
    if (this.work.fansOut) this.pumpAll();
    else this.fill(lane);
  }

  closed(lane: Lane, conn: Connection, kind: CloseKind, code: string | null): void {
    // Once settled, the connections left were counted as stopped at the end.
    if (!this.live.gone(conn)) return;
    this.detach(lane, conn);
    const now = nowUs();
    this.rec.closed(kind, conn.timing, conn.responses, code, now);
    const unanswered = conn.takeUnanswered();
    if (this.stopping) {
      for (const ex of unanswered) this.work.abandon(ex);
      return;
    }
    const retriedAny = this.work.unanswered(unanswered, conn, kind, code, now);
    if (retriedAny || this.work.fansOut) this.pumpAll();
    else this.fill(lane);
  }

  /** Stops sending; the connections close (live.ts). */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.sweepTimer);
    this.waker.cancel();
    this.held?.stop();
    for (const lane of this.lanes) if (lane.conn !== null) this.detach(lane, lane.conn);
    this.live.stop();
  }

  // --- timers ----------------------------------------------------------------

  /** Open model: wake up when the next scheduled request falls due. */
  private armWake(now = nowUs()): void {
    const due = this.work.nextDueUs();
    // An overdue request is waiting for a busy connection: the next response or close fills that lane.
    // `now` is the time the supply was asked at, so "not due yet" there is never "overdue" here.
    if (due !== null && !this.stopping && due > now) this.waker.at(due);
  }

  /** Timeouts without a timer per request: one sweep over the connections. */
  private sweep(): void {
    const now = nowUs();
    for (const lane of this.lanes) {
      const conn = lane.conn;
      if (conn === null) continue;
      if (timedOut(conn, now, this.rules)) conn.destroy('timeout');
      // --idle-timeout: an idle pooled connection is closed by the client before the server does it.
      else if (this.rules.idleTimeoutUs > 0 && conn.inFlight === 0 && conn.responses > 0 && now - conn.lastActiveUs > this.rules.idleTimeoutUs) {
        this.setAsideConn(lane, conn, true);
      }
    }
    this.live.sweep(now, this.rules);
    this.armWake();
  }
}
