// Connection ramps (--stage-connections): the whole number of connections at each
// moment, split over runners and workers, and the pool following it up and down
// with fake connections on a fake clock (no sockets, no wall clock).
import { describe, expect, it, vi } from 'vitest';
import { Recorder } from '../../src/metrics/recorder.js';
import { buildPhasePlan } from '../../src/plan/build-plan.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import { ConnectionRamp, type RampSplit } from '../../src/run/connection-ramp.js';
import { Engine } from '../../src/run/engine.js';
import { ClosedSupply } from '../../src/run/supply.js';
import { FakeNetwork, useFakeClock } from '../helpers/fake-connection.js';

const ALONE: RampSplit = { runnerIndex: 0, runnerCount: 1, workerIndex: 0, workers: 1 };
const stages = (...pairs: Array<[number, number]>) => pairs.map(([durationMs, target]) => ({ durationMs, target }));

describe('ConnectionRamp', () => {
  it('moves linearly through each target, to the nearest whole connection, holding the start before it', () => {
    const ramp = new ConnectionRamp(0, stages([2000, 40], [2000, 40], [2000, 0]), ALONE);
    const at = (ms: number): number => ramp.lanesAt(ms * 1000);
    expect([at(-500), at(0), at(1000), at(2000), at(3000), at(4000), at(5000), at(6000), at(7000)]).toEqual([0, 0, 20, 40, 40, 40, 20, 0, 0]);
    // 40 over 2 s: a connection every 50 ms, the first at 25 ms (the line crosses 0.5).
    expect(at(24)).toBe(0);
    expect(at(26)).toBe(1);
    expect(ramp.nextChangeUs(0)).toBeCloseTo(25_000, 6);
    expect(ramp.nextChangeUs(26_000)).toBeCloseTo(75_000, 6);
    // The flat stage has no change; the fall's first is at 4 s + 25 ms.
    expect(ramp.nextChangeUs(2_000_000)).toBeCloseTo(4_025_000, 6);
    expect(ramp.nextChangeUs(6_000_000)).toBe(Infinity);
  });

  it('starts from the given connections and goes down as well as up', () => {
    const ramp = new ConnectionRamp(10, stages([1000, 2], [1000, 6]), ALONE);
    expect([0, 500, 1000, 1500, 2000].map((ms) => ramp.lanesAt(ms * 1000))).toEqual([10, 6, 2, 4, 6]);
  });

  it('splits the total over runners and workers as -c is split: the shares always sum to it', () => {
    const s = stages([1000, 37], [1000, 5]);
    const parts: ConnectionRamp[] = [];
    for (let runnerIndex = 0; runnerIndex < 2; runnerIndex++)
      for (let workerIndex = 0; workerIndex < 3; workerIndex++) parts.push(new ConnectionRamp(3, s, { runnerIndex, runnerCount: 2, workerIndex, workers: 3 }));
    const whole = new ConnectionRamp(3, s, ALONE);
    for (let ms = 0; ms <= 2000; ms += 7) {
      const us = ms * 1000;
      expect(
        parts.reduce((n, p) => n + p.lanesAt(us), 0),
        `at ${ms} ms`,
      ).toBe(whole.lanesAt(us));
    }
    // Each part wakes only when its own share changes, and it does change there.
    for (const p of parts) {
      let us = 0;
      for (let k = 0; k < 100; k++) {
        const next = p.nextChangeUs(us);
        if (next === Infinity) break;
        expect(p.lanesAt(next + 1)).not.toBe(p.lanesAt(us));
        // nothing changes in between
        expect(p.lanesAt((us + next) / 2)).toBe(p.lanesAt(us));
        us = next + 1;
      }
      expect(p.lanesAt(us)).toBe(p.lanesAt(2_000_000));
    }
  });
});

describe('the pool follows a connection ramp', () => {
  useFakeClock();

  function start(options: RunOptionsInput) {
    const phase = buildPhasePlan({ name: 'p', url: 'http://127.0.0.1:8080/', options, bodyFileBytes: null, caPem: null, where: (k) => `--${k}` });
    const plan = { phase, workerIndex: 0, connections: phase.connections, requests: null, rate: null, startAtEpochMs: 0, address: '127.0.0.1', liveLatency: false };
    const rec = new Recorder({ openModel: false });
    rec.startCounting();
    const net = new FakeNetwork();
    const engine = new Engine(plan, { open: net.open, perConnection: null }, rec, new ClosedSupply(null));
    let done = false;
    void engine.done.then(() => (done = true));
    engine.start();
    return { net, rec, engine, isDone: () => done };
  }

  it('opens lanes as the target rises and retires them, once answered, as it falls; closes counted as the client', async () => {
    const run = start({ connectionStages: '1s:4,1s:4,1s:0' });
    expect(run.net.connections).toHaveLength(0);
    const open: Record<number, number> = {};
    for (let ms = 1; ms <= 3200; ms++) {
      run.net.connectAll();
      run.net.answerAll();
      await vi.advanceTimersByTimeAsync(1);
      if (ms % 100 === 0) open[ms] = run.net.live.length;
    }
    // 4 over 1 s: one more every 250 ms from 125 ms, flat, then one fewer every 250 ms from 2125 ms.
    expect([open[100], open[200], open[500], open[800], open[900], open[1500], open[2100], open[2200], open[2500], open[2900], open[3000]]).toEqual([
      0, 1, 2, 3, 4, 4, 4, 3, 2, 0, 0,
    ]);
    // Every connection the ramp opened was retired by it, idle, and closed by the client.
    expect(run.net.connections).toHaveLength(4);
    expect(run.net.connections.map((c) => [c.retiredBy, c.closedAs])).toEqual(Array.from({ length: 4 }, () => ['evicted', 'client']));
    expect(run.rec.counters.connections).toMatchObject({ opened: 4, closedByClient: 4 });
    run.engine.stop();
    for (let i = 0; i < 1000 && !run.isDone(); i++) await vi.advanceTimersByTimeAsync(1);
    expect(run.isDone()).toBe(true);
  });

  it('with --connect-rate the rise is paced too', async () => {
    const run = start({ connectionStages: '100ms:5', connectRate: 10 });
    const count: Record<number, number> = {};
    for (let ms = 1; ms <= 500; ms++) {
      run.net.connectAll();
      run.net.answerAll();
      await vi.advanceTimersByTimeAsync(1);
      if (ms % 50 === 0) count[ms] = run.net.connections.length;
    }
    // The ramp asks for 5 by 100 ms (one at 10, 30, 50, 70, 90 ms); the pacer lets them open no faster
    // than one every 100 ms once a slot was used (the first two: 10 and 30 ms, then 110, 210, 310 ms).
    expect([count[50], count[100], count[150], count[250], count[300], count[350], count[500]]).toEqual([2, 2, 3, 4, 4, 5, 5]);
    run.engine.stop();
    for (let i = 0; i < 1000 && !run.isDone(); i++) await vi.advanceTimersByTimeAsync(1);
  });

  it('a lane above the target sends nothing more and closes only after its request in flight is answered', async () => {
    const run = start({ connections: 2, connectionStages: '100ms:1' });
    run.net.connectAll();
    const [a, b] = run.net.connections;
    expect(run.net.connections).toHaveLength(2);
    // The line crosses 1.5 at 50 ms: lane 1 is above the target from then on.
    await vi.advanceTimersByTimeAsync(60);
    expect(b!.inFlight).toBe(1);
    expect(b!.closedAs).toBeNull();
    b!.answer();
    await vi.advanceTimersByTimeAsync(1);
    expect(b!.received).toHaveLength(1); // no request after the answer
    expect(b!.closedAs).toBe('client');
    // Lane 0 goes on (its next request once this round is handled).
    a!.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(a!.received).toHaveLength(2);
    expect(run.net.connections).toHaveLength(2);
    run.engine.stop();
    for (let i = 0; i < 1000 && !run.isDone(); i++) await vi.advanceTimersByTimeAsync(1);
  });
});
