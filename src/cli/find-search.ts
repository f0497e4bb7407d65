// The search of `connload find`, as data and no I/O: step the load up by a factor until a
// step fails (or the bound is reached), then bisect between the last passing and the first
// failing load until they are within the precision.

/** The load a search steps: requests per second, connections, or new connections per second. */
export type FindBy = 'rate' | 'connections' | 'connect-rate';

export interface SearchOptions {
  /** the first step's load */
  start: number;
  /** each step up multiplies the load by this (> 1) */
  factor: number;
  /** the highest load tried */
  max: number;
  maxSteps: number;
  /** bisection stops when the gap is at most this fraction of the passing load */
  precision: number;
}

export type StopReason = 'converged' | 'max-load' | 'max-steps' | 'max-time' | 'first-step-failed' | 'interrupted';

export class CapacitySearch {
  lastPass: number | null = null;
  firstFail: number | null = null;
  steps = 0;
  stoppedBy: StopReason | null = null;

  constructor(private readonly o: SearchOptions) {}

  /** The next load to try, or null when the search is over (stoppedBy says why). */
  next(): number | null {
    if (this.stoppedBy !== null) return null;
    const { lastPass, firstFail } = this;
    if (lastPass === null && firstFail !== null) return this.stop('first-step-failed');
    if (this.steps >= this.o.maxSteps) return this.stop('max-steps');
    if (lastPass === null) return this.o.start;
    if (firstFail === null) {
      if (lastPass >= this.o.max) return this.stop('max-load');
      return Math.min(Math.max(Math.round(lastPass * this.o.factor), lastPass + 1), this.o.max);
    }
    // Loads are whole numbers (requests or connections per second, connections): a gap of 1 cannot be split.
    const mid = Math.round((lastPass + firstFail) / 2);
    if (firstFail - lastPass <= this.o.precision * lastPass || mid <= lastPass || mid >= firstFail) return this.stop('converged');
    return mid;
  }

  record(load: number, ok: boolean): void {
    this.steps++;
    if (ok) this.lastPass = Math.max(this.lastPass ?? load, load);
    else this.firstFail = Math.min(this.firstFail ?? load, load);
  }

  stop(reason: StopReason): null {
    this.stoppedBy ??= reason;
    return null;
  }
}
