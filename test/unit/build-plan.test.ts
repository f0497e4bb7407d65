import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { buildPhasePlan, parseTarget, type PlanInput } from '../../src/plan/build-plan.js';
import { share } from '../../src/plan/share.js';
import type { RunOptionsInput } from '../../src/plan/options.js';

const input = (options: RunOptionsInput, url = 'http://127.0.0.1:8080/x?y=1'): PlanInput => ({
  name: 'p',
  url,
  options,
  bodyFileBytes: null,
  caPem: null,
  where: (k) => `--${k}`,
});

describe('buildPhasePlan', () => {
  it('gives the defaults a user of wrk or autocannon expects', () => {
    const plan = buildPhasePlan(input({}));
    expect(plan).toMatchObject({
      strategy: 'persistent',
      connections: 10,
      durationMs: 10_000,
      requests: null,
      method: 'GET',
      workers: 1,
      close: 'server',
      nodelay: true,
    });
    expect(plan.target).toMatchObject({ hostname: '127.0.0.1', port: 8080, path: '/x?y=1', hostHeader: '127.0.0.1:8080' });
  });

  it('reports every problem at once, each naming its option', () => {
    let err: unknown;
    try {
      buildPhasePlan(input({ connections: 0, depth: 0, strategy: 'pipeline', duration: 'soon', close: 'never' as never }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      '--close: expected one of server, client, reset, got "never"',
      '--connections: expected a positive integer, got 0',
      '--duration: expected a duration like 10s, 500ms or 2m, got "soon"',
      '--depth: expected a positive integer, got 0',
    ]);
  });

  it('splits the load between runners: connections, requests and rate', () => {
    const parts = [0, 1, 2].map((i) => buildPhasePlan(input({ connections: 10, requests: 1000, runnerIndex: i, runnerCount: 3 })));
    expect(parts.map((p) => p.connections)).toEqual([4, 3, 3]);
    expect(parts.map((p) => p.requests)).toEqual([334, 333, 333]);
    const open = buildPhasePlan(input({ rate: 300, runnerIndex: 1, runnerCount: 3 }));
    expect(open.rate).toBe(100);
    expect(() => buildPhasePlan(input({ connections: 2, runnerCount: 3 }))).toThrow(/3 runners need at least as many connections, got 2/);
    expect(() => buildPhasePlan(input({ runnerIndex: 3, runnerCount: 3 }))).toThrow(/expected a number below --runner-count/);
  });

  it('splits --connect-rate between runners as it splits the connections', () => {
    expect(buildPhasePlan(input({ connections: 100, connectRate: 4000, runnerIndex: 1, runnerCount: 2 })).connectRate).toBe(2000);
  });

  it('--interval: held connections in the closed model, on a strategy that keeps them', () => {
    const plan = buildPhasePlan(input({ connections: 20_000, interval: '3s', connectRate: 4000 }));
    expect(plan).toMatchObject({ intervalMs: 3000, connections: 20_000, rate: null });
    expect(buildPhasePlan(input({})).intervalMs).toBeNull();
    for (const strategy of ['persistent', 'http10-keepalive', 'pipeline', 'multiplex'] as const) {
      expect(buildPhasePlan(input({ strategy, interval: 1 })).intervalMs).toBe(1000);
    }
    const problems = (options: RunOptionsInput): string[] => {
      try {
        buildPhasePlan(input(options));
      } catch (e) {
        return (e as ValidationError).problems;
      }
      return [];
    };
    expect(problems({ interval: '0s' })).toEqual(['--interval: expected a duration > 0 like 10s, 500ms or 2m, got "0s"']);
    expect(problems({ strategy: 'new-connection', interval: '1s' })).toEqual([
      '--interval: new-connection opens a connection per request, so none is held: expected a keep-alive strategy (persistent, http10-keepalive, pipeline, multiplex); pace new connections with --connectRate',
    ]);
    expect(problems({ interval: '1s', rate: 100 })).toEqual([
      '--interval: held connections run in the closed model (each sends a request every interval); drop --rate or --interval',
    ]);
    expect(problems({ interval: '1s', stages: '10s:100' })).toEqual([
      '--interval: held connections run in the closed model (each sends a request every interval); drop --stages or --interval',
    ]);
    expect(problems({ interval: '1s', page: '/a,/b' })).toContain(
      '--interval: page mode fetches a page per iteration, not a request per interval; drop --page or --interval',
    );
    expect(problems({ interval: '10s', idleTimeout: '5s' })).toEqual([
      '--interval: a connection is idle for up to the interval between its requests, so an idle timeout of 5000 ms would close every one; drop --idleTimeout or --interval',
    ]);
  });

  it('refuses page mode with the open model', () => {
    expect(() => buildPhasePlan(input({ page: '/a,/b', rate: 10 }))).toThrow(/page mode runs in the closed model/);
  });
});

describe('share', () => {
  it('splits a total into parts that differ by at most one and add up', () => {
    for (const [total, parts] of [
      [10, 3],
      [7, 7],
      [100, 6],
      [1, 4],
    ] as const) {
      const shares = Array.from({ length: parts }, (_, i) => share(total, parts, i));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });
});

describe('parseTarget', () => {
  it('takes IPv6 literals and default ports', () => {
    expect(parseTarget('http://[::1]/')).toMatchObject({ hostname: '::1', port: 80, hostHeader: '[::1]' });
    expect(parseTarget('https://localhost/')).toMatchObject({ hostname: 'localhost', port: 443 });
  });
});

describe('the target URL as every output shows it', () => {
  it('redacts a password, or a user name that stands alone (a token)', () => {
    expect(parseTarget('http://alice:pw-SECRET@127.0.0.1:8080/x')).toMatchObject({ url: 'http://alice:redacted@127.0.0.1:8080/x', hostHeader: '127.0.0.1:8080' });
    expect(parseTarget('https://TOKEN-SECRET@api.example.test/')).toMatchObject({ url: 'https://redacted@api.example.test/' });
    expect(parseTarget('http://127.0.0.1/')).toMatchObject({ url: 'http://127.0.0.1/' });
  });
});
