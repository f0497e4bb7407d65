// PING timing on a client session: one PING in flight at a time, about one a
// second, its round trip measured; the server's PINGs counted per second.
import { describe, expect, it } from 'vitest';
import { PingClock } from '../../src/http2/ping-clock.js';

describe('PingClock', () => {
  it('has one PING in flight at a time, the next due a second after the last', () => {
    const c = new PingClock();
    expect(c.due(5_000_000)).toBe(true);
    c.sent(5_000_000);
    expect(c.due(7_000_000)).toBe(false); // unanswered
    expect(c.acked(5_000_250)).toBe(250);
    expect(c.acked(5_000_300)).toBeNull(); // an ACK nobody waited for
    expect(c.due(5_900_000)).toBe(false);
    expect(c.due(6_000_000)).toBe(true);
  });

  it('lets 1,000 PINGs from the server through in a second, not the 1,001st; the count starts again after it', () => {
    const c = new PingClock();
    for (let i = 0; i < 1000; i++) expect(c.received(10_000_000 + i)).toBe(true);
    expect(c.received(10_500_000)).toBe(false);
    expect(c.received(11_100_000)).toBe(true);
  });
});
