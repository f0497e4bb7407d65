// One timer for every wake-up of the pool: the open model's next slot and the
// end of a lane's connect back-off. Only an earlier wake-up replaces it.
import { nowUs } from '../transport/timing.js';

export class Waker {
  private timer: NodeJS.Timeout | undefined;
  private atUs = Infinity;

  constructor(private readonly wake: () => void) {}

  /** Calls `wake` at `atUs` (us) or earlier, when an earlier wake-up is already set. */
  at(atUs: number): void {
    if (atUs >= this.atUs) return;
    clearTimeout(this.timer);
    this.atUs = atUs;
    // Whole milliseconds, as Node's timers fire anyway: one timer list serves every wake-up
    // (a fractional delay makes a list of its own each time).
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil((atUs - nowUs()) / 1000)));
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.atUs = Infinity;
  }

  private readonly fire = (): void => {
    this.atUs = Infinity;
    this.wake();
  };
}
