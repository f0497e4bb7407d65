// From merged worker data to the phase of the result document: percentiles in
// milliseconds, counters, series, redacted options.
import type { MergedPhase, TimeWaitTrace } from '../run/coordinator.js';
import type { PhasePlan } from '../plan/types.js';
import { METRIC_NAMES } from './catalog.js';
import { sumErrors, type Http2Counters } from './counters.js';
import { encodeHistogram, newHistogram, type Histogram } from './histogram.js';
import type { Http2Summary, MetricSummary, PhaseResult, PortsSummary, SeriesPoint } from './result.js';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function summarizeHistogram(h: Histogram): MetricSummary {
  const ms = (us: number): number => round3(us / 1000);
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    hdr: encodeHistogram(h),
  };
}

const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|api[-_]?key|password/i;

export function redactHeaders(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([name, value]) => [name, SECRET_HEADERS.test(name) ? '[redacted]' : value]);
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    return u.toString();
  } catch {
    return url;
  }
}

/** The options a reader needs to reproduce the phase; secrets redacted. */
export function describeOptions(plan: PhasePlan): Record<string, unknown> {
  return {
    url: redactUrl(plan.target.url),
    connections: plan.connections,
    durationMs: plan.durationMs,
    requests: plan.requests,
    warmupMs: plan.warmupMs,
    method: plan.method,
    headers: Object.fromEntries(redactHeaders(plan.headers)),
    bodyBytes: plan.body?.byteLength ?? 0,
    workers: plan.workers,
    depth: plan.strategy === 'pipeline' ? plan.depth : undefined,
    streams: plan.strategy === 'multiplex' ? plan.streams : undefined,
    maxRequestsPerConnection: plan.maxRequestsPerConnection,
    maxConnectionAgeMs: plan.maxConnectionAgeMs,
    close: plan.close,
    nodelay: plan.nodelay,
    splitWrites: plan.splitWrites,
    connectTimeoutMs: plan.connectTimeoutMs,
    timeoutMs: plan.timeoutMs,
    insecure: plan.tls.insecure,
    tlsSessionReuse: plan.tls.sessionReuse,
    localAddresses: plan.localAddresses,
    unixSocket: plan.unixSocket ?? undefined,
    proxy: plan.proxy?.url,
    rate: plan.rate,
    maxConnections: plan.maxConnections,
    page: plan.page,
    runnerIndex: plan.runnerIndex,
    runnerCount: plan.runnerCount,
  };
}

function series(merged: MergedPhase, timeWait: TimeWaitTrace): SeriesPoint[] {
  const s = merged.series;
  const seconds = Math.max(s.requests.length, s.newConnections.length, s.openConnections.length, s.errors.length, Math.ceil(merged.durationMs / 1000));
  return Array.from({ length: seconds }, (_, t) => ({
    t,
    requests: s.requests[t] ?? 0,
    newConnections: s.newConnections[t] ?? 0,
    openConnections: s.openConnections[t] ?? 0,
    timeWait: timeWait.supported ? timeWait.perSecond[t] ?? null : null,
    errors: s.errors[t] ?? 0,
  }));
}

/** The HTTP/2 part of a multiplex phase; streams per session as a distribution like requests per connection. */
export function summarizeHttp2(streamsAsked: number, h: Http2Counters): Http2Summary {
  const perSession = newHistogram();
  for (const [streams, sessions] of Object.entries(h.streamsPerSession)) perSession.recordValueWithCount(Number(streams), sessions);
  return {
    streamsAsked,
    serverMaxStreams: h.serverMaxStreams,
    limitedByServer: h.serverMaxStreams !== null && h.serverMaxStreams < streamsAsked,
    peakConcurrentStreams: h.peakConcurrentStreams,
    goaway: { ...h.goaway },
    resetStreams: { ...h.resetStreams },
    streamsPerSession: {
      mean: round3(perSession.totalCount > 0 ? perSession.mean : 0),
      max: perSession.totalCount > 0 ? perSession.maxValue : 0,
      hdr: encodeHistogram(perSession),
    },
  };
}

function http2Notes(h: Http2Summary): string[] {
  const notes: string[] = [];
  if (h.limitedByServer) {
    notes.push(`The server allows ${h.serverMaxStreams} concurrent streams per HTTP/2 session (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than --streams ${h.streamsAsked}: at most ${h.serverMaxStreams} were in flight on each session.`);
  }
  const goaways = Object.entries(h.goaway).map(([code, n]) => `${n} x ${code}`);
  if (goaways.length > 0) notes.push(`The server sent GOAWAY (${goaways.join(', ')}): those sessions took no new streams, and new sessions were opened.`);
  return notes;
}

export interface PhaseExtras {
  ports: PortsSummary;
  notes: string[];
  interrupted: boolean;
}

export function buildPhaseResult(plan: PhasePlan, merged: MergedPhase, timeWait: TimeWaitTrace, extras: PhaseExtras): PhaseResult {
  const c = merged.counters;
  const metrics: PhaseResult['metrics'] = {};
  for (const name of METRIC_NAMES) {
    const h = merged.histograms.get(name);
    if (h !== undefined && h.totalCount > 0) metrics[name] = summarizeHistogram(h);
  }
  const rpc = merged.requestsPerConnection;
  const seconds = merged.durationMs / 1000;
  const secure = plan.target.protocol === 'https:';
  const http2 = plan.strategy === 'multiplex' ? summarizeHttp2(plan.streams, c.http2) : null;
  return {
    name: plan.name,
    strategy: plan.strategy,
    options: describeOptions(plan),
    durationMs: round3(merged.durationMs),
    requests: {
      completed: c.completed,
      reused: c.reused,
      errors: sumErrors(c.errors),
      retried: c.retried,
      dropped: c.dropped,
      perSecond: seconds > 0 ? round3(c.completed / seconds) : 0,
      byStatus: c.byStatus,
    },
    errors: c.errors,
    connections: {
      opened: c.connections.opened,
      failed: c.connections.failed,
      failedByCode: c.connections.failedByCode,
      closedByServer: c.connections.closedByServer,
      closedByClient: c.connections.closedByClient,
      resetByServer: c.connections.resetByServer,
      resetByClient: c.connections.resetByClient,
      closedByTimeout: c.connections.closedByTimeout,
      reuseRatio: c.completed > 0 ? round3(c.reused / c.completed) : 0,
      peakOpen: c.connections.peakOpen,
      keepAliveHeader: c.connections.keepAliveHeader,
      keepAliveMaxObserved: c.connections.keepAliveMaxObserved,
      staleReuse: c.connections.staleReuse,
      requestsPerConnection: {
        mean: round3(rpc.totalCount > 0 ? rpc.mean : 0),
        max: rpc.totalCount > 0 ? rpc.maxValue : 0,
        hdr: encodeHistogram(rpc),
      },
    },
    metrics,
    ports: extras.ports,
    tls: secure ? { ...c.tls } : null,
    http2,
    thresholds: [],
    series: series(merged, timeWait),
    notes: http2 === null ? extras.notes : [...extras.notes, ...http2Notes(http2)],
    interrupted: extras.interrupted,
  };
}
