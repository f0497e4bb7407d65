// --connect-rate's pacer: connection k may open at k / rate; a timer that fires late loses no
// slot (within PACER_CATCH_UP_US), and slots not used while nothing needed a connection do not
// pile up into a burst.
import { describe, expect, it } from 'vitest';
import { ConnectPacer, PACER_CATCH_UP_US } from '../../src/run/lanes.js';

/** Opens every connection the pacer allows at `now` (a lane asks whenever one may open). */
function openAllowed(pacer: ConnectPacer, now: number): number {
  let n = 0;
  while (pacer.nextAllowedUs() <= now && n < 100_000) {
    pacer.opened(now);
    n++;
  }
  return n;
}

describe('ConnectPacer', () => {
  it('woken every millisecond, it keeps a rate above one connection a millisecond (2,000/s)', () => {
    const pacer = new ConnectPacer(2000);
    let opened = 0;
    // A timer fires about 1 ms after its time, sometimes later: wake at 1.3 ms steps for 1 s.
    for (let now = 0; now < 1_000_000; now += 1300) opened += openAllowed(pacer, now);
    expect(opened).toBeGreaterThanOrEqual(1990);
    expect(opened).toBeLessThanOrEqual(2001);
  });

  it('catches up slots a late timer skipped, but not those of an idle second', () => {
    const pacer = new ConnectPacer(2000);
    expect(openAllowed(pacer, 0)).toBe(1);
    // 2 ms late: the slots at 0.5, 1, 1.5 and 2 ms.
    expect(openAllowed(pacer, 2000)).toBe(4);
    // Nothing needed a connection for a second: only the last PACER_CATCH_UP_US of slots, not 2,000.
    expect(openAllowed(pacer, 1_002_000)).toBe(PACER_CATCH_UP_US / 500 + 1);
  });

  it('at a slow rate one late slot is caught up, never a burst', () => {
    const pacer = new ConnectPacer(10); // a slot every 100 ms, longer than the catch-up
    expect(openAllowed(pacer, 0)).toBe(1);
    expect(openAllowed(pacer, 350_000)).toBe(2);
    expect(pacer.nextAllowedUs()).toBe(450_000);
  });
});
