// The closed model with a ramp (--stage-connections): the open connections in
// total move linearly from the phase's starting connections through each
// stage's target. At each moment the whole number nearest the line is split over
// runners and workers as -c is (share()), so the shares always sum to it; this
// worker's lanes below its share may hold a connection, those above do not.
// The pool is told at each change of this worker's share, not on a poll.
import { share } from '../plan/share.js';
import { rampValueAt, type Stage } from '../plan/stages.js';
import { nowUs } from '../transport/timing.js';
import { Waker } from './wake.js';

export interface RampSplit {
  runnerIndex: number;
  runnerCount: number;
  workerIndex: number;
  workers: number;
}

export class ConnectionRamp {
  private readonly waker = new Waker(() => this.follow());
  private originUs = 0;
  private apply: (lanes: number) => void = () => {};

  constructor(
    private readonly startConnections: number,
    private readonly stages: Stage[],
    private readonly split: RampSplit,
  ) {}

  /** Open connections in total (all runners) `elapsedUs` from the ramp's start, before rounding. */
  totalAt(elapsedUs: number): number {
    return rampValueAt(this.startConnections, this.stages, elapsedUs / 1000);
  }

  /** This worker's lanes for a total of `total` connections. */
  private part(total: number): number {
    const { runnerIndex, runnerCount, workerIndex, workers } = this.split;
    return share(share(total, runnerCount, runnerIndex), workers, workerIndex);
  }

  /** This worker's lanes `elapsedUs` from the ramp's start (before it: the starting connections). */
  lanesAt(elapsedUs: number): number {
    return this.part(Math.round(this.totalAt(elapsedUs)));
  }

  /**
   * The first moment after `elapsedUs` at which lanesAt() changes, or Infinity. The rounded total
   * changes where the line crosses a half: n + 0.5 going up, n - 0.5 going down.
   */
  nextChangeUs(elapsedUs: number): number {
    const lanes = this.lanesAt(elapsedUs);
    let startUs = 0;
    let from = this.startConnections;
    for (const stage of this.stages) {
      const durationUs = stage.durationMs * 1000;
      const endUs = startUs + durationUs;
      if (endUs > elapsedUs && stage.target !== from) {
        const slope = (stage.target - from) / durationUs;
        const up = slope > 0;
        let n = Math.round(from + slope * (Math.max(elapsedUs, startUs) - startUs));
        for (;;) {
          const atUs = startUs + (n + (up ? 0.5 : -0.5) - from) / slope;
          if (atUs >= endUs) break;
          n += up ? 1 : -1;
          if (this.part(n) !== lanes) return Math.max(atUs, elapsedUs);
        }
      }
      startUs = endUs;
      from = stage.target;
    }
    return Infinity;
  }

  /**
   * Calls `apply` with this worker's lanes now (the ramp starts at `originUs`: after the warmup),
   * then at each change until stop().
   */
  start(originUs: number, apply: (lanes: number) => void): void {
    this.originUs = originUs;
    this.apply = apply;
    this.follow();
  }

  stop(): void {
    this.waker.cancel();
  }

  private follow(): void {
    const elapsedUs = nowUs() - this.originUs;
    this.apply(this.lanesAt(elapsedUs));
    const nextUs = this.nextChangeUs(elapsedUs);
    // The waker rounds up to whole milliseconds: past the crossing, the rounded total has moved.
    if (nextUs !== Infinity) this.waker.at(this.originUs + nextUs);
  }
}
