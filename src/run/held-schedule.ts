// --interval: held connections (C10K tests, as tcpkali's and Tsung's per-connection
// rates). Each lane sends one request per interval on a grid of its own: slot k is
// due at t0 + k x interval, t0 being when the lane's first request went, so the
// schedule does not drift with response times. One request at a time per lane: when
// a response comes after the next slot, the next request goes at once (late, its
// latency measured from the slot) and slots that passed wholly are skipped, so a
// server that stalled gets no burst when it recovers. A lane whose connection closed
// opens the next one at its next slot: connect attempts stay at one per interval.
//
// Lanes not yet due wait in one heap ordered by due time, woken by one timer: 50,000
// connections make no timer each.
import { nowUs } from '../transport/timing.js';
import type { Lane } from './lanes.js';
import { Waker } from './wake.js';

/** Where late requests and skipped slots are counted (the worker's Recorder). */
export interface SlotCounts {
  lateSlot(skippedSlots: number): void;
}

export class HeldSchedule {
  /** a binary min-heap of waiting lanes, by due time: two arrays, no object per entry */
  private readonly dueUs: number[] = [];
  private readonly lanes: Lane[] = [];
  private readonly waker = new Waker(() => this.wake());
  private stopped = false;

  constructor(
    private readonly intervalUs: number,
    /** a lane's slot has come: the pool fills it */
    private readonly onDue: (lane: Lane) => void,
    private readonly counts: SlotCounts,
  ) {}

  /**
   * The slot (us) the lane's next request takes, now or earlier, or null when its next slot is
   * still ahead: the lane then waits here until it is due. The pool calls sent() once it sends.
   */
  slotFor(lane: Lane, now: number): number | null {
    if (lane.waitingUs > 0) return null;
    if (lane.slotAnchorUs < 0) {
      lane.slotAnchorUs = now;
      lane.nextSlot = 0;
      return now;
    }
    const due = lane.slotAnchorUs + lane.nextSlot * this.intervalUs;
    if (lane.slotWoken) {
      lane.slotWoken = false;
      // Woken at its slot; one that could not send then (a connect backing off, --connect-rate) sends
      // on it now, unless a whole interval has passed since.
      if (now - due < this.intervalUs) return due;
    }
    if (due > now) {
      this.wait(lane, due);
      return null;
    }
    // The previous response (or the lane's new connection) came after this slot: late. The slots
    // that passed wholly meanwhile are skipped; the request takes the latest one.
    const latest = Math.floor((now - lane.slotAnchorUs) / this.intervalUs);
    const skipped = Math.max(0, latest - lane.nextSlot);
    lane.nextSlot += skipped;
    this.counts.lateSlot(skipped);
    return lane.slotAnchorUs + lane.nextSlot * this.intervalUs;
  }

  /** The lane sent its request on the slot slotFor() gave. */
  sent(lane: Lane): void {
    lane.nextSlot++;
  }

  /** The run stops: no lane is woken any more. */
  stop(): void {
    this.stopped = true;
    this.waker.cancel();
    this.dueUs.length = 0;
    this.lanes.length = 0;
  }

  private wait(lane: Lane, due: number): void {
    lane.waitingUs = due;
    this.push(due, lane);
    this.waker.at(due);
  }

  private wake(): void {
    const now = nowUs();
    while (!this.stopped && this.dueUs.length > 0 && this.dueUs[0]! <= now) {
      const lane = this.pop();
      lane.waitingUs = 0;
      lane.slotWoken = true;
      this.onDue(lane);
    }
    if (!this.stopped && this.dueUs.length > 0) this.waker.at(this.dueUs[0]!);
  }

  private push(due: number, lane: Lane): void {
    const d = this.dueUs;
    const l = this.lanes;
    let i = d.length;
    d.push(due);
    l.push(lane);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (d[parent]! <= due) break;
      d[i] = d[parent]!;
      l[i] = l[parent]!;
      i = parent;
    }
    d[i] = due;
    l[i] = lane;
  }

  private pop(): Lane {
    const d = this.dueUs;
    const l = this.lanes;
    const top = l[0]!;
    const lastDue = d.pop()!;
    const lastLane = l.pop()!;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && d[child + 1]! < d[child]!) child++;
        if (d[child]! >= lastDue) break;
        d[i] = d[child]!;
        l[i] = l[child]!;
        i = child;
      }
      d[i] = lastDue;
      l[i] = lastLane;
    }
    return top;
  }
}
