// A hand-built phase result with real HDR encodings, for thresholds and reporters.
import type { MetricName } from '../../src/metrics/catalog.js';
import { metricSummaryFromValues } from '../helpers/result-fixture.js';
import type { MetricSummary, PhaseResult, ResultDocument } from '../../src/metrics/result.js';

/** A summary (ms) and its hdr (us) from values in microseconds, as the metrics code records them. */
export const metricFromUs = metricSummaryFromValues;

/** 1..1000 ms in 1 ms steps: p50 ~ 500 ms, p75 ~ 750 ms, max ~ 1000 ms. */
export const TTFB_US = Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000);

export function phaseResult(overrides: Partial<PhaseResult> = {}): PhaseResult {
  const metrics: Partial<Record<MetricName, MetricSummary>> = {
    ttfb: metricFromUs(TTFB_US),
    latency: metricFromUs(TTFB_US.map((us) => us + 500)),
    connect: metricFromUs([200, 300, 400, 5000]),
  };
  return {
    name: 'gate',
    strategy: 'persistent',
    options: { connections: 4 },
    durationMs: 5000,
    requests: { completed: 990, errors: 10, retried: 3, dropped: 2, perSecond: 1234.5, byStatus: { '200': 990 } },
    errors: { ECONNRESET: 7, timeout: 3 },
    connections: {
      opened: 4,
      failed: 1,
      failedByCode: { ECONNREFUSED: 1 },
      closedByServer: 0,
      closedByClient: 4,
      resetByServer: 0,
      resetByClient: 0,
      closedByTimeout: 0,
      reuseRatio: 0.996,
      peakOpen: 4,
      keepAliveHeader: 'timeout=5',
      keepAliveMaxObserved: null,
      staleReuse: 0,
      requestsPerConnection: { mean: 247.5, max: 250, hdr: '' },
    },
    metrics,
    ports: {
      supported: true,
      source: 'proc',
      rangeLow: 32768,
      rangeHigh: 60999,
      twReuse: 2,
      twReuseApplies: true,
      twReuseReason: 'loopback target',
      timeWaitHoldSeconds: 1,
      localAddresses: 1,
      timeWaitPeak: 12,
      timeWaitPeakServer: 0,
      peakFraction: 0.0004,
      sustainableConnectionsPerSecond: 28232,
      projectedExhaustionSeconds: null,
      exhausted: false,
      exhaustedAtSeconds: null,
    },
    tls: null,
    http2: null,
    thresholds: [],
    series: [],
    notes: [],
    interrupted: false,
    ...overrides,
  };
}

export function resultDocument(phases: PhaseResult[]): ResultDocument {
  return {
    schema: 'connload/result@1',
    tool: { name: 'connload', version: '0.1.0' },
    target: { url: 'http://127.0.0.1:8080/', address: '127.0.0.1' },
    startedAt: '2024-01-01T00:00:00.000Z',
    ok: phases.every((p) => p.thresholds.every((t) => t.ok)),
    interrupted: false,
    phases,
  };
}
