// Requests that wait to be sent again, kept apart by why they wait: a 4.7.3
// retry (the connection closed under it) goes once and only on a new
// connection; a request waiting for a local port (EADDRNOTAVAIL) has not
// failed at all, so it is neither a retry nor an error, and takes any lane.
import type { Connection } from '../transport/connection.js';
import type { Exchange } from '../transport/timing.js';

/** A first-in, first-out queue of requests; an array, as requests wait here rarely and briefly. */
export class ExchangeQueue {
  private readonly items: Exchange[] = [];

  get size(): number {
    return this.items.length;
  }

  push(ex: Exchange): void {
    this.items.push(ex);
  }

  /** Puts `list` ahead of the others, in its order. */
  pushFront(list: readonly Exchange[]): void {
    if (list.length > 0) this.items.unshift(...list);
  }

  shift(): Exchange | undefined {
    return this.items.length === 0 ? undefined : this.items.shift();
  }

  /** Empties the queue and returns what it held, oldest first. */
  drain(): Exchange[] {
    return this.items.splice(0);
  }
}

/** 4.7.3 retries: each request goes once more, and only on a new connection (nothing answered on
 *  it yet), never queued behind others on a used one. */
export class RetryQueue {
  private readonly queue = new ExchangeQueue();

  get size(): number {
    return this.queue.size;
  }

  /** Queues `ex` for its second and last attempt. */
  add(ex: Exchange): void {
    ex.attempt = 2;
    this.queue.push(ex);
  }

  /** The oldest retry, if the connection asking is new. */
  takeFor(fresh: boolean): Exchange | undefined {
    return fresh ? this.queue.shift() : undefined;
  }
}

/**
 * 4.7.3: may a request that got no complete response on a closed connection be sent again?
 * Only if it got no byte back, is idempotent and has not been retried already; and only if the
 * close was not its own fault: the first request on a used connection met a stale keep-alive,
 * the ones behind it (`index` > 0) were pipelined behind a failure.
 */
export function mayRetry(ex: Exchange, index: number, conn: Connection, idempotent: boolean): boolean {
  return ex.firstByteUs === 0 && ex.attempt === 1 && idempotent && (index > 0 || conn.responses > 0);
}

/**
 * Stale: the server closed a used connection without saying so first (4.5.6 / 4.7.3); the
 * requests pipelined behind the first are retried but are not stale-reuse failures.
 */
export function isStale(index: number, conn: Connection): boolean {
  return index === 0 && conn.announcedClose !== true;
}
