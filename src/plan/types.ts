// The plan: everything a phase needs, resolved and validated, no I/O left.
// Built by buildPlan (pure) from command-line options or a scenario phase.
import type { Threshold } from '../metrics/thresholds.js';
import type { ClosePolicy } from '../transport/close-policy.js';
import type { Stage } from './stages.js';
import type { DnsPlan } from './dns.js';
import type { ProxyPlan } from './proxy.js';
import type { TargetPlan } from './target.js';

export type { TargetPlan } from './target.js';

export const STRATEGY_NAMES = ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface TlsPlan {
  insecure: boolean;
  /** PEM text of a private CA, read by the CLI. */
  ca: string | null;
  servername: string | null;
  sessionReuse: boolean;
}

export interface PhasePlan {
  name: string;
  target: TargetPlan;
  strategy: StrategyName;
  /** Connections in total (closed model), split over workers. With a connection ramp, its peak. */
  connections: number;
  durationMs: number;
  /** Stop after this many completed requests (total over workers), or null. */
  requests: number | null;
  warmupMs: number;
  method: string;
  /** Extra request headers, in order, as given. */
  headers: Array<[string, string]>;
  body: Uint8Array | null;
  workers: number;
  /** Pipeline depth (requests in flight per connection); 1 for other HTTP/1 strategies. */
  depth: number;
  /** HTTP/2 concurrent streams per session asked for. */
  streams: number;
  /** Requests after which a connection is retired, drawn per connection in this range; or null. */
  maxRequestsPerConnection: LimitRange | null;
  /** Age after which a connection is retired, drawn per connection in this range (ms); or null. */
  maxConnectionAgeMs: LimitRange | null;
  /** --connect-rate: new connections per second in total (over workers), or null for no limit. */
  connectRate: number | null;
  /** --idle-timeout: the client closes a pooled connection idle this long, or null. */
  idleTimeoutMs: number | null;
  /** --interval: held connections, each sending a request this often on its own schedule (closed model), or null. */
  intervalMs: number | null;
  close: ClosePolicy;
  nodelay: boolean;
  splitWrites: boolean;
  connectTimeoutMs: number;
  timeoutMs: number;
  tls: TlsPlan;
  /** The response header that names the backend that answered (--backend-header), or null. */
  backendHeader: string | null;
  /** Which address of the target's name each new connection goes to, and where names are asked. */
  dns: DnsPlan;
  /** A forward proxy every connection goes through (--proxy or the environment), or null. */
  proxy: ProxyPlan | null;
  /** A Unix domain socket that every connection goes to instead of the URL's host and port, or null. */
  unixSocket: string | null;
  /** Source addresses to spread new connections over (round-robin); empty = the OS picks. */
  localAddresses: string[];
  /** Open model: requests per second in total, or null for the closed model. With a ramp, its peak. */
  rate: number | null;
  /** Open model ramp: the arrival rate moves linearly from startRate through each stage's target; null = a fixed rate. */
  ramp: { startRate: number; stages: Stage[] } | null;
  /** Closed model ramp: open connections in total (over runners) move linearly from startConnections through
   *  each stage's target; null = a fixed -c. */
  connectionRamp: { startConnections: number; stages: Stage[] } | null;
  /** Start barrier: the wall-clock epoch ms at which the phase starts, or null for as soon as planned. */
  startAtEpochMs: number | null;
  /** Open model: cap on sockets (total over workers). */
  maxConnections: number | null;
  /** Page mode: paths fetched as one iteration, or null. */
  page: string[] | null;
  /** Thresholds, parsed once here before anything is sent (each keeps its expression text for reports). */
  thresholds: Threshold[];
  sampleIntervalMs: number;
  runnerIndex: number;
  runnerCount: number;
}

/** A per-connection limit: each connection draws its own uniformly in [min, max] (min === max: one value). */
export interface LimitRange {
  min: number;
  max: number;
}

/** The share of a phase one worker runs. */
export interface WorkerPlan {
  phase: PhasePlan;
  workerIndex: number;
  /** This worker's connections (closed model) or max connections (open model). */
  connections: number;
  /** This worker's request budget, or null. */
  requests: number | null;
  /** This worker's rate, or null. */
  rate: number | null;
  /** Wall-clock epoch ms at which the phase starts (same for all workers). */
  startAtEpochMs: number;
  /** The address the target name resolved to at plan time (checked reachable). */
  address: string;
  /** Someone watches the run live: each snapshot carries the latency histogram so far (for p99). */
  liveLatency: boolean;
}
