// The plan as the result shows it: thresholds parsed once in the plan, and what
// metrics/ is told about a phase comes from the strategy's traits, not its name.
import { describe, expect, it } from 'vitest';
import { buildPhasePlan, type PlanInput } from '../../src/plan/build-plan.js';
import { describePlan, phaseFacts } from '../../src/plan/describe.js';
import type { RunOptionsInput } from '../../src/plan/options.js';
import { traitsOf } from '../../src/strategies/index.js';

const plan = (options: RunOptionsInput, url = 'http://127.0.0.1:8080/x') =>
  buildPhasePlan({ name: 'p', url, options, bodyFileBytes: null, caPem: null, where: (k) => `--${k}` } satisfies PlanInput);

describe('thresholds in the plan', () => {
  it('are parsed once, when the plan is built, and keep their expression', () => {
    const p = plan({ threshold: ['ttfb.p99 < 50ms', 'reuse >= 95%'] });
    expect(p.thresholds).toEqual([
      { expression: 'ttfb.p99 < 50ms', metric: 'ttfb', stat: 'p99', op: '<', value: 50, unit: 'ms' },
      { expression: 'reuse >= 95%', metric: 'reuse', stat: null, op: '>=', value: 0.95, unit: '%' },
    ]);
    expect(phaseFacts(p).thresholds).toBe(p.thresholds);
  });
});

describe('phaseFacts', () => {
  it('tells metrics what each strategy shows and whether it reuses connections, from its traits', () => {
    for (const strategy of ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'] as const) {
      const traits = traitsOf(strategy);
      const facts = phaseFacts(plan({ strategy, depth: 3, streams: 7, close: 'client' }));
      expect(facts.strategy).toBe(strategy);
      expect(facts.reusesConnections).toBe(traits.reusesConnections);
      expect(facts.http2StreamsAsked).toBe(traits.shows.http2 ? 7 : null);
      expect(facts.options.depth).toBe(traits.shows.depth ? 3 : undefined);
      expect(facts.options.streams).toBe(traits.shows.streams ? 7 : undefined);
    }
  });

  it('says whether the target is TLS and how many source addresses there are; secrets are redacted', () => {
    const facts = phaseFacts(plan({ localAddress: '127.0.0.2-127.0.0.4', headers: ['Authorization: Bearer x'] }, 'https://u:pw@127.0.0.1:8443/'));
    expect([facts.secure, facts.localAddresses, facts.close]).toEqual([true, 3, 'server']);
    expect(facts.options.headers).toEqual({ Authorization: '[redacted]' });
    expect(facts.options.url).toBe('https://u:redacted@127.0.0.1:8443/');
  });
});

describe('describePlan', () => {
  it('names what the strategy shows: depth for pipelining, streams for HTTP/2', () => {
    expect(describePlan(plan({ strategy: 'pipeline', depth: 4, connections: 2, requests: 100 }))).toBe(
      'p: pipeline, 2 connections, 100 requests or 10s, depth 4, close server -> GET http://127.0.0.1:8080/x',
    );
    expect(describePlan(plan({ strategy: 'multiplex', streams: 8, connections: 2, close: 'client' }))).toBe(
      'p: multiplex, 2 connections, 10s, 8 streams, close client -> GET http://127.0.0.1:8080/x',
    );
  });
});

describe('describePlan', () => {
  it('counts connections in words that agree with the number', () => {
    expect(describePlan(plan({ strategy: 'pipeline', connections: 1 }))).toContain('pipeline, 1 connection, ');
    expect(describePlan(plan({ strategy: 'persistent', connections: 10 }))).toContain('persistent, 10 connections, ');
  });
});
