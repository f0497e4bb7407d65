// 4.7.3 as rules: which unanswered requests may go again, and where.
import { describe, expect, it } from 'vitest';
import { ExchangeQueue, isStale, mayRetry, RetryQueue } from '../../src/run/retries.js';
import type { Connection } from '../../src/transport/connection.js';
import { newExchange } from '../../src/transport/timing.js';

const conn = (responses: number, announcedClose = false): Connection => ({ responses, announcedClose }) as Connection;

describe('mayRetry', () => {
  it('retries an idempotent request that got nothing back on a used connection (a stale keep-alive)', () => {
    expect(mayRetry(newExchange(), 0, conn(3), true)).toBe(true);
  });

  it('retries the requests pipelined behind a failure, even on a new connection', () => {
    expect(mayRetry(newExchange(), 1, conn(0), true)).toBe(true);
  });

  it('does not retry the first request on a new connection: the failure is its own', () => {
    expect(mayRetry(newExchange(), 0, conn(0), true)).toBe(false);
  });

  it('does not retry a request that is not idempotent', () => {
    expect(mayRetry(newExchange(), 0, conn(3), false)).toBe(false);
  });

  it('does not retry a request that got part of a response (that is a truncation)', () => {
    const ex = newExchange();
    ex.firstByteUs = 1;
    expect(mayRetry(ex, 0, conn(3), true)).toBe(false);
  });

  it('retries a request once', () => {
    const ex = newExchange();
    ex.attempt = 2;
    expect(mayRetry(ex, 1, conn(3), true)).toBe(false);
  });
});

describe('isStale', () => {
  it('is the first request on a connection the server closed without saying so', () => {
    expect(isStale(0, conn(3))).toBe(true);
    expect(isStale(0, conn(3, true))).toBe(false);
    expect(isStale(1, conn(3))).toBe(false);
  });
});

describe('RetryQueue', () => {
  it('marks the second attempt, and hands retries only to a new connection, oldest first', () => {
    const q = new RetryQueue();
    const [a, b] = [newExchange(), newExchange()];
    q.add(a);
    q.add(b);
    expect(a.attempt).toBe(2);
    expect(q.takeFor(false)).toBeUndefined();
    expect(q.takeFor(true)).toBe(a);
    expect(q.takeFor(true)).toBe(b);
    expect(q.takeFor(true)).toBeUndefined();
    expect(q.size).toBe(0);
  });
});

describe('ExchangeQueue', () => {
  it('puts requests that waited again ahead of the others, in their order', () => {
    const q = new ExchangeQueue();
    const [a, b, c] = [newExchange(), newExchange(), newExchange()];
    q.push(c);
    q.pushFront([a, b]);
    const order = q.drain().map((ex) => [a, b, c].indexOf(ex));
    expect(order).toEqual([0, 1, 2]);
    expect(q.shift()).toBeUndefined();
  });
});
