// Every connection the pool opened and has not seen close, and how the end of
// the run closes them: those still working are destroyed at once, those only
// waiting for the server's FIN get a grace, and any whose close has not been
// reported when the grace is over are counted as stopped at the end.
import type { Recorder } from '../metrics/recorder.js';
import type { Connection } from '../transport/connection.js';
import { CLOSE_GRACE_MS, timedOut, type PoolRules } from './lanes.js';

export class LiveConnections {
  /** every connection not yet closed */
  private readonly live = new Set<Connection>();
  /** connections that take no more requests and wait to close, off their lane */
  private readonly retiring = new Set<Connection>();
  private stopping = false;
  private settled = false;

  constructor(
    private readonly rec: Recorder,
    private readonly onSettled: () => void,
  ) {}

  add(conn: Connection): void {
    this.live.add(conn);
  }

  /** `conn` left its lane to close. */
  setAside(conn: Connection): void {
    this.retiring.add(conn);
  }

  /**
   * `conn` closed or failed to connect. Returns false when the run has settled already: the
   * connection was counted as stopped at the end, and nothing more is recorded of it.
   */
  gone(conn: Connection): boolean {
    if (this.settled) return false;
    this.retiring.delete(conn);
    this.live.delete(conn);
    if (this.stopping && this.live.size === 0) setImmediate(this.settle);
    return true;
  }

  /** Timeouts of the connections set aside (the pool checks those on lanes). */
  sweep(now: number, rules: PoolRules): void {
    for (const conn of this.retiring) if (timedOut(conn, now, rules)) conn.destroy('timeout');
  }

  /**
   * The run stops. In-flight requests are abandoned; connections that are only
   * waiting for the server's FIN get a short grace, so the close is counted as it happened.
   */
  stop(): void {
    this.stopping = true;
    for (const conn of this.live) {
      if (this.retiring.has(conn) && conn.inFlight === 0) continue;
      conn.destroy('stopped');
      // One still connecting says nothing more: it was never open.
      if (!conn.connected) this.live.delete(conn);
    }
    if (this.live.size === 0) setImmediate(this.settle);
    setTimeout(() => {
      for (const conn of this.live) conn.destroy('stopped');
      // destroy() reports 'close' on the next tick; settle after it.
      setImmediate(this.settle);
    }, CLOSE_GRACE_MS).unref();
  }

  /** Connections whose close has not been reported by now are counted as stopped at the end. */
  private readonly settle = (): void => {
    if (this.settled) return;
    this.settled = true;
    for (const conn of this.live) if (conn.connected) this.rec.closed('stopped', conn.timing, conn.responses);
    this.live.clear();
    this.onSettled();
  };
}
