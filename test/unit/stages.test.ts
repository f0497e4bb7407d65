// Ramps (--stage, stages in a scenario), the start barrier (--start-at), and the
// exact schedule of a ramp: request k is due when the integral of the rate reaches k.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { buildPhasePlan, type PlanInput } from '../../src/plan/build-plan.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import { describeOptions, describePlan } from '../../src/plan/describe.js';
import { parseStages } from '../../src/plan/stages.js';
import { parseStartAt } from '../../src/plan/start-at.js';
import { RampSchedule } from '../../src/run/ramp-supply.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const input = (options: RunOptionsInput): PlanInput => ({
  name: 'p',
  url: 'http://127.0.0.1:8080/',
  options,
  bodyFileBytes: null,
  caPem: null,
  where: (k) => `--${k}`,
  nowEpochMs: NOW,
});
const problems = (options: RunOptionsInput): string[] => {
  try {
    buildPhasePlan(input(options));
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  return [];
};

describe('parseStages', () => {
  it('reads k6 stages from the command line and from a scenario alike', () => {
    const expected = [
      { durationMs: 30_000, target: 2000 },
      { durationMs: 60_000, target: 2000 },
      { durationMs: 10_000, target: 0 },
    ];
    expect(parseStages('30s:2000,60s:2000,10s:0', 'rps')).toEqual(expected);
    expect(parseStages(['30s:2000', '1m:2000,10s:0'], 'rps')).toEqual(expected);
    expect(
      parseStages(
        [
          { duration: '30s', target: 2000 },
          { duration: 60, target: 2000 },
          { duration: '10000ms', target: 0 },
        ],
        'rps',
      ),
    ).toEqual(expected);
  });

  it.each([
    [':2000', 'stage 1 ":2000" has no duration: expected DURATION:TARGET, e.g. 30s:2000'],
    ['10s:100,500', 'stage 2 "500" has no duration: expected DURATION:TARGET, e.g. 30s:2000'],
    ['10s:-5', 'stage 1 "10s:-5" has a negative target: expected requests per second >= 0'],
    ['2000:30s', 'stage 1 "2000:30s" is written backwards: expected DURATION:TARGET, e.g. 30s:2000'],
    ['0s:10', 'stage 1 "0s:10": expected a duration > 0 like 30s or 500ms, got "0s"'],
    ['10s:lots', 'stage 1 "10s:lots": expected a target in requests per second after the duration (30s:2000), got "lots"'],
  ])('names the bad stage in %s', (text, message) => {
    expect(parseStages(text, 'requests per second')).toEqual([message]);
  });
});

describe('buildPhasePlan with a ramp', () => {
  it('runs the open model at most at the peak, for as long as the stages', () => {
    const plan = buildPhasePlan(input({ rate: 100, stages: '30s:2000,60s:2000,10s:0', duration: '5s' }));
    expect(plan.ramp).toEqual({
      startRate: 100,
      stages: [
        { durationMs: 30_000, target: 2000 },
        { durationMs: 60_000, target: 2000 },
        { durationMs: 10_000, target: 0 },
      ],
    });
    expect(plan.rate).toBe(2000);
    expect(plan.durationMs).toBe(100_000);
    expect(buildPhasePlan(input({ stages: '10s:1000' })).ramp!.startRate).toBe(0);
  });

  it('is printed with its start, stages and start time', () => {
    const plan = buildPhasePlan(input({ rate: 100, stages: '30s:2000,10s:0', startAt: NOW + 60_000 }));
    expect(describePlan(plan)).toContain('ramp 100 30s→2000 10s→0 req/s (open model, up to 10 connections), 40s');
    expect(describePlan(plan)).toContain('starts at 2026-12-03T10:01:00.000Z');
  });

  it('splits a ramp between runners', () => {
    const plan = buildPhasePlan(input({ rate: 30, stages: '10s:300', runnerIndex: 0, runnerCount: 3 }));
    expect(plan.ramp).toEqual({ startRate: 10, stages: [{ durationMs: 10_000, target: 100 }] });
    expect(plan.rate).toBe(100);
  });

  it('refuses bad stages, ramps that stay at 0 and page mode, one line each', () => {
    expect(problems({ stages: '10s:-1' })).toEqual(['--stages: stage 1 "10s:-1" has a negative target: expected requests per second >= 0']);
    expect(problems({ stages: '10s:0' })).toEqual(['--stages: the ramp never rises above 0 requests per second: expected a target > 0']);
    expect(problems({ stages: '10s:10', page: '/a' })).toEqual(['--page: page mode runs in the closed model; drop --stages or --page']);
  });
});

describe('buildPhasePlan with a connection ramp', () => {
  it('runs the closed model from -c (0 if not given) with a pool of the peak, for as long as the stages', () => {
    const plan = buildPhasePlan(input({ connectionStages: '2s:40,2s:40,2s:0', duration: '30s' }));
    expect(plan.connectionRamp).toEqual({
      startConnections: 0,
      stages: [
        { durationMs: 2000, target: 40 },
        { durationMs: 2000, target: 40 },
        { durationMs: 2000, target: 0 },
      ],
    });
    expect(plan.rate).toBeNull();
    expect(plan.connections).toBe(40);
    expect(plan.durationMs).toBe(6000);
    const fromC = buildPhasePlan(input({ connections: 50, connectionStages: [{ duration: '10s', target: 5 }] }));
    expect(fromC.connectionRamp).toEqual({ startConnections: 50, stages: [{ durationMs: 10_000, target: 5 }] });
    expect(fromC.connections).toBe(50);
    expect(buildPhasePlan(input({})).connectionRamp).toBeNull();
  });

  it('is printed with its start and stages, and echoed in the options', () => {
    const plan = buildPhasePlan(input({ connections: 4, connectionStages: '10s:100,5s:0' }));
    expect(describePlan(plan)).toContain('persistent, ramp 4 10s→100 5s→0 connections, 15s');
    expect(describeOptions(plan)).toMatchObject({
      connections: 100,
      connectionRamp: {
        startConnections: 4,
        stages: [
          { durationMs: 10_000, target: 100 },
          { durationMs: 5000, target: 0 },
        ],
      },
    });
    expect(describeOptions(buildPhasePlan(input({}))).connectionRamp).toBeUndefined();
  });

  it('keeps the total ramp with several runners; each runner has its share of the peak', () => {
    const plan = buildPhasePlan(input({ connectionStages: '10s:30', runnerIndex: 1, runnerCount: 4 }));
    expect(plan.connections).toBe(8);
    expect(plan.connectionRamp!.stages).toEqual([{ durationMs: 10_000, target: 30 }]);
  });

  it('refuses bad stages, the open model, ramps that stay at 0, and too many connections, one line each', () => {
    expect(problems({ connectionStages: '10s:-100' })).toEqual(['--connectionStages: stage 1 "10s:-100" has a negative target: expected connections >= 0']);
    expect(problems({ connectionStages: '10s' })).toEqual(['--connectionStages: stage 1 "10s" has no duration: expected DURATION:TARGET, e.g. 30s:2000']);
    expect(problems({ connectionStages: '10s:2.5' })).toEqual(['--connectionStages: stage 1 "10s:2.5": expected a whole number of connections, got "2.5"']);
    expect(problems({ connectionStages: '10s:100', rate: 50 })).toEqual([
      '--connectionStages: a connection ramp runs the closed model; drop --rate (the open model) or --connectionStages',
    ]);
    expect(problems({ connectionStages: '10s:100', stages: '10s:50' })).toEqual([
      '--connectionStages: a connection ramp runs the closed model; drop --stages (the open model) or --connectionStages',
    ]);
    expect(problems({ connectionStages: '10s:0,5s:0' })).toEqual(['--connectionStages: the ramp never rises above 0 connections: expected a target > 0']);
    expect(problems({ connectionStages: '10s:2000000' })).toEqual([
      '--connectionStages: a peak of 2000000 connections: expected at most 1000000 (one process; split the load with --runner-count)',
    ]);
    expect(problems({ connectionStages: '10s:1', workers: 2 })).toEqual(['--workers: 2 workers need at least as many connections, got 1']);
  });
});

describe('start barrier', () => {
  it('takes an ISO time or epoch ms within 5 s in the past and 24 h ahead', () => {
    expect(parseStartAt('2026-12-03T10:01:00Z', NOW)).toBe(NOW + 60_000);
    expect(parseStartAt(NOW + 1000, NOW)).toBe(NOW + 1000);
    expect(parseStartAt(String(NOW - 4000), NOW)).toBe(NOW - 4000);
    expect(buildPhasePlan(input({ startAt: '2026-12-03T10:00:30Z' })).startAtEpochMs).toBe(NOW + 30_000);
    expect(buildPhasePlan(input({})).startAtEpochMs).toBeNull();
  });

  it.each([
    ['2026-12-03T09:59:00Z', '2026-12-03T09:59:00.000Z is 60.0 s in the past: expected a time at most 5 s ago'],
    ['2026-12-04T10:00:01Z', '2026-12-04T10:00:01.000Z is more than 24 h ahead: expected a time within 24 h'],
    ['noon', 'expected an ISO time (2026-12-03T12:00:00Z) or epoch milliseconds, got "noon"'],
  ])('refuses %s', (value, message) => {
    expect(problems({ startAt: value })).toEqual([`--startAt: ${message}`]);
  });
});

describe('RampSchedule', () => {
  it('a flat stage is the fixed-rate schedule k / rate', () => {
    const s = new RampSchedule(500, [{ durationMs: 2000, target: 500 }]);
    expect(s.total).toBe(1000);
    for (const k of [0, 1, 499, 999]) expect(s.dueUs(k)).toBeCloseTo((k * 1e6) / 500, 6);
    expect(s.dueUs(1000)).toBe(Infinity);
  });

  it('a rise from 0 to 1000/s over 10 s: 5,000 requests, request k at sqrt(2k / 100) s', () => {
    const s = new RampSchedule(0, [{ durationMs: 10_000, target: 1000 }]);
    expect(s.total).toBeCloseTo(5000, 9);
    for (const k of [0, 1, 50, 2500, 4999]) expect(s.dueUs(k)).toBeCloseTo(Math.sqrt((2 * k) / 100) * 1e6, 3);
    // per second: the integral of 100 t over [i, i + 1] = 50 (2i + 1)
    const perSecond = Array.from({ length: 10 }, () => 0);
    for (let k = 0; k < 5000; k++) perSecond[Math.floor(s.dueUs(k) / 1e6)]!++;
    perSecond.forEach((n, i) => expect(Math.abs(n - 50 * (2 * i + 1))).toBeLessThanOrEqual(1));
  });

  it('k6 stages up, flat and down: counts per stage are the areas under the rate', () => {
    const s = new RampSchedule(100, [
      { durationMs: 2000, target: 300 },
      { durationMs: 1000, target: 300 },
      { durationMs: 2000, target: 0 },
    ]);
    expect(s.total).toBeCloseTo(400 + 300 + 300, 9);
    let last = -1;
    const inStage = [0, 0, 0];
    for (let k = 0; k < 1000; k++) {
      const t = s.dueUs(k);
      expect(t).toBeGreaterThan(last);
      last = t;
      inStage[t < 2e6 ? 0 : t < 3e6 ? 1 : 2]!++;
    }
    expect(inStage).toEqual([400, 300, 300]);
    expect(s.dueUs(400)).toBeCloseTo(2e6, 3); // the flat stage starts on time
    expect(s.dueUs(1000)).toBe(Infinity);
  });
});
