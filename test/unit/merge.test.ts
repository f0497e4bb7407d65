// mergeResults: two runners' results merged equal one run over the union of their values
// (percentiles from the added histograms, not averaged), counters add, reuse ratio exact.
import { build, decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { HISTOGRAM_DIGITS, HISTOGRAM_MAX_US } from '../../src/metrics/catalog.js';
import { mergeResults } from '../../src/metrics/merge.js';
import { RESULT_SCHEMA_ID, type PhaseResult, type PortsSummary, type ResultDocument } from '../../src/metrics/result.js';
import { summarizeHistogram } from '../../src/metrics/summary.js';
import { assertValidResult } from '../helpers/schema.js';

interface RunnerValues {
  ttfbUs: number[];
  connectUs: number[];
  requestsPerConnection: number[];
  reused: number;
  errors: Record<string, number>;
  durationMs: number;
}

function histogramOf(values: number[]): Histogram {
  const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: HISTOGRAM_DIGITS });
  for (const v of values) h.recordValue(v);
  return h;
}

function distribution(values: number[]): { mean: number; max: number; hdr: string } {
  const s = summarizeHistogram(histogramOf(values));
  return { mean: Math.round(histogramOf(values).mean * 1000) / 1000, max: Math.max(...values), hdr: s.hdr };
}

function ports(overrides: Partial<PortsSummary> = {}): PortsSummary {
  return {
    supported: true,
    source: 'proc',
    rangeLow: 32768,
    rangeHigh: 60999,
    twReuse: 2,
    twReuseApplies: false,
    twReuseReason: 'loopback only; target is not',
    timeWaitHoldSeconds: 60,
    localAddresses: 1,
    timeWaitPeak: 0,
    timeWaitPeakServer: null,
    peakFraction: 0,
    sustainableConnectionsPerSecond: 28232 / 60,
    projectedExhaustionSeconds: null,
    exhausted: false,
    exhaustedAtSeconds: null,
    ...overrides,
  };
}

function phaseOf(v: RunnerValues, runnerIndex: number, runnerCount: number): PhaseResult {
  const completed = v.ttfbUs.length;
  const errorCount = Object.values(v.errors).reduce((a, b) => a + b, 0);
  return {
    name: 'persistent',
    strategy: 'persistent',
    options: { url: 'http://127.0.0.1:8080/', connections: 2, requests: completed, rate: null, runnerIndex, runnerCount },
    durationMs: v.durationMs,
    requests: { completed, reused: v.reused, errors: errorCount, retried: 0, dropped: 0, perSecond: completed / (v.durationMs / 1000), byStatus: { '200': completed } },
    errors: v.errors,
    connections: {
      opened: v.connectUs.length,
      failed: 0,
      failedByCode: {},
      closedByServer: 0,
      closedByClient: v.connectUs.length,
      resetByServer: 0,
      resetByClient: 0,
      closedByTimeout: 0,
      reuseRatio: Math.round((v.reused / completed) * 1000) / 1000,
      peakOpen: v.connectUs.length,
      keepAliveHeader: null,
      keepAliveMaxObserved: null,
      staleReuse: 0,
      requestsPerConnection: distribution(v.requestsPerConnection),
    },
    metrics: { ttfb: summarizeHistogram(histogramOf(v.ttfbUs)), connect: summarizeHistogram(histogramOf(v.connectUs)) },
    ports: ports(),
    tls: null,
    http2: null,
    thresholds: [],
    series: [{ t: 0, requests: completed, newConnections: v.connectUs.length, openConnections: v.connectUs.length, timeWait: 0, errors: errorCount }],
    notes: [],
    interrupted: false,
  };
}

function docOf(...phases: PhaseResult[]): ResultDocument {
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: 'connload', version: '0.0.0' },
    target: { url: 'http://127.0.0.1:8080/', address: '127.0.0.1' },
    startedAt: '2024-05-04T10:20:30.000Z',
    ok: true,
    interrupted: false,
    phases,
  };
}

/** Deterministic microsecond values around `medianUs` with a long tail. */
function values(n: number, seed: number, medianUs: number): number[] {
  let state = seed;
  const random = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => Math.max(1, Math.round(medianUs * Math.exp(0.6 * (random() + random() + random() - 1.5) * 2))));
}

const a: RunnerValues = {
  ttfbUs: values(300, 7, 400),
  connectUs: values(3, 8, 90),
  requestsPerConnection: [120, 100, 80],
  reused: 1,
  errors: { ECONNRESET: 2 },
  durationMs: 1000,
};
const b: RunnerValues = {
  ttfbUs: values(700, 9, 3000),
  connectUs: values(7, 10, 150),
  requestsPerConnection: [100, 100, 100, 100, 100, 100, 100],
  reused: 6,
  errors: { ECONNRESET: 1, timeout: 4 },
  durationMs: 1250,
};
const union: RunnerValues = {
  ttfbUs: [...a.ttfbUs, ...b.ttfbUs],
  connectUs: [...a.connectUs, ...b.connectUs],
  requestsPerConnection: [...a.requestsPerConnection, ...b.requestsPerConnection],
  reused: 7,
  errors: {},
  durationMs: 1250,
};

describe('mergeResults', () => {
  const merged = mergeResults([docOf(phaseOf(a, 0, 2)), docOf(phaseOf(b, 1, 2))]);
  const one = phaseOf(union, 0, 1);
  const phase = merged.phases[0]!;

  it('gives the percentiles of one histogram holding every value, not averages', () => {
    expect(phase.metrics.ttfb).toEqual(one.metrics.ttfb);
    expect(phase.metrics.connect).toEqual(one.metrics.connect);
    const mergedTtfb = decodeFromCompressedBase64(phase.metrics.ttfb!.hdr);
    expect(mergedTtfb.totalCount).toBe(1000);
    // The two runners' p99 averaged would be something else: merging is not averaging.
    const averagedP99 = (phaseOf(a, 0, 2).metrics.ttfb!.p99 + phaseOf(b, 1, 2).metrics.ttfb!.p99) / 2;
    expect(phase.metrics.ttfb!.p99).not.toBe(averagedP99);
    expect(phase.connections.requestsPerConnection).toEqual(one.connections.requestsPerConnection);
  });

  it('adds counters and computes the reuse ratio and rate from the totals', () => {
    expect(phase.requests.completed).toBe(1000);
    expect(phase.requests.reused).toBe(7);
    expect(phase.connections.reuseRatio).toBe(0.007);
    expect(phase.requests.errors).toBe(7);
    expect(phase.errors).toEqual({ ECONNRESET: 3, timeout: 4 });
    expect(phase.requests.byStatus).toEqual({ '200': 1000 });
    expect(phase.connections.opened).toBe(10);
    expect(phase.connections.peakOpen).toBe(10);
    expect(phase.durationMs).toBe(1250);
    expect(phase.requests.perSecond).toBe(800);
    expect(phase.series).toEqual([{ t: 0, requests: 1000, newConnections: 10, openConnections: 10, timeWait: 0, errors: 7 }]);
  });

  it('describes the whole load: runners instead of runner index, split amounts added back', () => {
    expect(phase.options).toEqual({ url: 'http://127.0.0.1:8080/', connections: 4, requests: 1000, rate: null, runners: 2 });
    expect(phase.notes.some((n) => n.startsWith('Merged from 2 results (runners 0-1 of 2)'))).toBe(true);
    expect(merged.tool.name).toBe('connload');
    assertValidResult(merged);
  });

  it("evaluates the inputs' thresholds and extra ones on the merged phase", () => {
    const withThreshold = phaseOf(a, 0, 2);
    withThreshold.thresholds = [{ expression: 'errors < 5', ok: true, actual: 2 }];
    const doc = mergeResults([docOf(withThreshold), docOf(phaseOf(b, 1, 2))], ['ttfb.count == 1000', 'errors < 5']);
    expect(doc.phases[0]!.thresholds).toEqual([
      { expression: 'errors < 5', ok: false, actual: 7 },
      { expression: 'ttfb.count == 1000', ok: true, actual: 1000 },
    ]);
    expect(doc.ok).toBe(false);
    expect(merged.ok).toBe(true);
  });

  it('derives reused requests from older files and says so', () => {
    const old = phaseOf(a, 0, 2);
    delete old.requests.reused;
    old.connections.reuseRatio = 0.5;
    const doc = mergeResults([docOf(old), docOf(phaseOf(b, 1, 2))]);
    expect(doc.phases[0]!.requests.reused).toBe(150 + 6);
    expect(doc.phases[0]!.notes.some((n) => n.includes('derived from reuseRatio x completed'))).toBe(true);
  });

  it("adds TIME_WAIT peaks of different machines; exhaustion is the earliest runner's", () => {
    const pa = phaseOf(a, 0, 2);
    const pb = phaseOf(b, 1, 2);
    pa.ports = ports({ timeWaitPeak: 1000, peakFraction: 1000 / 28232 });
    pb.ports = ports({ timeWaitPeak: 28000, peakFraction: 28000 / 28232, exhausted: true, exhaustedAtSeconds: 0.9 });
    pa.series = [
      { t: 0, requests: 1, newConnections: 1, openConnections: 1, timeWait: 10, errors: 0 },
      { t: 1, requests: 2, newConnections: 0, openConnections: 1, timeWait: 20, errors: 0 },
    ];
    pb.series = [{ t: 0, requests: 4, newConnections: 2, openConnections: 2, timeWait: 5, errors: 1 }];
    const p = mergeResults([docOf(pa), docOf(pb)]).phases[0]!;
    expect(p.ports).toMatchObject({ timeWaitPeak: 29000, peakFraction: 28000 / 28232, exhausted: true, exhaustedAtSeconds: 0.9, localAddresses: 2 });
    expect(p.ports.sustainableConnectionsPerSecond).toBeCloseTo((2 * 28232) / 60);
    expect(p.series).toEqual([
      { t: 0, requests: 5, newConnections: 3, openConnections: 3, timeWait: 15, errors: 1 },
      { t: 1, requests: 2, newConnections: 0, openConnections: 1, timeWait: 20, errors: 0 },
    ]);
  });

  it("merges tcp_tw_reuse: applies only if on every runner; each runner's sustainable rate with its own hold time", () => {
    const pa = phaseOf(a, 0, 2);
    const pb = phaseOf(b, 1, 2);
    // Runner b reaches the target over loopback with tcp_tw_reuse=2: its ports are free again after ~1 s.
    pb.ports = ports({ twReuseApplies: true, twReuseReason: 'loopback target', timeWaitHoldSeconds: 1, sustainableConnectionsPerSecond: 28232 });
    pa.ports = ports({ projectedExhaustionSeconds: 40 });
    const doc = mergeResults([docOf(pa), docOf(pb)]);
    assertValidResult(doc);
    const p = doc.phases[0]!.ports;
    expect(p).toMatchObject({ twReuseApplies: false, timeWaitHoldSeconds: 60, twReuseReason: 'loopback only; target is not / loopback target' });
    expect(p.sustainableConnectionsPerSecond).toBeCloseTo(28232 / 60 + 28232);
    expect(p.projectedExhaustionSeconds).toBe(40);

    pa.ports = ports({ twReuseApplies: true, twReuseReason: 'loopback target', timeWaitHoldSeconds: 1, sustainableConnectionsPerSecond: 28232 });
    const both = mergeResults([docOf(pa), docOf(pb)]).phases[0]!.ports;
    expect(both).toMatchObject({ twReuseApplies: true, timeWaitHoldSeconds: 1, twReuseReason: 'loopback target', sustainableConnectionsPerSecond: 2 * 28232 });
  });

  it("leaves the tcp_tw_reuse fields out when a runner's result predates them", () => {
    const pa = phaseOf(a, 0, 2);
    const { twReuseApplies: _a, twReuseReason: _r, timeWaitHoldSeconds: _h, ...old } = ports();
    pa.ports = old;
    const doc = mergeResults([docOf(pa), docOf(phaseOf(b, 1, 2))]);
    assertValidResult(doc);
    const p = doc.phases[0]!.ports;
    expect(p).not.toHaveProperty('twReuseApplies');
    expect(p).not.toHaveProperty('timeWaitHoldSeconds');
    expect(p).not.toHaveProperty('twReuseReason');
    expect(p.sustainableConnectionsPerSecond).toBeCloseTo((2 * 28232) / 60);
  });

  it('does not make up TIME_WAIT counts a runner could not read', () => {
    const pb = phaseOf(b, 1, 2);
    pb.ports = ports({ supported: false, source: null, timeWaitPeak: null, peakFraction: null });
    pb.series = pb.series.map((s) => ({ ...s, timeWait: null }));
    const p = mergeResults([docOf(phaseOf(a, 0, 2)), docOf(pb)]).phases[0]!;
    expect(p.ports).toMatchObject({ supported: false, timeWaitPeak: null, peakFraction: null });
    expect(p.series[0]!.timeWait).toBeNull();
  });

  it('notes repeated or missing runner indexes', () => {
    const p = mergeResults([docOf(phaseOf(a, 0, 2)), docOf(phaseOf(a, 0, 2))]).phases[0]!;
    expect(p.notes.some((n) => n.includes('runner indexes 0, 0 of --runner-count 2'))).toBe(true);
  });

  it('refuses results of different targets or phases, naming them', () => {
    const other = docOf(phaseOf(b, 1, 2));
    other.target = { url: 'http://127.0.0.1:9090/', address: '127.0.0.1' };
    expect(() => mergeResults([docOf(phaseOf(a, 0, 2)), other], [], ['a.json', 'b.json'])).toThrow(
      /b\.json: target http:\/\/127\.0\.0\.1:9090\/ differs from a\.json's http:\/\/127\.0\.0\.1:8080\//,
    );
    const renamed = phaseOf(b, 1, 2);
    renamed.name = 'warm';
    expect(() => mergeResults([docOf(phaseOf(a, 0, 2)), docOf(renamed)], [], ['a.json', 'b.json'])).toThrow(
      /b\.json: phases \[warm\] differ from a\.json's \[persistent\]/,
    );
    expect(() => mergeResults([docOf(phaseOf(a, 0, 2)), docOf(renamed)])).toThrow(UsageError);
  });
});
