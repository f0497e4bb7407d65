// The open model with a ramp (--stage): the arrival rate moves linearly through
// each stage, and request k is due when the integral of the rate reaches k. Within
// a stage that is a quadratic, solved exactly, so the schedule stays fixed in
// advance and latency is measured from each intended start (coordinated omission
// corrected) exactly as with a fixed rate.
import type { Stage } from '../plan/stages.js';
import { OpenSupply } from './supply.js';

interface Segment {
  /** µs from the phase start at which this stage begins */
  startUs: number;
  durationUs: number;
  /** requests due before this stage */
  countBefore: number;
  /** requests due within it */
  count: number;
  /** rate at its start, requests per µs */
  r0: number;
  /** change of rate, requests per µs² */
  slope: number;
}

/** The schedule of a ramp: when the k-th request (0-based) is due, in µs from the start. */
export class RampSchedule {
  private readonly segments: Segment[] = [];
  /** requests in the whole ramp (the integral of the rate) */
  readonly total: number;

  constructor(startRate: number, stages: Stage[]) {
    let startUs = 0;
    let countBefore = 0;
    let rate = startRate / 1e6;
    for (const stage of stages) {
      const durationUs = stage.durationMs * 1000;
      const r1 = stage.target / 1e6;
      const count = ((rate + r1) / 2) * durationUs;
      this.segments.push({ startUs, durationUs, countBefore, count, r0: rate, slope: (r1 - rate) / durationUs });
      startUs += durationUs;
      countBefore += count;
      rate = r1;
    }
    this.total = countBefore;
  }

  /** µs from the start at which the integral of the rate reaches k; Infinity past the ramp. */
  dueUs(k: number): number {
    for (const s of this.segments) {
      if (k >= s.countBefore + s.count) continue;
      const m = k - s.countBefore;
      // r0 τ + slope τ² / 2 = m. The root in the form 2m / (r0 + √(r0² + 2 slope m)) stays exact
      // for a flat stage (slope 0), a rise from 0 (r0 0) and a fall alike.
      const root = Math.sqrt(Math.max(0, s.r0 * s.r0 + 2 * s.slope * m));
      const tau = m === 0 ? 0 : (2 * m) / (s.r0 + root);
      return s.startUs + Math.min(tau, s.durationUs);
    }
    return Infinity;
  }
}

/**
 * Request k of the whole phase is due at schedule.dueUs(k); worker i of n takes
 * requests i, i + n, i + 2n, ...: the workers interleave one schedule, as with a fixed rate.
 */
export class RampSupply extends OpenSupply {
  constructor(
    startUs: number,
    private readonly schedule: RampSchedule,
    private readonly workerIndex: number,
    private readonly workerCount: number,
    budget: number | null,
    deadlineUs: number,
    onDropped: () => void,
  ) {
    super(startUs, 1, budget, deadlineUs, onDropped);
  }

  protected override dueUs(): number {
    return this.startUs + this.schedule.dueUs(this.workerIndex + this.k * this.workerCount);
  }
}
