// A realistic result document for reporter tests, until real runs produce them: two phases
// ("new-connection" with client close and page mode, "persistent" in the open model), every
// metric of the catalogue with a real HDR encoding of recorded values, 10 series points, a
// supported ports block, one passed and one failed threshold, errors by code.
import { encodeHistogram, newHistogram, recordUs } from '../../src/metrics/histogram.js';
import { summarizeHistogram } from '../../src/metrics/summary.js';
import { RESULT_SCHEMA_ID, type MetricSummary, type PhaseResult, type PortsSummary, type ResultDocument, type SeriesPoint } from '../../src/metrics/result.js';
import { seededRandom } from '../../src/server/faults.js';

export interface ResultFixtureOptions {
  /** Seed of the value generator: same seed, same document. */
  seed?: number;
  /** Multiplies every duration (to make a second, slower result for compare). */
  slowdown?: number;
  portsSupported?: boolean;
  url?: string;
}

const PORT_RANGE_LOW = 32768;
const PORT_RANGE_HIGH = 60999;

export function makeResultFixture(options: ResultFixtureOptions = {}): ResultDocument {
  const random = seededRandom(options.seed ?? 1);
  const slowdown = options.slowdown ?? 1;
  const portsSupported = options.portsSupported ?? true;
  const phases = [newConnectionPhase(random, slowdown, portsSupported), persistentPhase(random, slowdown, portsSupported)];
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: 'connload', version: '0.1.0' },
    target: { url: options.url ?? 'https://localhost:8443/index.html', address: '127.0.0.1' },
    startedAt: '2024-05-04T10:20:30.000Z',
    ok: phases.every((p) => p.thresholds.every((t) => t.ok)),
    interrupted: false,
    phases,
  };
}

/** Records microsecond values into an HDR histogram as the metrics code does, and summarises it in ms. */
export function metricSummaryFromValues(valuesUs: number[]): MetricSummary {
  const histogram = newHistogram();
  for (const value of valuesUs) recordUs(histogram, value);
  return summarizeHistogram(histogram);
}

function newConnectionPhase(random: () => number, slowdown: number, portsSupported: boolean): PhaseResult {
  const series = makeSeries(random, { requestsPerSecond: 900, newPerRequest: 1, open: 6, timeWaitStep: 900, errorEvery: 4 });
  const completed = sum(series.map((p) => p.requests)) - sum(series.map((p) => p.errors));
  const n = completed;
  const connect = values(n, random, 90 * slowdown, 0.35);
  const tls = values(n, random, 900 * slowdown, 0.3);
  const wait = values(n, random, 350 * slowdown, 0.5);
  const download = values(n, random, 60 * slowdown, 0.8);
  const dns = values(n, random, 40 * slowdown, 0.6);
  // Through a forward proxy: the CONNECT round trip.
  const tunnel = values(n, random, 120 * slowdown, 0.4);
  // HTTP/2 PING round trips.
  const rtt = values(Math.max(1, Math.floor(n / 50)), random, 80 * slowdown, 0.5);
  const flowControlWait = values(Math.max(1, Math.floor(n / 20)), random, 300 * slowdown, 0.7);
  const ttfb = wait.map((w, i) => w + connect[i]! + tls[i]! + dns[i]!);
  const latency = ttfb.map((t, i) => t + download[i]!);
  const page = values(Math.floor(n / 4), random, 6000 * slowdown, 0.4);
  const errors = { ECONNRESET: 4, timeout: 1 };
  return {
    name: 'new-connection',
    strategy: 'new-connection',
    options: { connections: 6, durationMs: 10_000, close: 'client', nodelay: true, page: ['/index.html', '/a.png', '/b.png', '/c.png'] },
    durationMs: 10_000,
    requests: { completed, errors: 5, retried: 0, dropped: 0, perSecond: completed / 10, byStatus: { '200': completed } },
    errors,
    connections: {
      opened: completed + 5,
      failed: 1,
      failedByCode: { ECONNREFUSED: 1 },
      closedByServer: 0,
      closedByClient: completed + 3,
      resetByServer: 4,
      resetByClient: 0,
      closedByTimeout: 1,
      reuseRatio: 0,
      peakOpen: 6,
      keepAliveHeader: null,
      keepAliveMaxObserved: null,
      staleReuse: 0,
      requestsPerConnection: rpcSummary(new Array<number>(completed + 5).fill(1).map((one, i) => (i % 97 === 0 ? 0 : one))),
    },
    metrics: {
      dns: metricSummaryFromValues(dns),
      connect: metricSummaryFromValues(connect),
      tunnel: metricSummaryFromValues(tunnel),
      rtt: metricSummaryFromValues(rtt),
      flowControlWait: metricSummaryFromValues(flowControlWait),
      idleBeforeFailure: metricSummaryFromValues(flowControlWait.slice(0, 5).map((v) => v * 1000)),
      tls: metricSummaryFromValues(tls),
      wait: metricSummaryFromValues(wait),
      ttfb: metricSummaryFromValues(ttfb),
      download: metricSummaryFromValues(download),
      latency: metricSummaryFromValues(latency),
      page: metricSummaryFromValues(page),
      ttfbNew: metricSummaryFromValues(ttfb),
      latencyNew: metricSummaryFromValues(latency),
      downloadNew: metricSummaryFromValues(download),
    },
    ports: ports(series, portsSupported, completed + 3 + 1),
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'http/1.1', resumed: 0, handshakes: completed + 5 },
    http2: null,
    thresholds: [
      { expression: 'ttfb.p99 < 50ms', ok: true, actual: metricSummaryFromValues(ttfb).p99 },
      { expression: 'errors == 0', ok: false, actual: 5 },
    ],
    series,
    notes: ['The client closed first: its local ports went to TIME_WAIT (4.7).'],
    interrupted: false,
  };
}

function persistentPhase(random: () => number, slowdown: number, portsSupported: boolean): PhaseResult {
  const series = makeSeries(random, { requestsPerSecond: 4000, newPerRequest: 0, open: 10, timeWaitStep: 0, errorEvery: 0 });
  series[0]!.newConnections = 10;
  const completed = sum(series.map((p) => p.requests));
  const opened = 10;
  const n = completed;
  const reusedCount = n - opened;
  const wait = values(n, random, 300 * slowdown, 0.5);
  const download = values(n, random, 40 * slowdown, 0.8);
  const connectNew = values(opened, random, 110 * slowdown, 0.3);
  const tlsNew = values(opened, random, 950 * slowdown, 0.3);
  const ttfbNew = wait.slice(0, opened).map((w, i) => w + connectNew[i]! + tlsNew[i]!);
  const ttfbReused = wait.slice(opened);
  const ttfb = [...ttfbNew, ...ttfbReused];
  const latency = ttfb.map((t, i) => t + download[i]!);
  const uncorrected = latency.map((l) => l * (0.7 + 0.2 * random()));
  const perConnection = splitEvenly(completed, opened, random);
  return {
    name: 'persistent',
    strategy: 'persistent',
    options: { connections: 10, durationMs: 10_000, rate: 4000, close: 'server', maxRequestsPerConnection: null },
    durationMs: 10_000,
    requests: { completed, errors: 0, retried: 0, dropped: 2, perSecond: completed / 10, byStatus: { '200': completed } },
    errors: {},
    connections: {
      opened,
      failed: 0,
      failedByCode: {},
      closedByServer: 10,
      closedByClient: 0,
      resetByServer: 0,
      resetByClient: 0,
      closedByTimeout: 0,
      reuseRatio: reusedCount / completed,
      peakOpen: 10,
      keepAliveHeader: 'timeout=5, max=1000',
      keepAliveMaxObserved: 1000,
      staleReuse: 0,
      requestsPerConnection: rpcSummary(perConnection),
    },
    metrics: {
      connect: metricSummaryFromValues(connectNew),
      tls: metricSummaryFromValues(tlsNew),
      wait: metricSummaryFromValues(wait),
      ttfb: metricSummaryFromValues(ttfb),
      download: metricSummaryFromValues(download),
      latency: metricSummaryFromValues(latency),
      ttfbNew: metricSummaryFromValues(ttfbNew),
      ttfbReused: metricSummaryFromValues(ttfbReused),
      latencyNew: metricSummaryFromValues(latency.slice(0, opened)),
      latencyReused: metricSummaryFromValues(latency.slice(opened)),
      downloadNew: metricSummaryFromValues(download.slice(0, opened)),
      downloadReused: metricSummaryFromValues(download.slice(opened)),
      latencyUncorrected: metricSummaryFromValues(uncorrected),
    },
    ports: ports(series, portsSupported, 0),
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'http/1.1', resumed: 0, handshakes: 10 },
    http2: null,
    thresholds: [{ expression: 'reuse >= 0.95', ok: true, actual: reusedCount / completed }],
    series,
    notes: [],
    interrupted: false,
  };
}

interface SeriesShape {
  requestsPerSecond: number;
  newPerRequest: number;
  open: number;
  timeWaitStep: number;
  errorEvery: number;
}

function makeSeries(random: () => number, shape: SeriesShape): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  let timeWait = 0;
  for (let t = 1; t <= 10; t++) {
    const requests = Math.round(shape.requestsPerSecond * (0.9 + 0.2 * random()));
    timeWait += Math.round(shape.timeWaitStep * (0.9 + 0.2 * random()));
    points.push({
      t,
      requests,
      newConnections: Math.round(requests * shape.newPerRequest),
      openConnections: shape.open - (random() < 0.3 ? 1 : 0),
      timeWait,
      errors: shape.errorEvery > 0 && t % 2 === 0 && t <= 2 * shape.errorEvery + 1 ? 1 : 0,
    });
  }
  // 5 errors in the new-connection phase, matching its `errors` block.
  if (shape.errorEvery > 0) points[9]!.errors = 1;
  return points;
}

/** `clientCloses`: connections the client closed first (closedByClient + closedByTimeout). */
function ports(series: SeriesPoint[], supported: boolean, clientCloses: number): PortsSummary {
  if (!supported) {
    for (const point of series) point.timeWait = null;
    return {
      supported: false,
      source: null,
      rangeLow: null,
      rangeHigh: null,
      twReuse: null,
      twReuseApplies: false,
      twReuseReason: null,
      timeWaitHoldSeconds: 60,
      localAddresses: 1,
      timeWaitPeak: null,
      timeWaitPeakServer: null,
      peakFraction: null,
      sustainableConnectionsPerSecond: null,
      projectedExhaustionSeconds: null,
      exhausted: false,
      exhaustedAtSeconds: null,
    };
  }
  const usable = PORT_RANGE_HIGH - PORT_RANGE_LOW + 1;
  const peak = Math.max(...series.map((p) => p.timeWait ?? 0));
  const clientClosesPerSecond = clientCloses / series.length;
  // tcp_tw_reuse=2 and a loopback target: a port is free again after about a second.
  const holdSeconds = 1;
  const sustainable = usable / holdSeconds;
  return {
    supported: true,
    source: 'proc',
    rangeLow: PORT_RANGE_LOW,
    rangeHigh: PORT_RANGE_HIGH,
    twReuse: 2,
    twReuseApplies: true,
    twReuseReason: 'loopback target',
    timeWaitHoldSeconds: holdSeconds,
    localAddresses: 1,
    timeWaitPeak: peak,
    timeWaitPeakServer: 0,
    peakFraction: peak / usable,
    sustainableConnectionsPerSecond: sustainable,
    projectedExhaustionSeconds: clientClosesPerSecond > sustainable ? Math.max(0, (usable - peak) / clientClosesPerSecond) : null,
    exhausted: false,
    exhaustedAtSeconds: null,
  };
}

function rpcSummary(counts: number[]): { mean: number; max: number; hdr: string } {
  const histogram = newHistogram();
  for (const count of counts) histogram.recordValue(count);
  return { mean: sum(counts) / counts.length, max: Math.max(...counts), hdr: encodeHistogram(histogram) };
}

/** Log-normal-ish microsecond values around `medianUs`: a long right tail like real latencies. */
function values(n: number, random: () => number, medianUs: number, spread: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const stall = random() < 0.002 ? 20 : 1; // a rare stall, as delayed ACK or a GC pause would make
    out.push(medianUs * Math.exp(spread * gaussian) * stall);
  }
  return out;
}

function splitEvenly(total: number, parts: number, random: () => number): number[] {
  const weights = Array.from({ length: parts }, () => 0.6 + 0.8 * random());
  const weightSum = sum(weights);
  const counts = weights.map((w) => Math.floor((total * w) / weightSum));
  counts[0]! += total - sum(counts);
  return counts;
}

function sum(numbers: number[]): number {
  return numbers.reduce((a, b) => a + b, 0);
}
