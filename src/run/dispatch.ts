// Request dispatch: where the next request for a connection comes from (a
// request waiting for a port, a 4.7.3 retry, or the supply), what became of each
// (completed, failed, retried, dropped, unfinished), and the one stop condition.
// It never touches a socket: the pool (pool.ts) owns connections and asks here.
import type { Recorder } from '../metrics/recorder.js';
import type { CloseKind, Connection } from '../transport/connection.js';
import { newExchange, resetExchange, type Exchange } from '../transport/timing.js';
import { ExchangeQueue, isStale, mayRetry, RetryQueue } from './retries.js';
import type { Supply } from './supply.js';

export class Dispatch {
  /** 4.7.3 retries: once, on a new connection. */
  private readonly retries = new RetryQueue();
  /** Requests whose connection found no local port (EADDRNOTAVAIL): not failed, not retries. */
  private readonly waitingForPort = new ExchangeQueue();
  /** Exchange objects for reuse: no allocation per request. */
  private readonly spare: Exchange[] = [];
  /** Requests handed out without an outcome yet, queued ones included. */
  private outstanding = 0;
  /** The counted ones among them: at stop they are the run's `unfinished` requests. */
  private outstandingCounted = 0;
  private stopped = false;

  constructor(
    private readonly supply: Supply,
    private readonly rec: Recorder,
    /** The phase's method is idempotent (4.7.3: only those are retried). */
    private readonly idempotent: boolean,
    /** Called once every request has its outcome and the supply has no more. */
    private readonly allDone: () => void,
  ) {}

  /** Finishing a request can make work for other connections (page mode). */
  get fansOut(): boolean {
    return this.supply.fansOut;
  }

  /** Retries are waiting for a new connection. */
  get retryWaiting(): boolean {
    return this.retries.size > 0;
  }

  /** When the next request falls due (open model), or null. */
  nextDueUs(): number | null {
    return this.supply.nextDueUs();
  }

  /**
   * The next request for a connection that can send now, or null when none is due.
   * `fresh`: the connection is new (no response on it yet), so a retry may go on it.
   */
  next(now: number, fresh: boolean): Exchange | null {
    // A request that waited for a port was never sent: any connection may take it, and before
    // anything newer. A retry goes only on a new connection (4.7.3).
    const waiting = this.waitingForPort.shift() ?? this.retries.takeFor(fresh);
    if (waiting !== undefined) return waiting;
    const ex = this.spare.pop() ?? newExchange();
    resetExchange(ex);
    const counted = this.rec.counting;
    ex.counted = counted; // a supply may decide otherwise (a page begun in the warmup stays uncounted)
    if (!this.supply.take(ex, now, counted)) {
      this.spare.push(ex);
      // Open model: a schedule can end on dropped slots, with no response left to notice it.
      this.stopIfAllDone();
      return null;
    }
    this.outstanding++;
    if (ex.counted) this.outstandingCounted++;
    return ex;
  }

  // --- outcomes --------------------------------------------------------------

  /** A complete response. */
  responded(ex: Exchange): void {
    this.rec.response(ex);
    this.finish(ex, true, ex.endUs);
  }

  /** A request failed with `code` (its connection may go on). */
  fail(ex: Exchange, code: string, now: number): void {
    if (ex.counted) this.rec.error(code, now);
    this.finish(ex, false, now);
  }

  /** A connection could not be opened for other reasons than ports: its requests fail with its code. */
  failAll(list: readonly Exchange[], code: string, now: number): void {
    for (const ex of list) this.fail(ex, code, now);
  }

  /** Out of local ports: the requests wait for a port, they have not failed (4.2.7). */
  waitForPort(list: readonly Exchange[]): void {
    this.waitingForPort.pushFront(list);
  }

  /**
   * A connection closed with `list` unanswered (oldest first): each is retried once (4.7.3) or
   * fails, those behind a failed one for the same reason. Returns whether any was retried.
   */
  unanswered(list: readonly Exchange[], conn: Connection, kind: CloseKind, code: string | null, now: number): boolean {
    let retriedAny = false;
    for (let i = 0; i < list.length; i++) {
      const ex = list[i]!;
      // The keep-alive race: the first unanswered request went on a connection that had been idle.
      if (i === 0 && ex.firstByteUs === 0) this.rec.raceFailure(ex);
      if (mayRetry(ex, i, conn, this.idempotent)) {
        if (ex.counted) this.rec.retried(isStale(i, conn));
        this.retries.add(ex);
        retriedAny = true;
      } else {
        this.fail(ex, code ?? closeCode(kind, ex.firstByteUs > 0), now);
      }
    }
    return retriedAny;
  }

  /**
   * Open model, schedule over while the ports are still out: the requests waiting for one never
   * started, and would wait for TIME_WAIT to end (60 s), so they are dropped.
   */
  dropWaitingForPort(now: number): void {
    for (const ex of this.waitingForPort.drain()) {
      if (ex.counted) this.rec.dropped();
      this.release(ex, false, now);
    }
  }

  /** After stop: an outcome that came too late is not counted (it is `unfinished` already). */
  abandon(ex: Exchange): void {
    this.spare.push(ex);
  }

  /** The run stops: counted requests without an outcome are `unfinished`. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.rec.ended(this.supply.issued, this.outstandingCounted);
  }

  private finish(ex: Exchange, ok: boolean, now: number): void {
    this.release(ex, ok, now);
    this.stopIfAllDone();
  }

  private release(ex: Exchange, ok: boolean, now: number): void {
    this.outstanding--;
    if (ex.counted) this.outstandingCounted--;
    this.supply.finished(ex, ok, now);
    this.spare.push(ex);
  }

  /** The one stop condition. Queued retries and port waiters are outstanding, so none is left behind. */
  private stopIfAllDone(): void {
    if (this.outstanding === 0 && this.supply.exhausted && !this.stopped) this.allDone();
  }
}

function closeCode(kind: CloseKind, partial: boolean): string {
  switch (kind) {
    case 'server-fin':
      return partial ? 'truncated' : 'server-closed';
    case 'server-reset':
      return 'ECONNRESET';
    case 'timeout':
      return 'timeout';
    default:
      return 'closed';
  }
}
