// The result document (`--json`). CI users parse it: add fields, never rename.
// Durations in milliseconds (floats). `hdr` is the compressed HdrHistogram
// encoding (base64) of values recorded in microseconds.
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { MetricName } from './durations.js';
import type { HeaderBlockKind, HeaderBytes } from './counters.js';
import type { PeersSummary } from './peers.js';

export const RESULT_SCHEMA_ID = 'connload/result@1';

export interface MetricSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  hdr: string;
}

export interface PortsSummary {
  supported: boolean;
  /** How the counts were read: "proc" (Linux /proc/net/tcp), "netstat", or null when unsupported. */
  source: string | null;
  rangeLow: number | null;
  rangeHigh: number | null;
  twReuse: number | null;
  /**
   * Whether tcp_tw_reuse lets this run's new connections take a 4-tuple in TIME_WAIT (1, or 2 with a
   * loopback target; not with --local-address). Absent in results written before it existed.
   */
  twReuseApplies?: boolean;
  /** Why it does or does not apply, in words ("loopback target", "off", ...); null when twReuse is unknown. */
  twReuseReason?: string | null;
  /** How long a port the client closed first stays taken: 60 (TIME_WAIT), or 1 when tcp_tw_reuse applies. */
  timeWaitHoldSeconds?: number;
  localAddresses: number;
  timeWaitPeak: number | null;
  timeWaitPeakServer: number | null;
  peakFraction: number | null;
  /** usable 4-tuples / timeWaitHoldSeconds: connections per second the client can close first without running out. */
  sustainableConnectionsPerSecond: number | null;
  /** (usable - TIME_WAIT now) / client closes per second, when above the sustainable rate; else null. */
  projectedExhaustionSeconds: number | null;
  exhausted: boolean;
  /** Seconds into the phase of the first EADDRNOTAVAIL, or null. */
  exhaustedAtSeconds: number | null;
}

export interface ThresholdResult {
  expression: string;
  ok: boolean;
  actual: number | null;
}

export interface SeriesPoint {
  /** Seconds since the phase started (counted part, after warmup). */
  t: number;
  requests: number;
  newConnections: number;
  openConnections: number;
  timeWait: number | null;
  errors: number;
  /** Connections the server closed (FIN) or reset in this second. Absent in files written before it existed. */
  closedByServer?: number;
  /** Connects that failed in this second (ECONNREFUSED, EMFILE, ...). Absent in files written before it existed. */
  connectFailed?: number;
}

/**
 * Held connections (--interval): how many the server kept, closed and refused, and when. Seconds
 * count from the start of the counted phase, as the series' `t`.
 */
export interface HeldSummary {
  /** --interval: each connection sent a request this often */
  intervalMs: number;
  /** connections asked for (-c) */
  connections: number;
  /** most connections open at once */
  peakOpen: number;
  /** connections open when the run stopped: the ones the server kept */
  openAtEnd: number;
  /** connections the server closed (FIN or RST), and of them those it reset */
  closedByServer: number;
  resetByServer: number;
  /** the seconds in which the first and the last of them were closed, or null when none was */
  closedFirstSecond: number | null;
  closedLastSecond: number | null;
  /** connects that failed (refused, reset, EMFILE...), by code: how many, and the second of the first */
  failed: Record<string, { count: number; firstSecond: number | null }>;
  /** requests sent after their slot, because the previous response came later than it */
  late: number;
  /** slots that passed wholly while a connection waited for a response (no request went on them) */
  skipped: number;
}

export interface TlsSummary {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  resumed: number;
  handshakes: number;
}

export interface Http2Summary {
  streamsAsked: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS the server announced (lowest seen), or null. */
  serverMaxStreams: number | null;
  /** true when the server's limit was lower than asked. */
  limitedByServer: boolean;
  peakConcurrentStreams: number;
  goaway: Record<string, number>;
  resetStreams: Record<string, number>;
  streamsPerSession: { mean: number; max: number; hdr: string };
  /** The server's SETTINGS as first received, by name (absent in files written before it existed). */
  serverSettings?: Record<string, number>;
  /** The highest last-stream-id of the GOAWAYs received, or null. */
  goawayLastStreamId?: number | null;
  /** Header blocks, HPACK bytes against the same fields as HTTP/1 text: a session's first block and its
   *  later ones, each way (HPACK's dynamic table is HTTP/2's "reuse pays"). */
  headerBytes?: Record<HeaderBlockKind, HeaderBytes>;
}

export interface ConnectionsSummary {
  opened: number;
  failed: number;
  failedByCode: Record<string, number>;
  closedByServer: number;
  closedByClient: number;
  resetByServer: number;
  resetByClient: number;
  closedByTimeout: number;
  /** Still open when the run ended (opened = the six ways to end). Absent in files written before it existed. */
  stoppedAtEnd?: number;
  reuseRatio: number;
  peakOpen: number;
  /** The first Keep-Alive header value the server sent, or null. */
  keepAliveHeader: string | null;
  /** Highest `max=` seen in Keep-Alive headers, and requests actually served on one connection. */
  keepAliveMaxObserved: number | null;
  staleReuse: number;
  /** Connections the client closed because of what the server sent, by code (part of closedByClient). */
  closedOnError?: Record<string, number>;
  requestsPerConnection: { mean: number; max: number; hdr: string };
}

export interface PhaseResult {
  name: string;
  /** The strategy's name, as given (`persistent`, `multiplex`...). */
  strategy: string;
  options: Record<string, unknown>;
  durationMs: number;
  requests: {
    /** Requests handed out, dropped ones included. Absent in files written before it existed. */
    sent?: number;
    completed: number;
    /** Completed requests sent on a connection opened earlier (reuseRatio = reused / completed). Absent in files written before it existed. */
    reused?: number;
    errors: number;
    retried: number;
    dropped: number;
    /** Requests still without an outcome when the run ended. Absent in files written before it existed. */
    unfinished?: number;
    perSecond: number;
    byStatus: Record<string, number>;
  };
  errors: Record<string, number>;
  connections: ConnectionsSummary;
  metrics: Partial<Record<MetricName, MetricSummary>>;
  ports: PortsSummary;
  tls: TlsSummary | null;
  http2: Http2Summary | null;
  /** Connections and requests per address connected to (absent in files written before it existed). */
  addresses?: PeersSummary | null;
  /** Per backend, named by the response header of --backend-header; null without it. */
  backends?: PeersSummary | null;
  /** Held connections (--interval); null without it. Absent in files written before it existed. */
  held?: HeldSummary | null;
  thresholds: ThresholdResult[];
  series: SeriesPoint[];
  /** Plain-language findings (port exhaustion, RST trick, server stream limit...). */
  notes: string[];
  interrupted: boolean;
  /** Wall-clock epoch ms at which counting began (series second 0); merge aligns runners' series by it. Absent in files written before it existed. */
  startedAtEpochMs?: number;
}

/** One step of `connload find`: a load, whether every threshold held there, and the curve's values. */
export interface CapacityPoint {
  /** requests per second (by rate), connections (by connections) or new connections per second (by connect-rate) */
  load: number;
  /** the phase of this step */
  phase: string;
  ok: boolean;
  /** the first threshold that failed at this load, or null */
  failedThreshold: string | null;
  /** what that threshold measured there */
  failedActual: number | null;
  requestsPerSecond: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  errors: number;
  /** errors / attempted requests */
  errorRate: number;
  connectionsOpened: number;
  /** connections opened per second of the step (by connect-rate: what the asked rate reached). Absent in results written before it existed. */
  connectionsPerSecond?: number;
  timeWaitPeak: number | null;
}

/** `connload find`: the highest load at which the thresholds held, and the curve that led there. */
export interface CapacityResult {
  by: 'rate' | 'connections' | 'connect-rate';
  /** the highest passing load (the capacity), or null when even the first step failed */
  value: number | null;
  /** the lowest failing load, or null when the search ended without a failure (bound, steps or time) */
  failedAt: number | null;
  /** the threshold that failed at failedAt */
  failedThreshold: string | null;
  thresholds: string[];
  /** why the search stopped: "converged", "max-load", "max-steps", "max-time", "first-step-failed", "interrupted" */
  stoppedBy: string;
  /** every step, by load */
  curve: CapacityPoint[];
}

export interface ResultDocument {
  schema: typeof RESULT_SCHEMA_ID;
  tool: { name: string; version: string };
  target: { url: string; address: string | null };
  startedAt: string;
  ok: boolean;
  interrupted: boolean;
  phases: PhaseResult[];
  /** `connload find` only: the capacity found and its curve (each step is a phase). */
  capacity?: CapacityResult;
}

/** The document around its phases: ok when nothing was interrupted and every threshold held. */
export function resultDocument(target: ResultDocument['target'], startedAt: string, phases: PhaseResult[], interrupted: boolean): ResultDocument {
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target,
    startedAt,
    ok: !interrupted && phases.every((p) => !p.interrupted && p.thresholds.every((t) => t.ok)),
    interrupted,
    phases,
  };
}
