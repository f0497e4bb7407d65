// Where the next request comes from: the closed model (each free connection
// sends its next request at once), the open model (a schedule fixed in
// advance), and page mode (one HTML page, then its images, as a browser would).
import type { Exchange } from '../transport/timing.js';

export interface Supply {
  /**
   * Fills `ex` with the next request due now and returns true, or false when none is due.
   * `counted` says whether the run counts now (false in the warmup); `ex.counted` comes set to
   * it, and a supply may clear it.
   */
  take(ex: Exchange, nowUs: number, counted: boolean): boolean;
  /** A request has its final outcome. */
  finished(ex: Exchange, ok: boolean, nowUs: number): void;
  /** No request will be handed out any more. */
  readonly exhausted: boolean;
  /** Counted requests handed out so far, dropped ones included: the run's `sent`. */
  readonly issued: number;
  /** When the next request falls due (open model), or null. */
  nextDueUs(): number | null;
  /** True when finishing a request can make work for other connections (page mode). */
  readonly fansOut: boolean;
}

/** Closed model: a request whenever a connection is free, up to a budget. */
export class ClosedSupply implements Supply {
  readonly fansOut = false;
  private taken = 0;
  get issued(): number {
    return this.taken;
  }
  constructor(private readonly budget: number | null) {}
  get exhausted(): boolean {
    return this.budget !== null && this.taken >= this.budget;
  }
  take(ex: Exchange, nowUs: number, counted: boolean): boolean {
    if (this.exhausted) return false;
    if (counted) this.taken++;
    ex.intendedUs = nowUs;
    return true;
  }
  finished(): void {}
  nextDueUs(): null {
    return null;
  }
}

/**
 * Open model: request k is due at start + k / rate. Latency is measured from
 * that intended start, so time spent waiting for a connection is counted
 * (coordinated omission corrected). A request that cannot start within
 * `deadlineUs` of its slot is dropped. Once `endAt` is set, slots from then on
 * are not handed out: the schedule is over, and the requests already due still
 * get their outcome (a stall at the end of a run is measured, not cut off).
 */
export class OpenSupply implements Supply {
  readonly fansOut = false;
  /** slots handed out or dropped so far: the next slot is the k-th */
  protected k = 0;
  private taken = 0;
  get issued(): number {
    return this.taken;
  }
  private endUs = Infinity;
  private readonly intervalUs: number;
  constructor(
    protected readonly startUs: number,
    ratePerSecond: number,
    private readonly budget: number | null,
    private readonly deadlineUs: number,
    private readonly onDropped: () => void,
  ) {
    this.intervalUs = 1e6 / ratePerSecond;
  }
  /** No slot at or after `endUs` is handed out. */
  endAt(endUs: number): void {
    this.endUs = endUs;
  }
  /** When slot k falls due (a ramp overrides this). */
  protected dueUs(): number {
    return this.startUs + this.k * this.intervalUs;
  }
  get exhausted(): boolean {
    return (this.budget !== null && this.taken >= this.budget) || this.dueUs() >= this.endUs;
  }
  take(ex: Exchange, nowUs: number, counted: boolean): boolean {
    while (!this.exhausted) {
      const intendedUs = this.dueUs();
      if (intendedUs > nowUs) return false;
      this.k++;
      if (counted) this.taken++;
      if (nowUs - intendedUs > this.deadlineUs) {
        this.onDropped();
        continue;
      }
      ex.intendedUs = intendedUs;
      return true;
    }
    return false;
  }
  finished(): void {}
  nextDueUs(): number | null {
    return this.exhausted ? null : this.dueUs();
  }
}

/**
 * Page mode (closed model): an iteration fetches path 0 (the HTML) and then
 * the other paths concurrently, as far as free connections allow; the next
 * iteration starts when the last response is in.
 */
export class PageSupply implements Supply {
  readonly fansOut = true;
  private iteration = -1;
  private startUs = 0;
  private handedOut = 0;
  private done = 0;
  private failed = false;
  private active = false;
  /** A page begun in the warmup is not counted, not even its requests sent after the warmup. */
  private countedPage = false;
  private taken = 0;
  get issued(): number {
    return this.taken;
  }
  constructor(
    private readonly pathCount: number,
    private readonly budget: number | null,
    private readonly onPage: (startUs: number, endUs: number) => void,
  ) {}
  get exhausted(): boolean {
    return !this.active && this.budget !== null && this.taken + this.pathCount > this.budget;
  }
  take(ex: Exchange, nowUs: number, counted: boolean): boolean {
    if (!this.active) {
      if (this.exhausted) return false;
      this.active = true;
      this.iteration++;
      this.startUs = nowUs;
      this.handedOut = 0;
      this.done = 0;
      this.failed = false;
      this.countedPage = counted;
    } else if (this.handedOut === 1 && this.done === 0) {
      return false; // the HTML first: its images are known only once it is in
    } else if (this.handedOut === this.pathCount) {
      return false;
    }
    if (this.countedPage) this.taken++;
    ex.counted = this.countedPage;
    ex.pathIndex = this.handedOut++;
    ex.pageIteration = this.iteration;
    ex.intendedUs = nowUs;
    return true;
  }
  finished(ex: Exchange, ok: boolean, nowUs: number): void {
    if (ex.pageIteration !== this.iteration || !this.active) return;
    if (!ok) this.failed = true;
    if (++this.done < this.pathCount) return;
    this.active = false;
    if (!this.failed && ex.counted) this.onPage(this.startUs, nowUs);
  }
  nextDueUs(): null {
    return null;
  }
}
