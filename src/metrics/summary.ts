// From the merged worker data of a phase to the phase of the result document:
// percentiles in milliseconds, counters, series, ports, notes and thresholds.
// What it needs of the plan comes as plain data (PhaseFacts), built by the caller.
import type { ClosePolicy } from '../transport/close-policy.js';
import type { PhaseAggregate } from './aggregate.js';
import { METRIC_NAMES } from './catalog.js';
import { requestErrors, type ConnectionCounters, type Http2Counters } from './counters.js';
import { encodeHistogram, newHistogram, type Histogram } from './histogram.js';
import { summarizeDistribution, type Distribution } from './merge-kinds.js';
import { closedByClientFirst, exhaustionAdvice, fileLimitNote, summarizePorts, type PortFacts } from './ports.js';
import type { ConnectionsSummary, Http2Summary, MetricSummary, PhaseResult, PortsSummary, SeriesPoint } from './result.js';
import { summarizeHeld, type HeldAsked } from './held.js';
import { summarizePeers } from './peers.js';
import { evaluateThresholds, type Threshold } from './thresholds.js';
import type { TimeWaitTrace } from './timewait.js';

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

function series(merged: PhaseAggregate, timeWait: TimeWaitTrace): SeriesPoint[] {
  const s = merged.series;
  const seconds = Math.max(
    s.requests.length,
    s.newConnections.length,
    s.openConnections.length,
    s.errors.length,
    s.closedByServer.length,
    s.connectFailed.length,
    Math.ceil(merged.durationMs / 1000),
  );
  return Array.from({ length: seconds }, (_, t) => ({
    t,
    requests: s.requests[t] ?? 0,
    newConnections: s.newConnections[t] ?? 0,
    openConnections: s.openConnections[t] ?? 0,
    timeWait: timeWait.supported ? (timeWait.perSecond[t] ?? null) : null,
    errors: s.errors[t] ?? 0,
    closedByServer: s.closedByServer[t] ?? 0,
    connectFailed: s.connectFailed[t] ?? 0,
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
    streamsPerSession: summarizeDistribution(perSession),
    serverSettings: { ...h.serverSettings },
    goawayLastStreamId: h.goawayLastStreamId,
    headerBytes: h.headerBytes,
  };
}

/**
 * The keep-alive race in words: requests that got no answer on reused connections, how long those had
 * been idle, beside the server's announced Keep-Alive timeout, and what to change.
 */
export function keepAliveRaceNote(idle: MetricSummary | undefined, keepAliveHeader: string | null, idleTimeoutMs: unknown): string | null {
  if (idle === undefined || idle.count === 0) return null;
  const s = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const announced = /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(keepAliveHeader ?? '')?.[1];
  const server =
    announced !== undefined
      ? `the server announced Keep-Alive: timeout=${announced}`
      : 'the server announced no Keep-Alive timeout (connload probe measures when it closes idle connections)';
  const requests = idle.count === 1 ? '1 request' : `${idle.count} requests`;
  const ages = idle.min === idle.max ? s(idle.min) : `${s(idle.min)}-${s(idle.max)} (p50 ${s(idle.p50)})`;
  const suggest =
    typeof idleTimeoutMs === 'number'
      ? `--idle-timeout ${s(idleTimeoutMs)} did not close them first: set it lower`
      : `keep the client's idle timeout below the server's: --idle-timeout ${s(Math.max(100, Math.floor(idle.min * 0.8)))} or less`;
  return `The keep-alive race: ${requests} got no answer on reused connections that had been idle ${ages}; ${server}. The server closed them as the requests went out (idempotent ones were retried, see retried): ${suggest}.`;
}

/** "sent 64% first, 64% later; received 71% first, 9% later": HPACK bytes as a share of the plain text. */
export function describeHeaderCompression(h: Http2Summary): string | null {
  const b = h.headerBytes;
  if (b === undefined) return null;
  const pct = (x: { encoded: number; plain: number; blocks: number }): string => (x.blocks === 0 || x.plain === 0 ? '-' : `${Math.round((100 * x.encoded) / x.plain)}%`);
  if (b.sentFirst.blocks + b.receivedFirst.blocks === 0) return null;
  return `sent ${pct(b.sentFirst)} first, ${pct(b.sentLater)} later; received ${pct(b.receivedFirst)} first, ${pct(b.receivedLater)} later`;
}

/** "maxConcurrentStreams=100, initialWindowSize=65535" */
export function describeSettings(h: Http2Summary): string | null {
  const s = h.serverSettings;
  if (s === undefined || Object.keys(s).length === 0) return null;
  return Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function http2Notes(h: Http2Summary): string[] {
  const notes: string[] = [];
  if (h.limitedByServer) {
    notes.push(
      `The server allows ${h.serverMaxStreams} concurrent streams per HTTP/2 session (SETTINGS_MAX_CONCURRENT_STREAMS), fewer than --streams ${h.streamsAsked}: at most ${h.serverMaxStreams} were in flight on each session.`,
    );
  }
  const goaways = Object.entries(h.goaway).map(([code, n]) => `${n} x ${code}`);
  if (goaways.length > 0) notes.push(`The server sent GOAWAY (${goaways.join(', ')}): those sessions took no new streams, and new sessions were opened.`);
  return notes;
}

/** What the result shows of a phase's plan, as plain data (plan/describe.ts builds it from the plan and the strategy's traits). */
export interface PhaseFacts {
  name: string;
  strategy: string;
  /** The options a reader needs to reproduce the phase, secrets redacted. */
  options: Record<string, unknown>;
  /** https: the result has a tls section */
  secure: boolean;
  /** HTTP/2 streams asked per session when the strategy's report shows HTTP/2, else null */
  http2StreamsAsked: number | null;
  /** whether a connection carries more than one request (remedies for port exhaustion) */
  reusesConnections: boolean;
  close: ClosePolicy;
  /** --local-address addresses; 0 when the OS picks the source */
  localAddresses: number;
  /** parsed once, in the plan */
  thresholds: Threshold[];
  /** --backend-header: the response header that names the backend, or null */
  backendHeader: string | null;
  /** --interval: what was asked of held connections, or null (older callers leave it out) */
  held?: HeldAsked | null;
}

/** What the machine running the phase knows of its ports, read once per run. */
export interface HostFacts {
  ports: PortFacts;
  /** the target address is loopback (tcp_tw_reuse=2 covers loopback only) */
  targetLoopback: boolean;
  /** the process's open-file limit, for the EMFILE note; null when unknown */
  openFiles?: { soft: number; hard: number | null } | null;
}

/** A run of the phase as the coordinator returns it. */
export interface PhaseOutcome {
  merged: PhaseAggregate;
  timeWait: TimeWaitTrace;
  interrupted: boolean;
  /** wall-clock epoch ms at which counting began (the phase start after any warmup) */
  startedAtEpochMs?: number;
}

/** The ports section: what the sampler saw against the port facts. */
export function phasePorts(facts: PhaseFacts, host: HostFacts, run: PhaseOutcome): PortsSummary {
  const seconds = run.merged.durationMs / 1000;
  return summarizePorts({
    supported: run.timeWait.supported,
    source: run.timeWait.source,
    facts: host.ports,
    localAddresses: facts.localAddresses,
    targetLoopback: host.targetLoopback,
    timeWaitPeak: run.timeWait.peakClient,
    timeWaitPeakServer: run.timeWait.peakServer,
    clientClosesPerSecond: seconds > 0 ? closedByClientFirst(run.merged.counters.connections) / seconds : 0,
    timeWaitNow: run.timeWait.last,
    exhaustedAtSeconds: run.merged.counters.exhaustedAtSeconds,
  });
}

function phaseNotes(
  facts: PhaseFacts,
  host: HostFacts,
  ports: PortsSummary,
  counters: PhaseAggregate['counters'],
  metrics: PhaseResult['metrics'],
  http2: Http2Summary | null,
): string[] {
  const notes = ports.exhausted ? exhaustionAdvice(ports, { reusesConnections: facts.reusesConnections, close: facts.close }) : [];
  const files = fileLimitNote(counters.connections.failedByCode.EMFILE ?? 0, host.openFiles ?? null);
  if (files !== null) notes.push(files);
  const race = keepAliveRaceNote(metrics.idleBeforeFailure, counters.connections.keepAliveHeader, facts.options.idleTimeoutMs);
  if (race !== null) notes.push(race);
  if (facts.close === 'reset' && counters.connections.resetByClient > 0) {
    notes.push(
      '--close reset: connections were aborted with RST, so no TIME_WAIT was left anywhere; this is a trick with a cost: the server sees resets, and data still in flight is lost.',
    );
  }
  return http2 === null ? notes : [...notes, ...http2Notes(http2)];
}

/** The connections section, fields in the documented order (counters as merged, then what is derived). */
export function connectionsSummary(c: ConnectionCounters, reuseRatio: number, requestsPerConnection: Distribution): ConnectionsSummary {
  const { peakOpen, keepAliveHeader, keepAliveMaxObserved, staleReuse, ...opensAndCloses } = c;
  return { ...opensAndCloses, reuseRatio, peakOpen, keepAliveHeader, keepAliveMaxObserved, staleReuse, requestsPerConnection };
}

/** The phase of the result document, thresholds evaluated. */
export function buildPhaseResult(facts: PhaseFacts, host: HostFacts, run: PhaseOutcome): PhaseResult {
  const merged = run.merged;
  const c = merged.counters;
  const metrics: PhaseResult['metrics'] = {};
  for (const name of METRIC_NAMES) {
    const h = merged.histograms.get(name);
    if (h !== undefined && h.totalCount > 0) metrics[name] = summarizeHistogram(h);
  }
  const seconds = merged.durationMs / 1000;
  const http2 = facts.http2StreamsAsked === null ? null : summarizeHttp2(facts.http2StreamsAsked, c.http2);
  const ports = phasePorts(facts, host, run);
  const phase: PhaseResult = {
    name: facts.name,
    strategy: facts.strategy,
    options: facts.options,
    durationMs: round3(merged.durationMs),
    requests: {
      sent: c.sent,
      completed: c.completed,
      reused: c.reused,
      errors: requestErrors(c.errors),
      retried: c.retried,
      dropped: c.dropped,
      unfinished: c.unfinished,
      perSecond: seconds > 0 ? round3(c.completed / seconds) : 0,
      byStatus: c.byStatus,
    },
    errors: c.errors,
    connections: connectionsSummary(c.connections, c.completed > 0 ? round3(c.reused / c.completed) : 0, summarizeDistribution(merged.requestsPerConnection)),
    metrics,
    ports,
    tls: facts.secure ? { ...c.tls } : null,
    http2,
    addresses: summarizePeers('address', c.addresses),
    backends: facts.backendHeader === null ? null : summarizePeers(facts.backendHeader.toLowerCase(), c.backends),
    held: facts.held ? summarizeHeld(facts.held, c, merged.series.closedByServer) : null,
    thresholds: [],
    series: series(merged, run.timeWait),
    notes: phaseNotes(facts, host, ports, c, metrics, http2),
    interrupted: run.interrupted,
    ...(run.startedAtEpochMs !== undefined ? { startedAtEpochMs: run.startedAtEpochMs } : {}),
  };
  phase.thresholds = evaluateThresholds(facts.thresholds, phase);
  return phase;
}
