import { describe, expect, it } from 'vitest';
import { UsageError, ValidationError } from '../../src/errors.js';
import { evaluateThreshold, formatThresholdActual, parseThreshold, parseThresholds, type Threshold } from '../../src/metrics/thresholds.js';
import { metricFromUs, phaseResult } from './thresholds-fixture.js';

describe('parseThreshold: valid expressions', () => {
  const cases: Array<[string, Partial<Threshold>]> = [
    ['ttfb.p99 < 50ms', { metric: 'ttfb', stat: 'p99', op: '<', value: 50, unit: 'ms' }],
    ['ttfb.p99 < 50', { metric: 'ttfb', stat: 'p99', op: '<', value: 50, unit: null }],
    ['connect.p95<=1.5s', { metric: 'connect', stat: 'p95', op: '<=', value: 1500, unit: 's' }],
    ['wait.mean > 250us', { metric: 'wait', stat: 'mean', op: '>', value: 0.25, unit: 'us' }],
    ['  latency.p99.9 >= 0.5 ms ', { metric: 'latency', stat: 'p99.9', op: '>=', value: 0.5 }],
    ['page.p75 != 3ms', { metric: 'page', stat: 'p75', op: '!=', value: 3 }],
    ['ttfbReused.max == 10ms', { metric: 'ttfbReused', stat: 'max', value: 10 }],
    ['latencyUncorrected.p100 < 1s', { metric: 'latencyUncorrected', stat: 'p100', value: 1000 }],
    ['dns.count == 0', { metric: 'dns', stat: 'count', op: '==', value: 0 }],
    ['rps >= 1000', { metric: 'rps', stat: null, op: '>=', value: 1000 }],
    ['requests >= 100', { metric: 'requests', stat: null, value: 100 }],
    ['requests.completed >= 100', { metric: 'requests', stat: 'completed', value: 100 }],
    ['errors == 0', { metric: 'errors', stat: null, op: '==', value: 0 }],
    ['errors.rate < 0.1%', { metric: 'errors', stat: 'rate', value: 0.001, unit: '%' }],
    ['errors.rate < 0.001', { metric: 'errors', stat: 'rate', value: 0.001, unit: null }],
    ['errors.ECONNRESET == 0', { metric: 'errors', stat: 'ECONNRESET', value: 0 }],
    ['errors.port-exhausted == 0', { metric: 'errors', stat: 'port-exhausted', value: 0 }],
    ['reuse >= 95%', { metric: 'reuse', value: 0.95, unit: '%' }],
    ['reuse >= .95', { metric: 'reuse', value: 0.95 }],
    ['connections.opened <= 16', { metric: 'connections', stat: 'opened', value: 16 }],
    ['connections.failed == 0', { metric: 'connections', stat: 'failed', value: 0 }],
    ['connections.perSecond >= 45', { metric: 'connections', stat: 'perSecond', op: '>=', value: 45 }],
    ['retried < 5', { metric: 'retried', value: 5 }],
    ['dropped == 0', { metric: 'dropped', value: 0 }],
    ['timewait.peak < 20000', { metric: 'timewait', stat: 'peak', value: 20000 }],
    ['ports.peakFraction < 0.5', { metric: 'ports', stat: 'peakFraction', value: 0.5 }],
    ['ports.exhausted == 0', { metric: 'ports', stat: 'exhausted', value: 0 }],
  ];
  it.each(cases)('%s', (expression, expected) => {
    expect(parseThreshold(expression)).toMatchObject({ expression, ...expected });
  });
});

describe('parseThreshold: invalid expressions', () => {
  const grammar = 'expected <metric>[.<stat>] <op> <value>[unit], e.g. "ttfb.p99 < 50ms"';
  const cases: Array<[string, string | RegExp]> = [
    ['ttfb.p99 <', `"ttfb.p99 <" is not a threshold: ${grammar}`],
    ['ttfb.p99 = 5ms', `"ttfb.p99 = 5ms" is not a threshold: ${grammar}`],
    ['ttfb.p99 < -5ms', `"ttfb.p99 < -5ms" is not a threshold: ${grammar}`],
    ['ttfb.p99 < 5 minutes', `"ttfb.p99 < 5 minutes" is not a threshold: ${grammar}`],
    ['', `"" is not a threshold: ${grammar}`],
    ['ttfb < 50ms', '"ttfb < 50ms": ttfb needs a stat: one of min, mean, p50, p90, p95, p99, p999, max, count or pNN, e.g. "ttfb.p99 < 50ms"'],
    ['ttfb.p98x < 50ms', /^"ttfb\.p98x < 50ms": unknown stat "p98x" for ttfb: expected one of min, mean, p50, .* or a percentile pNN/],
    ['ttfb.p0 < 50ms', /unknown stat "p0" for ttfb/],
    ['ttfb.p101 < 50ms', /unknown stat "p101" for ttfb/],
    ['ttfb.p99 < 5%', '"ttfb.p99 < 5%": ttfb.p99 is a duration: use us, ms or s (default ms)'],
    ['ttfb.count < 5ms', '"ttfb.count < 5ms": ttfb.count is a number of requests, not ms'],
    ['ttfbb.p99 < 5ms', /^"ttfbb\.p99 < 5ms": unknown metric "ttfbb" \(did you mean "ttfb"\?\); known: timing metrics dns, connect, tunnel, tls, .*, errors\.<code>$/],
    ['latncy.p99 < 5ms', /unknown metric "latncy" \(did you mean "latency"\?\); known: timing metrics dns/],
    ['p99 < 5ms', /^"p99 < 5ms": unknown metric "p99"; known: /],
    ['connections.open > 1', /unknown metric "connections\.open" \(did you mean "connections\.opened"\?\)/],
    ['errors.rat < 1%', /unknown metric "errors\.rat" \(did you mean "errors\.rate"\?\)/],
    ['rps >= 10ms', '"rps >= 10ms": rps is not a duration: write a plain number'],
    ['reuse >= 95ms', '"reuse >= 95ms": reuse is not a duration: write a plain number or a percentage'],
    ['errors < 1%', '"errors < 1%": errors is not a ratio: "%" only applies to errors.rate, reuse and ports.peakFraction'],
    ['toString > 1', /^"toString > 1": unknown metric "toString"/],
    ['ports.exhausted == 2', '"ports.exhausted == 2": ports.exhausted is 0 (no) or 1 (yes)'],
  ];
  it.each(cases)('%s', (expression, message) => {
    expect(() => parseThreshold(expression)).toThrow(UsageError);
    try {
      parseThreshold(expression);
    } catch (err) {
      expect((err as UsageError).exitCode).toBe(2);
      if (typeof message === 'string') expect((err as Error).message).toBe(message);
      else expect((err as Error).message).toMatch(message);
    }
  });
});

describe('parseThresholds', () => {
  it('parses a list', () => {
    expect(parseThresholds(['errors == 0', 'rps > 1']).map((t) => t.metric)).toEqual(['errors', 'rps']);
  });
  it('reports every bad expression at once', () => {
    try {
      parseThresholds(['errors == 0', 'ttfb <', 'bogus > 1']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems).toHaveLength(2);
      expect((err as ValidationError).problems[0]).toMatch(/^"ttfb <" is not a threshold/);
      expect((err as ValidationError).problems[1]).toMatch(/^"bogus > 1": unknown metric "bogus"/);
    }
  });
});

describe('evaluateThreshold', () => {
  const phase = phaseResult();
  const ttfb = phase.metrics.ttfb!;
  const evaluate = (expression: string) => evaluateThreshold(parseThreshold(expression), phase);

  it('compares summary stats in ms, whatever unit was written', () => {
    expect(evaluate('ttfb.p99 < 2s')).toEqual({ expression: 'ttfb.p99 < 2s', ok: true, actual: ttfb.p99 });
    expect(evaluate('ttfb.p99 < 500ms')).toEqual({ expression: 'ttfb.p99 < 500ms', ok: false, actual: ttfb.p99 });
    expect(evaluate('ttfb.p50 <= 600000us').ok).toBe(true);
    expect(evaluate('ttfb.p99.9 == 0')).toMatchObject({ ok: false, actual: ttfb.p999 });
    expect(evaluate('ttfb.count == 1000')).toMatchObject({ ok: true, actual: 1000 });
    expect(evaluate('connect.max > 4ms')).toMatchObject({ ok: true, actual: phase.metrics.connect!.max });
  });

  it('decodes the hdr for percentiles the summary does not hold', () => {
    const p75 = evaluate('ttfb.p75 < 1s').actual!;
    expect(p75).toBeGreaterThanOrEqual(749);
    expect(p75).toBeLessThanOrEqual(751);
    expect(evaluate('ttfb.p99.99 >= 999ms')).toMatchObject({ ok: true });
    expect(evaluate('ttfb.p100 <= 1001ms')).toMatchObject({ ok: true });
  });

  it('gives actual null and ok false for a metric that was not measured', () => {
    expect(evaluate('dns.p99 < 5ms')).toEqual({ expression: 'dns.p99 < 5ms', ok: false, actual: null });
    expect(evaluate('tls.count == 0')).toMatchObject({ ok: false, actual: null });
    const unsupported = phaseResult({ ports: { ...phase.ports, supported: false, timeWaitPeak: null, peakFraction: null } });
    expect(evaluateThreshold(parseThreshold('timewait.peak < 1'), unsupported)).toMatchObject({ ok: false, actual: null });
    const empty = phaseResult({ requests: { ...phase.requests, completed: 0, errors: 0 } });
    expect(evaluateThreshold(parseThreshold('errors.rate < 1%'), empty)).toMatchObject({ ok: false, actual: null });
    const noHdr = phaseResult({ metrics: { ttfb: { ...metricFromUs([1000]), hdr: 'not base64 hdr' } } });
    expect(evaluateThreshold(parseThreshold('ttfb.p75 < 1s'), noHdr)).toMatchObject({ ok: false, actual: null });
  });

  it('reads counters, ratios and flags', () => {
    const table: Array<[string, boolean, number]> = [
      ['rps >= 1000', true, 1234.5],
      ['requests == 990', true, 990],
      ['requests.completed > 990', false, 990],
      ['errors == 0', false, 10],
      ['errors.rate < 1%', false, 0.01],
      ['errors.rate <= 1%', true, 0.01],
      ['errors.ECONNRESET == 7', true, 7],
      ['errors.EPIPE == 0', true, 0],
      ['errors.constructor == 0', true, 0],
      ['reuse >= 99%', true, 0.996],
      ['connections.opened <= 4', true, 4],
      ['connections.failed == 0', false, 1],
      // 4 connections opened in 5 s
      ['connections.perSecond >= 0.8', true, 0.8],
      ['connections.perSecond >= 0.9', false, 0.8],
      ['retried != 3', false, 3],
      ['dropped < 3', true, 2],
      ['timewait.peak < 20000', true, 12],
      ['ports.peakFraction < 0.5', true, 0.0004],
      ['ports.exhausted == 0', true, 0],
    ];
    for (const [expression, ok, actual] of table) {
      expect(evaluate(expression), expression).toEqual({ expression, ok, actual });
    }
    const exhausted = phaseResult({ ports: { ...phase.ports, exhausted: true } });
    expect(evaluateThreshold(parseThreshold('ports.exhausted == 0'), exhausted)).toMatchObject({ ok: false, actual: 1 });
  });
});

describe('formatThresholdActual', () => {
  it('shows the actual value in the unit the expression was written with', () => {
    expect(formatThresholdActual('ttfb.p99 < 50ms', 63.25)).toBe('63.25ms');
    expect(formatThresholdActual('ttfb.p99 < 50', 63.25)).toBe('63.25ms');
    expect(formatThresholdActual('ttfb.p99 < 2s', 2345)).toBe('2.35s');
    expect(formatThresholdActual('wait.p50 < 900us', 0.8123)).toBe('812.3us');
    expect(formatThresholdActual('errors.rate < 0.1%', 0.0123)).toBe('1.23%');
    expect(formatThresholdActual('reuse >= 0.95', 0.9512345)).toBe('0.951');
    expect(formatThresholdActual('rps >= 1000', 1234.5678)).toBe('1234.6');
    expect(formatThresholdActual('ttfb.count > 1', 12)).toBe('12');
    expect(formatThresholdActual('ttfb.p99 < 50ms', null)).toBe('not measured');
    expect(formatThresholdActual('not an expression', 1.5)).toBe('1.5');
  });
});
