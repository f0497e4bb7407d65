// A finite, known capacity for the built-in server: at most `limit` requests are
// in service (their latency running) at once; the rest wait in arrival order.
// With --latency 10ms --capacity 4 the server serves at most 4 / 10 ms = 400 req/s:
// ground truth for `connload find` and for ramps.

export interface CapacityStats {
  /** requests in service at once, at most (never above the limit) */
  peakInService: number;
  /** requests waiting at once, at most */
  peakQueue: number;
  /** requests that had to wait for a free slot */
  waited: number;
  /** time spent waiting, summed over those requests */
  waitTotalMs: number;
  /** requests that held a slot and released it */
  served: number;
  /** time slots were held (the service time: latency plus timer lateness), summed */
  serviceTotalMs: number;
}

export interface CapacityTicket {
  /** gives up a place in the queue, or the slot once held; safe to call more than once */
  cancel(): void;
}

interface Waiter {
  start: () => void;
  arrivedMs: number;
  cancelled: boolean;
}

export class CapacityGate {
  private inService = 0;
  private readonly queue: Waiter[] = [];
  /** index of the first waiter not yet served (the queue is compacted now and then) */
  private head = 0;
  private waiting = 0;
  readonly stats: CapacityStats = { peakInService: 0, peakQueue: 0, waited: 0, waitTotalMs: 0, served: 0, serviceTotalMs: 0 };

  constructor(readonly limit: number) {}

  /**
   * Calls `start` with the ticket once a slot is free: now, or when an earlier request
   * releases one. The holder releases its slot with ticket.cancel() when its service is
   * over; cancelling while still queued gives up the place in the queue.
   */
  acquire(start: (ticket: CapacityTicket) => void): CapacityTicket {
    let state: 'queued' | 'holding' | 'done' = 'queued';
    let heldSinceMs = 0;
    const ticket: CapacityTicket = {
      cancel: () => {
        if (state === 'holding') {
          state = 'done';
          this.stats.served++;
          this.stats.serviceTotalMs += performance.now() - heldSinceMs;
          this.inService--;
          this.next();
        } else if (state === 'queued') {
          state = 'done';
          waiter.cancelled = true;
          this.waiting--;
        }
      },
    };
    const waiter: Waiter = {
      start: () => {
        state = 'holding';
        heldSinceMs = performance.now();
        start(ticket);
      },
      arrivedMs: performance.now(),
      cancelled: false,
    };
    if (this.inService < this.limit && this.waiting === 0) {
      this.take();
      waiter.start();
      return ticket;
    }
    this.queue.push(waiter);
    this.waiting++;
    if (this.waiting > this.stats.peakQueue) this.stats.peakQueue = this.waiting;
    return ticket;
  }

  private take(): void {
    this.inService++;
    if (this.inService > this.stats.peakInService) this.stats.peakInService = this.inService;
  }

  /** Hands free slots to the waiters, first come first served. */
  private next(): void {
    while (this.inService < this.limit && this.head < this.queue.length) {
      const waiter = this.queue[this.head++]!;
      if (waiter.cancelled) continue;
      this.waiting--;
      this.stats.waited++;
      this.stats.waitTotalMs += performance.now() - waiter.arrivedMs;
      this.take();
      waiter.start();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
