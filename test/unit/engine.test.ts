// The engine without sockets: fake connections the test drives (connect, fail,
// answer, close), the real Recorder and the real supplies, on a fake clock.
import { describe, expect, it, vi } from 'vitest';
import { requestErrors as requestErrorsOf } from '../../src/metrics/counters.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { buildPhasePlan } from '../../src/plan/build-plan.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import type { LimitRange } from '../../src/plan/types.js';
import { Engine, FatalConnectError } from '../../src/run/engine.js';
import { ClosedSupply, OpenSupply, type Supply } from '../../src/run/supply.js';
import { nowUs, type Exchange } from '../../src/transport/timing.js';
import { FakeNetwork, useFakeClock } from '../helpers/fake-connection.js';
import { seededRandom } from '../../src/server/faults.js';

interface Setup {
  lanes: number;
  /** closed model budget (or open model cap) */
  budget?: number | null;
  /** open model: requests per second, and the schedule's length */
  rate?: number;
  scheduleMs?: number;
  /** requests per connection: 1 is new-connection, null persistent; a range: each connection draws its own */
  perConnection?: number | LimitRange | null;
  /** requests in flight per connection (pipeline depth) */
  depth?: number;
  options?: RunOptionsInput;
  /** false: the run is in its warmup (nothing counted until startCounting) */
  counting?: boolean;
}

function start(s: Setup) {
  const options: RunOptionsInput = { ...(s.rate !== undefined ? { rate: s.rate } : {}), ...s.options };
  const phase = buildPhasePlan({ name: 'p', url: 'http://127.0.0.1:8080/', options, bodyFileBytes: null, caPem: null, where: (k) => `--${k}` });
  const rate = s.rate ?? null;
  const plan = { phase, workerIndex: 0, connections: s.lanes, requests: s.budget ?? null, rate, startAtEpochMs: 0, address: '127.0.0.1', liveLatency: false };
  const rec = new Recorder({ openModel: rate !== null });
  if (s.counting !== false) rec.startCounting();
  let supply: Supply;
  if (rate === null) {
    supply = new ClosedSupply(s.budget ?? null);
  } else {
    const startUs = nowUs();
    const open = new OpenSupply(startUs, rate, s.budget ?? null, phase.timeoutMs * 1000, () => rec.dropped());
    open.endAt(startUs + (s.scheduleMs ?? 1000) * 1000);
    supply = open;
  }
  const net = new FakeNetwork(s.depth ?? 1);
  const perConnection =
    s.perConnection === undefined || s.perConnection === null
      ? null
      : typeof s.perConnection === 'number'
        ? { min: s.perConnection, max: s.perConnection }
        : s.perConnection;
  const engine = new Engine(plan, { open: net.open, perConnection }, rec, supply);
  const state = { done: false, error: null as unknown };
  engine.done.then(
    () => (state.done = true),
    (err: unknown) => {
      state.error = err;
      state.done = true;
    },
  );
  engine.start();
  return { net, rec, supply, engine, state, c: rec.counters, conn: (i: number) => net.connections[i]! };
}

type Run = ReturnType<typeof start>;

/** Lets `ms` of fake time pass, running the timers and immediates due in it. */
const tick = async (ms = 0): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
};

/** Runs the fake clock until the engine has settled (bounded: the close grace is 500 ms). */
async function settled(run: Run): Promise<void> {
  for (let i = 0; i < 1000 && !run.state.done; i++) await tick(1);
  expect(run.state.done).toBe(true);
}

/** Connects and answers everything, round after round, until the engine stops by itself. */
async function serveUntilStopped(run: Run, rounds = 1000): Promise<void> {
  for (let i = 0; i < rounds && run.engine.stoppedAtUs === 0; i++) {
    run.net.connectAll();
    run.net.answerAll();
    await tick(1);
  }
  expect(run.engine.stoppedAtUs).toBeGreaterThan(0);
  await settled(run);
}

/** The very same request objects, in order (a plain toEqual would accept look-alikes). */
function expectSame(actual: readonly Exchange[], expected: readonly Exchange[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((ex, i) => expect(ex).toBe(expected[i]));
}

/** The accounting that must hold for every run (issue 19). */
function expectIdentities(run: Run): void {
  const c = run.c;
  // port-exhausted counts failed connects, not requests: those requests wait for a port.
  const requestErrors = requestErrorsOf(c.errors);
  expect(c.sent).toBe(run.supply.issued);
  expect(c.completed + requestErrors + c.dropped + c.unfinished, 'sent = completed + errors + dropped + unfinished').toBe(c.sent);
  const k = c.connections;
  expect(k.closedByServer + k.closedByClient + k.resetByServer + k.resetByClient + k.closedByTimeout + k.stoppedAtEnd, 'opened = the six ways to end').toBe(k.opened);
}

useFakeClock();

describe('Engine: stop conditions', () => {
  it('stops when the request budget has its outcomes, the open connections counted as stopped at the end', async () => {
    const run = start({ lanes: 2, budget: 10 });
    await serveUntilStopped(run);
    expect(run.c.completed).toBe(10);
    expect(run.c.unfinished).toBe(0);
    expect(run.net.connections).toHaveLength(2);
    expect(run.c.connections).toMatchObject({ opened: 2, stoppedAtEnd: 2 });
    expect(run.c.reused).toBe(8);
    expectIdentities(run);
  });

  it('stop() (the duration timer) counts requests in flight as unfinished, and a response after it not at all', async () => {
    const run = start({ lanes: 2 });
    for (let i = 0; i < 3; i++) {
      run.net.connectAll();
      run.net.answerAll();
      await tick(); // the next requests go once this round of I/O is handled
    }
    expect(run.c.completed).toBe(6);
    run.engine.stop();
    run.conn(0).answer(); // too late: the run is over
    await settled(run);
    expect(run.c.completed).toBe(6);
    expect(run.c.unfinished).toBe(2);
    expect(run.supply.issued).toBe(8);
    expect(run.c.connections).toMatchObject({ opened: 2, stoppedAtEnd: 2 });
    expectIdentities(run);
  });

  it('open model: stops by itself once the schedule is over and every request has its outcome', async () => {
    const run = start({ lanes: 2, rate: 1000, scheduleMs: 20 });
    await serveUntilStopped(run, 100);
    expect(run.supply.issued).toBe(20);
    expect(run.c.completed).toBe(20);
    expect(run.c.dropped).toBe(0);
    expectIdentities(run);
  });

  it('open model: a request that cannot start within its deadline is dropped', async () => {
    const run = start({ lanes: 1, rate: 1000, scheduleMs: 30, options: { timeout: '5ms' } });
    run.conn(0).connect();
    // The only connection is busy for 20 ms: slots 1..19 fall due meanwhile.
    await tick(20);
    expect(run.net.connections).toHaveLength(1);
    run.conn(0).answer();
    await tick();
    // Slots more than 5 ms late (1..14) are dropped; slot 15 goes at the end of the round.
    expect(run.c.dropped).toBe(14);
    expect(run.conn(0).received).toHaveLength(2);
    await serveUntilStopped(run, 100);
    expect(run.c.completed + run.c.dropped).toBe(30);
    expectIdentities(run);
  });

  it('stop during the warmup counts nothing', async () => {
    const run = start({ lanes: 2, counting: false });
    run.net.connectAll();
    run.net.answerAll();
    run.engine.stop();
    await settled(run);
    expect(run.c.completed).toBe(0);
    expect(run.c.unfinished).toBe(0);
    expect(run.c.connections).toMatchObject({ opened: 0, stoppedAtEnd: 0 });
    expect(run.supply.issued).toBe(0);
    expectIdentities(run);
  });

  it('requests begun in the warmup are not counted when they end after it; those begun after are unfinished at stop', async () => {
    const run = start({ lanes: 2, counting: false });
    run.net.connectAll();
    run.net.answerAll();
    await tick(1);
    run.rec.startCounting();
    run.net.answerAll(); // warmup requests: not counted; their successors are
    await tick();
    run.engine.stop();
    await settled(run);
    expect(run.c.completed).toBe(0);
    expect(run.c.unfinished).toBe(2);
    expect(run.supply.issued).toBe(2);
    // Connections opened in the warmup are not counted, opened or closed.
    expect(run.c.connections).toMatchObject({ opened: 0, stoppedAtEnd: 0 });
    expectIdentities(run);
  });

  it('a connect that fails before any connection worked is fatal', async () => {
    const run = start({ lanes: 2 });
    run.conn(0).failConnect('ECONNREFUSED');
    await settled(run);
    expect(run.state.error).toBeInstanceOf(FatalConnectError);
    expect((run.state.error as FatalConnectError).code).toBe('ECONNREFUSED');
  });
});

describe('Engine: retries (4.7.3)', () => {
  it('retries a request once, on a new connection; a second failure is an error', async () => {
    const run = start({ lanes: 1, budget: 3 });
    const c1 = run.conn(0);
    c1.connect();
    c1.answer();
    await tick();
    const second = c1.queue[0]!;
    c1.serverClose('server-fin'); // a stale keep-alive: the server closed a used connection
    expect(run.c.retried).toBe(1);
    expect(run.c.connections.staleReuse).toBe(1);
    const c2 = run.conn(1);
    expectSame(c2.received, [second]);
    expect(second.attempt).toBe(2);
    c2.connect();
    c2.serverClose('server-fin'); // fails again: not retried a second time
    expect(run.c.retried).toBe(1);
    expect(run.c.errors).toEqual({ 'server-closed': 1 });
    await serveUntilStopped(run);
    expect(run.c.completed).toBe(2);
    expect(run.c.connections).toMatchObject({ opened: 3, closedByServer: 2, stoppedAtEnd: 1 });
    expectIdentities(run);
  });

  it('never queues a retry behind others on a used connection', async () => {
    const run = start({ lanes: 2, depth: 2 });
    run.net.connectAll();
    run.net.answerAll();
    await tick();
    const [c1, c2] = [run.conn(0), run.conn(1)];
    expect(c1.inFlight).toBe(2);
    const unanswered = [...c1.queue];
    c2.answer(); // c2 can take one more request now
    // Exchange objects are pooled: c2's earlier, answered requests may be the same objects as c1's.
    const c2Before = c2.received.length;
    c1.serverClose('server-reset');
    expect(run.c.retried).toBe(2);
    expect(run.c.connections.staleReuse).toBe(1);
    await tick(); // c2's own next request, due once this round is handled
    expect(c2.received.length).toBeGreaterThan(c2Before);
    for (const ex of unanswered) expect(c2.received.slice(c2Before)).not.toContain(ex);
    const c3 = run.conn(2);
    expectSame(c3.received, unanswered);
    c3.connect();
    c3.serverClose('server-fin');
    expect(run.c.retried).toBe(2);
    expect(run.c.errors).toEqual({ 'server-closed': 2 });
    run.engine.stop();
    await settled(run);
    expectIdentities(run);
  });

  it('does not retry a request that is not idempotent', async () => {
    const run = start({ lanes: 1, options: { method: 'POST' } });
    const c1 = run.conn(0);
    c1.connect();
    c1.answer();
    await tick();
    c1.serverClose('server-fin');
    expect(run.c.retried).toBe(0);
    expect(run.c.errors).toEqual({ 'server-closed': 1 });
    run.engine.stop();
    await settled(run);
    expectIdentities(run);
  });
});

describe('Engine: the pool', () => {
  it('evicts a connection idle longer than 0.9 x the server Keep-Alive timeout before reuse', async () => {
    // One request every 100 ms on one lane.
    const run = start({ lanes: 1, rate: 10, scheduleMs: 400 });
    const c1 = run.conn(0);
    c1.connect();
    c1.answer(200, 0.105); // 0.9 x 105 ms < 100 ms idle: evicted
    await tick(100);
    expect(c1.retiredBy).toBe('evicted');
    expect(c1.received).toHaveLength(1);
    const c2 = run.conn(1);
    expect(c2.received).toHaveLength(1);
    c2.connect();
    c2.answer(200, 0.115); // 0.9 x 115 ms > 100 ms idle: reused
    await tick(100);
    expect(c2.retiredBy).toBeNull();
    expect(c2.received).toHaveLength(2);
    await serveUntilStopped(run, 1000);
    expect(run.c.completed).toBe(4);
    expect(run.c.connections).toMatchObject({ opened: 2, closedByClient: 1, stoppedAtEnd: 1 });
    expectIdentities(run);
  });

  it('out of local ports, a request waits for a port (not an error, not a retry) and goes once a connect works', async () => {
    const run = start({ lanes: 1, budget: 2, perConnection: 1 });
    const c1 = run.conn(0);
    const first = c1.received[0]!;
    c1.failConnect('EADDRNOTAVAIL');
    expect(run.c.errors).toEqual({ 'port-exhausted': 1 });
    expect(run.c.connections.failedByCode).toEqual({ EADDRNOTAVAIL: 1 });
    // Back-off: no new connect for 50 ms.
    await tick(49);
    expect(run.net.connections).toHaveLength(1);
    await tick(1);
    const c2 = run.conn(1);
    expectSame(c2.received, [first]);
    expect(first.attempt).toBe(1);
    c2.failConnect('EADDRNOTAVAIL'); // still out: it waits again
    await tick(50);
    const c3 = run.conn(2);
    expectSame(c3.received, [first]);
    c3.connect();
    c3.answer();
    await serveUntilStopped(run);
    expect(run.c.completed).toBe(2);
    expect(run.c.retried).toBe(0);
    expect(run.c.errors).toEqual({ 'port-exhausted': 2 });
    expect(run.c.connections).toMatchObject({ opened: 2, failed: 2, closedByClient: 2, stoppedAtEnd: 0 });
    expectIdentities(run);
  });

  it('open model: requests still waiting for a port when the schedule is over are dropped', async () => {
    const run = start({ lanes: 1, rate: 100, scheduleMs: 50, perConnection: 1, options: { duration: '50ms' } });
    const fail = (): void => {
      for (const c of run.net.live) if (!c.connected) c.failConnect('EADDRNOTAVAIL');
    };
    for (let i = 0; i < 60 && run.engine.stoppedAtUs === 0; i++) {
      fail();
      await tick(1);
    }
    expect(run.engine.stoppedAtUs).toBeGreaterThan(0);
    await settled(run);
    expect(run.c.completed).toBe(0);
    expect(run.c.dropped).toBe(run.supply.issued);
    expect(run.c.retried).toBe(0);
    expectIdentities(run);
  });

  it('spreads new connections over the local addresses in turn', async () => {
    const run = start({ lanes: 3, options: { localAddress: '127.0.0.2,127.0.0.3' } });
    expect(run.net.connections.map((c) => c.localAddress)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.2']);
    run.engine.stop();
    await settled(run);
  });
});

describe('Engine: connection lifecycles drawn per connection', () => {
  it('a range of requests per connection: each connection carries the count it drew, spread over the range', async () => {
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(17));
    const run = start({ lanes: 2, budget: 600, perConnection: { min: 5, max: 15 } });
    await serveUntilStopped(run, 2000);
    expect(run.c.completed).toBe(600);
    // Retired by the client after its last request (the connections still open at the end may carry fewer).
    const retired = run.net.connections.filter((c) => c.retiredBy === 'last');
    expect(retired.length).toBeGreaterThanOrEqual(38);
    const counts = retired.map((c) => c.received.length);
    for (const n of counts) expect(n).toBeGreaterThanOrEqual(5);
    for (const n of counts) expect(n).toBeLessThanOrEqual(15);
    expect(new Set(counts).size, counts.join(' ')).toBeGreaterThanOrEqual(9);
    expect(Math.min(...counts)).toBeLessThanOrEqual(6);
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(14);
    expect(run.net.connections.length - retired.length).toBeLessThanOrEqual(2);
    expectIdentities(run);
  });

  it('a range of ages: each connection retires at the first request after the age it drew', async () => {
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(5));
    const run = start({ lanes: 1, budget: 400, options: { maxConnectionAge: '100ms-300ms' } });
    // One request every 5 ms of fake time.
    for (let i = 0; i < 2000 && run.engine.stoppedAtUs === 0; i++) {
      run.net.connectAll();
      await tick(5);
      run.net.answerAll();
    }
    await settled(run);
    expect(run.c.completed).toBe(400);
    const retired = run.net.connections.filter((c) => c.retiredBy === 'last');
    expect(retired.length).toBeGreaterThanOrEqual(5);
    // Its last request went at the first send at or past its age: within one request (5 ms) of it.
    const ages = retired.map((c) => (c.lastSendUs - c.timing.startUs) / 1000);
    for (const ms of ages) expect(ms).toBeGreaterThanOrEqual(100);
    for (const ms of ages) expect(ms).toBeLessThanOrEqual(300 + 10);
    expect(Math.max(...ages) - Math.min(...ages), ages.join(' ')).toBeGreaterThan(50);
    expectIdentities(run);
  });
});
