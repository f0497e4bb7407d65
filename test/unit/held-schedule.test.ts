// --interval (held connections) without sockets: fake connections the test drives, the real
// engine, pool, schedule and Recorder, on a fake clock. Each lane sends one request per interval
// on its own grid of slots; late responses, skipped slots, reconnects and the held summary.
import { describe, expect, it, vi } from 'vitest';
import { mergeHeld, summarizeHeld } from '../../src/metrics/held.js';
import { Recorder } from '../../src/metrics/recorder.js';
import type { HeldSummary } from '../../src/metrics/result.js';
import { buildPhasePlan } from '../../src/plan/build-plan.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import { Engine } from '../../src/run/engine.js';
import { ClosedSupply } from '../../src/run/supply.js';
import { nowUs } from '../../src/transport/timing.js';
import { FakeNetwork, useFakeClock } from '../helpers/fake-connection.js';

const MS = 1000;

function start(lanes: number, options: RunOptionsInput, depth = 1) {
  const phase = buildPhasePlan({ name: 'p', url: 'http://127.0.0.1:8080/', options, bodyFileBytes: null, caPem: null, where: (k) => `--${k}` });
  const plan = { phase, workerIndex: 0, connections: lanes, requests: null, rate: null, startAtEpochMs: 0, address: '127.0.0.1', liveLatency: false };
  const rec = new Recorder({ openModel: true });
  rec.startCounting();
  const net = new FakeNetwork(depth);
  const t0 = nowUs();
  const engine = new Engine(plan, { open: net.open, perConnection: null }, rec, new ClosedSupply(null));
  let done = false;
  void engine.done.finally(() => (done = true));
  engine.start();
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 1000 && !done; i++) await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  };
  return { net, rec, engine, t0, c: rec.counters, conn: (i: number) => net.connections[i]!, settled };
}

const tick = (ms: number): Promise<void> => vi.advanceTimersByTimeAsync(ms).then(() => undefined);

useFakeClock();

describe('--interval: each lane on its own slots', () => {
  it('sends request k at t0 + k x interval, t0 being when its lane began; one at a time even where more could be in flight', async () => {
    // --connect-rate 10: lanes 0 and 1 begin at 0 (one slot of the pacer is there at the start), lane 2 at
    // 100 ms; a depth of 10 would allow more in flight.
    const run = start(3, { interval: '250ms', connectRate: 10 }, 10);
    run.net.connectAll();
    run.net.answerAll();
    expect(run.net.connections).toHaveLength(2); // answered at once, the next requests wait for their slots
    await tick(100);
    run.net.connectAll();
    run.net.answerAll();
    const sent = (): number[] => run.net.connections.map((c) => c.received.length);
    await tick(149); // 249 ms
    expect(sent()).toEqual([1, 1, 1]);
    await tick(1); // 250 ms: slot 1 of lanes 0 and 1
    expect(sent()).toEqual([2, 2, 1]);
    // (Exchanges are reused once answered: what is in flight is read while it is.)
    expect(run.conn(0).queue[0]!.intendedUs).toBe(run.t0 + 250 * MS);
    await tick(100); // 350 ms: slot 1 of lane 2
    expect(sent()).toEqual([2, 2, 2]);
    expect(run.conn(2).queue[0]!.intendedUs).toBe(run.t0 + 350 * MS);
    await tick(200); // 550 ms: nothing answered, nothing more sent
    expect(sent()).toEqual([2, 2, 2]);
    expect(run.conn(0).inFlight).toBe(1);
    run.conn(0).answer(); // 550 ms: after slot 2 (500 ms): late, goes at once (this round), measured from its slot
    await tick(0);
    expect(sent()).toEqual([3, 2, 2]);
    expect(run.conn(0).queue[0]!.intendedUs).toBe(run.t0 + 500 * MS);
    expect(run.conn(0).queue[0]!.issueUs).toBe(run.t0 + 550 * MS);
    expect(run.c.held).toMatchObject({ late: 1, skipped: 0 });
    expect(run.net.connections).toHaveLength(3);
    run.engine.stop();
    await run.settled();
  });

  it('a response that comes after whole slots skips them: one request, on the latest slot, no burst', async () => {
    const run = start(1, { interval: '100ms' });
    const c1 = run.conn(0);
    c1.connect();
    c1.answer();
    await tick(100);
    expect(c1.received).toHaveLength(2); // slot 1
    await tick(250); // 350 ms: slots 2 and 3 have passed with request 1 unanswered
    c1.answer();
    await tick(0);
    expect(c1.received).toHaveLength(3);
    expect(c1.queue[0]!.intendedUs).toBe(run.t0 + 300 * MS);
    expect(run.c.held).toMatchObject({ late: 1, skipped: 1 });
    c1.answer(); // 350 ms, on time for slot 4 at 400 ms
    await tick(49);
    expect(c1.received).toHaveLength(3);
    await tick(1);
    expect(c1.received).toHaveLength(4);
    expect(c1.queue[0]!.intendedUs).toBe(run.t0 + 400 * MS);
    expect(run.c.held).toMatchObject({ late: 1, skipped: 1 });
    run.engine.stop();
    await run.settled();
  });

  it('a connection the server closed is replaced at the next slot; a refused connect waits for the one after', async () => {
    const run = start(1, { interval: '100ms' });
    run.conn(0).connect();
    run.conn(0).answer();
    await tick(50);
    run.conn(0).serverClose('server-fin');
    await tick(49); // 99 ms
    expect(run.net.connections).toHaveLength(1);
    await tick(1); // 100 ms: the lane's slot 1 opens a new connection with its request
    expect(run.net.connections).toHaveLength(2);
    run.conn(1).failConnect('ECONNREFUSED'); // not fatal: a connection worked before
    expect(run.c.errors).toEqual({ ECONNREFUSED: 1 });
    await tick(99);
    expect(run.net.connections).toHaveLength(2); // no retry every 10 ms: the lane waits for its slot
    await tick(1);
    expect(run.net.connections).toHaveLength(3);
    run.conn(2).connect();
    run.conn(2).answer();
    run.engine.stop();
    await run.settled();
    expect(run.c.held).toMatchObject({ openAtEnd: 1, failedFirstSecond: { ECONNREFUSED: 0 } });
    expect(run.rec.series.closedByServer).toEqual([1]);
    expect(run.rec.series.connectFailed).toEqual([1]);
    const held = summarizeHeld({ intervalMs: 100, connections: 1 }, run.c, run.rec.series.closedByServer);
    expect(held).toEqual({
      intervalMs: 100,
      connections: 1,
      peakOpen: 1,
      openAtEnd: 1,
      closedByServer: 1,
      resetByServer: 0,
      closedFirstSecond: 0,
      closedLastSecond: 0,
      failed: { ECONNREFUSED: { count: 1, firstSecond: 0 } },
      late: 0,
      skipped: 0,
    });
  });

  it("keeps a held connection past the server's announced Keep-Alive timeout: what the server keeps is what is measured", async () => {
    const run = start(1, { interval: '200ms' });
    run.conn(0).connect();
    run.conn(0).answer(200, 0.15); // Keep-Alive: timeout=0.15 s, below the interval
    await tick(200);
    expect(run.net.connections).toHaveLength(1);
    expect(run.conn(0).received).toHaveLength(2);
    run.engine.stop();
    await run.settled();
  });
});

describe('the held summary of several runners', () => {
  const part = (over: Partial<HeldSummary>): HeldSummary => ({
    intervalMs: 3000,
    connections: 10_000,
    peakOpen: 10_000,
    openAtEnd: 10_000,
    closedByServer: 0,
    resetByServer: 0,
    closedFirstSecond: null,
    closedLastSecond: null,
    failed: {},
    late: 0,
    skipped: 0,
    ...over,
  });

  it('adds counts, keeps the earliest first second and the latest last one', () => {
    const merged = mergeHeld([
      part({ closedByServer: 3, closedFirstSecond: 4, closedLastSecond: 6, failed: { ECONNREFUSED: { count: 2, firstSecond: 7 } }, late: 1 }),
      part({
        openAtEnd: 9_990,
        closedByServer: 10,
        resetByServer: 10,
        closedFirstSecond: 2,
        closedLastSecond: 5,
        failed: { ECONNREFUSED: { count: 5, firstSecond: 6 }, EMFILE: { count: 1, firstSecond: 0 } },
      }),
      null,
    ]);
    expect(merged).toEqual({
      intervalMs: 3000,
      connections: 20_000,
      peakOpen: 20_000,
      openAtEnd: 19_990,
      closedByServer: 13,
      resetByServer: 10,
      closedFirstSecond: 2,
      closedLastSecond: 6,
      failed: { ECONNREFUSED: { count: 7, firstSecond: 6 }, EMFILE: { count: 1, firstSecond: 0 } },
      late: 1,
      skipped: 0,
    });
    expect(mergeHeld([null, undefined])).toBeNull();
  });
});
