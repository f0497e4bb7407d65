// Run options as a user gives them, on the command line or in a scenario phase
// (same names, camelCase). Raw values: buildPlan validates and resolves them.
import type { StrategyName } from './types.js';
import type { ClosePolicy } from '../transport/close-policy.js';
import type { StageInput } from './stages.js';

export interface RunOptionsInput {
  strategy?: StrategyName;
  /** -c, connections in total */
  connections?: number;
  /** "10s", "500ms", or a number of seconds */
  duration?: string | number;
  requests?: number;
  warmup?: string | number;
  method?: string;
  /** "Name: value" strings (CLI -H) or an object (scenario) */
  headers?: string[] | Record<string, string>;
  body?: string;
  bodyFile?: string;
  workers?: number;
  depth?: number;
  streams?: number;
  /** 100, or a range "80-120": each connection draws its own limit in it */
  maxRequestsPerConnection?: number | string;
  /** "30s", or a range "20s-40s": each connection draws its own limit in it */
  maxConnectionAge?: string | number;
  /** new connections per second, for every strategy */
  connectRate?: number;
  /** the client closes a pooled connection idle this long */
  idleTimeout?: string | number;
  /** held connections: each connection sends a request this often ("10s"), on its own schedule */
  interval?: string | number;
  close?: ClosePolicy;
  nodelay?: boolean;
  splitWrites?: boolean;
  connectTimeout?: string | number;
  timeout?: string | number;
  insecure?: boolean;
  /** path of a PEM file with a private CA */
  ca?: string;
  servername?: string;
  tlsSessionReuse?: boolean;
  /** which address of the name each new connection goes to: first (the system's, looked up per connection), round-robin, random */
  dns?: string;
  /** re-resolve the name during the run this often */
  dnsRefresh?: string | number;
  /** host:port:addr[,addr] pins, as curl's --resolve (repeatable) */
  resolve?: string | string[];
  /** a DNS server asked directly instead of the system's resolver: addr[:port] */
  dnsServer?: string;
  /** the response header that names the backend that answered (X-Served-By) */
  backendHeader?: string;
  /** forward proxy, http://[user:pass@]host:port (else HTTP_PROXY / HTTPS_PROXY, unless NO_PROXY) */
  proxy?: string;
  /** path of a Unix domain socket to send the URL's requests over */
  unixSocket?: string;
  /** list ("127.0.0.2,127.0.0.3"), range ("127.0.0.2-127.0.0.9") or CIDR ("127.0.0.0/29") */
  localAddress?: string | string[];
  /** open model: requests per second in total */
  rate?: number;
  maxConnections?: number;
  /** page mode: paths fetched as one iteration ("/index.html,/a.png" or an array) */
  page?: string | string[];
  sampleInterval?: string | number;
  runnerIndex?: number;
  runnerCount?: number;
  /** open model ramp: "30s:2000,60s:2000,10s:0" (CLI --stage) or [{duration, target}] (scenario) */
  stages?: string | string[] | StageInput[];
  /** closed model ramp of open connections, written like stages (CLI --stage-connections) */
  connectionStages?: string | string[] | StageInput[];
  /** start barrier: ISO time or epoch ms at which the phase starts (runners on many machines start together) */
  startAt?: string | number;
  /** thresholds for this phase (CLI --threshold) */
  threshold?: string[];
}

/** Every option key, for "unknown key" checks and the scenario schema. */
export const RUN_OPTION_KEYS = [
  'strategy',
  'connections',
  'duration',
  'requests',
  'warmup',
  'method',
  'headers',
  'body',
  'bodyFile',
  'workers',
  'depth',
  'streams',
  'maxRequestsPerConnection',
  'maxConnectionAge',
  'idleTimeout',
  'connectRate',
  'interval',
  'close',
  'nodelay',
  'splitWrites',
  'connectTimeout',
  'timeout',
  'insecure',
  'ca',
  'servername',
  'tlsSessionReuse',
  'backendHeader',
  'dns',
  'dnsRefresh',
  'resolve',
  'dnsServer',
  'proxy',
  'unixSocket',
  'localAddress',
  'rate',
  'maxConnections',
  'page',
  'sampleInterval',
  'runnerIndex',
  'runnerCount',
  'threshold',
  'stages',
  'connectionStages',
  'startAt',
] as const satisfies ReadonlyArray<keyof RunOptionsInput>;

export const RUN_DEFAULTS = {
  strategy: 'persistent' as StrategyName,
  connections: 10,
  durationMs: 10_000,
  warmupMs: 0,
  method: 'GET',
  workers: 1,
  depth: 10,
  streams: 100,
  close: 'server' as ClosePolicy,
  nodelay: true,
  connectTimeoutMs: 10_000,
  timeoutMs: 30_000,
  sampleIntervalMs: 500,
};
