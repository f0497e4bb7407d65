// Connection lifecycles as ranges: --max-requests-per-connection 80-120 and --max-connection-age
// 20s-40s parsed, checked with one line each, echoed in the plan, and drawn per connection.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { buildPhasePlan } from '../../src/plan/build-plan.js';
import { describeOptions, describePlan } from '../../src/plan/describe.js';
import { formatRange, parseAgeRangeMs, parseRequestsRange, rangeOption } from '../../src/plan/lifecycle.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import { drawUniform, drawWhole, Lane } from '../../src/run/lanes.js';

const plan = (options: RunOptionsInput) =>
  buildPhasePlan({
    name: 'p',
    url: 'http://127.0.0.1:8080/',
    options,
    bodyFileBytes: null,
    caPem: null,
    where: (k) => `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`,
  });

function problems(options: RunOptionsInput): string[] {
  try {
    plan(options);
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  return [];
}

describe('parseRequestsRange', () => {
  it.each([
    [100, { min: 100, max: 100 }],
    ['100', { min: 100, max: 100 }],
    ['80-120', { min: 80, max: 120 }],
    [' 80 - 120 ', { min: 80, max: 120 }],
    ['7-7', { min: 7, max: 7 }],
    ['1-1000000', { min: 1, max: 1_000_000 }],
  ])('%j is %j', (given, range) => {
    expect(parseRequestsRange(given)).toEqual(range);
  });

  it.each([0, -5, 1.5, '0', '0-10', '10-0x', 'abc', '', '1.5-3', '80-', '-80', '80-100-120', 'Infinity', Infinity, null, true])('refuses %j', (given) => {
    expect(parseRequestsRange(given)).toBe(
      `expected a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120, got ${given === Infinity ? 'Infinity' : JSON.stringify(given)}`,
    );
  });

  it('a range written backwards is named as such', () => {
    expect(parseRequestsRange('120-80')).toBe('range "120-80" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 80-120');
  });
});

describe('parseAgeRangeMs', () => {
  it.each([
    ['30s', { min: 30_000, max: 30_000 }],
    [30, { min: 30_000, max: 30_000 }],
    ['20s-40s', { min: 20_000, max: 40_000 }],
    ['300ms-900ms', { min: 300, max: 900 }],
    ['500-900ms', { min: 500, max: 900 }],
    ['1.5m-2m', { min: 90_000, max: 120_000 }],
    ['20-40', { min: 20_000, max: 40_000 }],
    ['500ms-2s', { min: 500, max: 2000 }],
  ])('%j is %j ms', (given, range) => {
    expect(parseAgeRangeMs(given)).toEqual(range);
  });

  it.each([0, '0s', '0s-10s', 'abc', '', 'soon-later', '10s-', '-5s', -1, '1s-2s-3s'])('refuses %j', (given) => {
    expect(parseAgeRangeMs(given)).toBe(`expected a duration > 0 or a range MIN-MAX of them, e.g. 30s or 20s-40s, got ${JSON.stringify(given)}`);
  });

  it('a range written backwards is named as such, and one beyond the timers is bounded', () => {
    expect(parseAgeRangeMs('40s-20s')).toBe('range "40s-20s" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 20s-40s');
    expect(parseAgeRangeMs('900-300ms')).toBe('range "900-300ms" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 20s-40s');
    expect(parseAgeRangeMs('1s-30d')).toMatch(/^expected a duration > 0/);
    expect(parseAgeRangeMs('1s-600h')).toMatch(/^expected at most 2147483647 ms/);
  });
});

describe('in the plan', () => {
  it('keeps the range; one value is a range of one', () => {
    const p = plan({ maxRequestsPerConnection: '80-120', maxConnectionAge: '20s-40s' });
    expect(p.maxRequestsPerConnection).toEqual({ min: 80, max: 120 });
    expect(p.maxConnectionAgeMs).toEqual({ min: 20_000, max: 40_000 });
    expect(plan({ maxRequestsPerConnection: 100 }).maxRequestsPerConnection).toEqual({ min: 100, max: 100 });
    expect(plan({}).maxRequestsPerConnection).toBeNull();
    expect(plan({}).maxConnectionAgeMs).toBeNull();
  });

  it('every bad one is one line naming its option', () => {
    expect(problems({ maxRequestsPerConnection: '120-80', maxConnectionAge: '40s-20s' })).toEqual([
      '--max-requests-per-connection: range "120-80" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 80-120',
      '--max-connection-age: range "40s-20s" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 20s-40s',
    ]);
    expect(problems({ maxRequestsPerConnection: 0 })).toEqual([
      '--max-requests-per-connection: expected a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120, got 0',
    ]);
    expect(problems({ maxConnectionAge: 'abc' })).toEqual(['--max-connection-age: expected a duration > 0 or a range MIN-MAX of them, e.g. 30s or 20s-40s, got "abc"']);
  });

  it('is shown in the plan line and echoed in the options: a number for one value, {min, max} for a range', () => {
    const ranged = plan({ connections: 8, maxRequestsPerConnection: '5-15', maxConnectionAge: '300ms-900ms', requests: 3000 });
    expect(describePlan(ranged)).toBe(
      'p: persistent, 8 connections, 3000 requests or 10s, retire after 5-15 requests, retire at age 300ms-900ms, close server -> GET http://127.0.0.1:8080/',
    );
    expect(describeOptions(ranged)).toMatchObject({ maxRequestsPerConnection: { min: 5, max: 15 }, maxConnectionAgeMs: { min: 300, max: 900 } });
    const single = plan({ maxRequestsPerConnection: 100, maxConnectionAge: '30s' });
    expect(describePlan(single)).toContain('retire after 100 requests, retire at age 30s, close server');
    expect(describeOptions(single)).toMatchObject({ maxRequestsPerConnection: 100, maxConnectionAgeMs: 30_000 });
    expect(describeOptions(plan({}))).toMatchObject({ maxRequestsPerConnection: null, maxConnectionAgeMs: null });
    // new-connection carries one request per connection whatever is given: the line does not claim otherwise
    expect(describePlan(plan({ strategy: 'new-connection', maxRequestsPerConnection: '5-15' }))).not.toContain('retire');
  });

  it('formatRange and rangeOption', () => {
    expect(formatRange({ min: 80, max: 120 })).toBe('80-120');
    expect(formatRange({ min: 80, max: 80 })).toBe('80');
    expect(rangeOption({ min: 3, max: 3 })).toBe(3);
    expect(rangeOption({ min: 3, max: 4 })).toEqual({ min: 3, max: 4 });
    expect(rangeOption(null)).toBeNull();
  });
});

describe('the draw', () => {
  it('is inclusive at both ends', () => {
    expect(drawWhole({ min: 80, max: 120 }, () => 0)).toBe(80);
    expect(drawWhole({ min: 80, max: 120 }, () => 1 - Number.EPSILON)).toBe(120);
    expect(drawWhole({ min: 5, max: 5 }, () => 0.7)).toBe(5);
    expect(drawUniform({ min: 20_000, max: 40_000 }, () => 0)).toBe(20_000);
    expect(drawUniform({ min: 20_000, max: 40_000 }, () => 1 - Number.EPSILON)).toBeCloseTo(40_000, 6);
    expect(drawUniform({ min: 300, max: 300 }, () => 0.3)).toBe(300);
  });

  it('gives every whole number of the range the same chance (Math.random, 22,000 draws of 11 values)', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 22_000; i++) {
      const n = drawWhole({ min: 80, max: 90 });
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90]);
    // 2000 expected each; sigma about 43, so 15% (7 sigma) fails only when the draw is biased.
    for (const [n, count] of counts) expect(Math.abs(count - 2000), `${n}: ${count}`).toBeLessThan(300);
  });

  it('spreads ages evenly over the range (10 bins of 20,000 draws)', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const ms = drawUniform({ min: 300, max: 900 });
      expect(ms).toBeGreaterThanOrEqual(300);
      expect(ms).toBeLessThanOrEqual(900);
      bins[Math.min(9, Math.floor((ms - 300) / 60))]!++;
    }
    for (const count of bins) expect(Math.abs(count - 2000)).toBeLessThan(300);
  });

  it('a lane draws its connection limits, each connection its own', () => {
    const lane = new Lane(null as never, 0);
    const rules = { perConnection: { min: 5, max: 15 }, maxAgeUs: { min: 300_000, max: 900_000 } };
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      lane.drawLimits(rules);
      seen.add(lane.maxRequests!);
      expect(lane.maxAgeUs).toBeGreaterThanOrEqual(300_000);
      expect(lane.maxAgeUs).toBeLessThanOrEqual(900_000);
    }
    expect(seen.size).toBe(11);
    lane.drawLimits({ perConnection: null, maxAgeUs: null });
    expect([lane.maxRequests, lane.maxAgeUs]).toEqual([null, 0]);
  });
});
