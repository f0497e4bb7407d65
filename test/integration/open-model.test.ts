// The open model (--rate): requests on a schedule fixed in advance, latency
// measured from each request's intended start (coordinated omission corrected)
// beside the uncorrected service time, --max-connections, and dropped requests.
// The servers' own counts are the ground truth; runs are bounded by --duration
// at a fixed rate, so by request count.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';
import { okResponse, rawServer, type RawServer } from '../helpers/raw-server.js';
import { assertValidResult } from '../helpers/schema.js';

const closers: Array<() => Promise<void>> = [];

async function builtIn(): Promise<RunningServer> {
  const s = await startServer({});
  closers.push(() => s.close());
  return s;
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** `value` is within `fraction` of `expected`. */
function expectWithin(value: number, expected: number, fraction: number, what: string): void {
  expect(value, what).toBeGreaterThanOrEqual(expected * (1 - fraction));
  expect(value, what).toBeLessThanOrEqual(expected * (1 + fraction));
}

const STALL_AFTER_MS = 1500;
const STALL_MS = 1000;

/**
 * Answers at once, except that it stops the world once: 1.5 s after its first
 * request, every response is held until 1 s has passed (a GC pause, a lock).
 * `stalled` counts the requests it held.
 */
async function stallsOnce(): Promise<RawServer & { stalled: () => number }> {
  let firstRequestMs: number | null = null;
  let resumeAtMs: number | null = null;
  let stalled = 0;
  const server = await rawServer((_socket, ctx) =>
    ctx.onRequest(() => {
      const nowMs = performance.now();
      firstRequestMs ??= nowMs;
      if (resumeAtMs === null && nowMs - firstRequestMs >= STALL_AFTER_MS) resumeAtMs = nowMs + STALL_MS;
      const holdMs = resumeAtMs !== null ? resumeAtMs - nowMs : 0;
      // A timer may fire a little early: what arrives in the last few ms of the stall is not held.
      if (holdMs <= 5) return ctx.answer(okResponse());
      stalled++;
      // One request at a time per connection (persistent), so holding keeps responses in order.
      setTimeout(() => ctx.answer(okResponse()), holdMs);
    }),
  );
  closers.push(() => server.close());
  return Object.assign(server, { stalled: () => stalled });
}

describe('--rate (open model)', () => {
  it('--rate 200 for 5 s completes 1000 requests within 1%, at 200 req/s within 1%', async () => {
    const s = await builtIn();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '--rate', '200', '-d', '5s']);
    expect(code, stderr).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expectWithin(p.requests.completed, 1000, 0.01, 'completed');
    expectWithin(p.requests.perSecond, 200, 0.01, 'achieved rate');
    expect(p.requests.errors).toBe(0);
    expect(p.requests.dropped).toBe(0);
    expect(p.options.rate).toBe(200);
    // Every scheduled request got its answer before the run ended: none was abandoned in flight.
    expect(s.stats().requests).toBe(p.requests.completed);
    expect(p.metrics.latency!.count).toBe(p.requests.completed);
    expect(p.metrics.latencyUncorrected!.count).toBe(p.requests.completed);
    // Per request, the intended start is never after the issue: corrected >= uncorrected at every rank.
    for (const stat of ['min', 'p50', 'p90', 'p99', 'max'] as const) {
      expect(p.metrics.latency![stat], stat).toBeGreaterThanOrEqual(p.metrics.latencyUncorrected![stat]);
    }
  });

  it('shares the rate between workers: --rate 300 -w 2 for 2 s is 600 requests within 1%', async () => {
    const s = await builtIn();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '--rate', '300', '-w', '2', '-c', '4', '-d', '2s']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expectWithin(p.requests.completed, 600, 0.01, 'completed');
    expectWithin(p.requests.perSecond, 300, 0.01, 'achieved rate');
    expect(s.stats().requests).toBe(p.requests.completed);
  });

  it.each(['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'])(
    '%s: every scheduled request is sent and answered once, none is cut off at the end',
    async (strategy) => {
      const s = await startServer({ h2c: true });
      closers.push(() => s.close());
      const { code, stderr, result } = await runJson(['run', `${s.url}/`, '-s', strategy, '--rate', '100', '-d', '1s', '--max-connections', '4']);
      expect(code, stderr).toBe(0);
      const p = result.phases[0];
      // The schedule of 1 s at 100/s has exactly 100 slots; the run ends when the last is answered.
      expect(p.requests.completed).toBe(100);
      expect(p.requests.byStatus).toEqual({ '200': 100 });
      expect(s.stats().requests).toBe(100);
      expect(s.stats().connections).toBeLessThanOrEqual(strategy === 'new-connection' ? 100 : 4);
      expect(p.metrics.latencyUncorrected!.count).toBe(100);
    },
  );

  it('a server that stalls once for 1 s shows it in the corrected p99 (latency), not in the uncorrected p99 (latencyUncorrected)', async () => {
    const s = await stallsOnce();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '--rate', '200', '-d', '5s', '--max-connections', '2']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expectWithin(p.requests.completed, 1000, 0.01, 'completed');
    expect(p.requests.dropped).toBe(0);
    // The stall held only the requests on the two connections; about 200 more waited for a connection.
    expect(s.stalled()).toBeGreaterThanOrEqual(1);
    expect(s.stalled()).toBeLessThanOrEqual(2);
    expect(s.stats.connections).toBe(2);
    expect(p.connections.opened).toBe(2);
    expect(s.stats.requests).toBe(p.requests.completed);

    const corrected = p.metrics.latency;
    const uncorrected = p.metrics.latencyUncorrected;
    // Corrected (from each request's intended start): the ~20% of requests due during the
    // stall waited up to 1 s, so p99 is hundreds of milliseconds.
    expect(corrected!.p99).toBeGreaterThanOrEqual(500);
    expect(p.metrics.ttfb!.p99).toBeGreaterThanOrEqual(500);
    // Uncorrected (from when a request was written): only the one or two held requests saw
    // the stall (its max), so p99 stays small: coordinated omission hides the stall.
    expect(uncorrected!.max).toBeGreaterThanOrEqual(500);
    expect(uncorrected!.p99).toBeLessThan(200);
    expect(corrected!.p99).toBeGreaterThan(3 * uncorrected!.p99);
  });

  it('--max-connections caps the sockets; requests that cannot start within --timeout of their slot are dropped', async () => {
    const s = await builtIn();
    // One connection, 300 ms per response: about 3 req/s can be served of the 100 asked for.
    const { code, stderr, result } = await runJson([
      'run',
      `${s.url}/?latency=300`,
      '--rate',
      '100',
      '-d',
      '2s',
      '--max-connections',
      '1',
      '--timeout',
      '1s',
      '-t',
      'dropped == 0',
      '-t',
      'errors == 0',
    ]);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/dropped == 0 \(actual \d+\)/);
    const p = result.phases[0];
    expect(s.stats().connections).toBe(1);
    expect(p.connections.opened).toBe(1);
    expect(p.requests.dropped).toBeGreaterThan(100);
    expect(p.requests.completed).toBeGreaterThanOrEqual(1);
    // Every one of the 200 scheduled requests has exactly one outcome.
    expect(p.requests.completed + p.requests.errors + p.requests.dropped).toBe(200);
    expect(s.stats().requests).toBe(p.requests.completed);
    expect(p.thresholds).toEqual([
      { expression: 'dropped == 0', ok: false, actual: p.requests.dropped },
      { expression: 'errors == 0', ok: true, actual: 0 },
    ]);
    // The server answers in 300 ms; requests waited up to the 1 s deadline for the connection first.
    // The server's 300 ms is a Node timer, counted from its cached loop time: it can end up to 1 ms early.
    expect(p.metrics.latencyUncorrected!.min).toBeGreaterThanOrEqual(299);
    expect(p.metrics.latency!.max).toBeGreaterThan(p.metrics.latencyUncorrected!.max + 300);
  });
});
