// The timing metrics by name, each recorded in microseconds and reported in
// milliseconds: the names the result, the catalogue (catalog.ts) and the
// histograms share. Order is the order of reports.

/** Where a duration shows in the terminal tables: a row, a dimmed row under them, or only in JSON, HTML and hgrm. */
export type TableRow = 'row' | 'dim-row' | null;

export interface DurationMetric {
  kind: 'duration';
  unit: 'ms';
  description: string;
  table: TableRow;
}

const duration = (description: string, table: TableRow = 'row'): DurationMetric => ({ kind: 'duration', unit: 'ms', description, table });

/** Timing metrics (recorded in microseconds, reported in milliseconds). Order is the order of reports. */
export const DURATION_METRICS = {
  dns: duration('name lookup, on a new connection to a host name'),
  connect: duration('TCP handshake: socket start (after lookup) to connected'),
  tunnel: duration('forward proxy: the CONNECT round trip, connected to the proxy until it answered'),
  tls: duration('TLS handshake: connected (or tunnelled) to secure'),
  wait: duration('request fully written to first response byte (server time)'),
  ttfb: duration('start to first response byte, connection set-up included'),
  download: duration('first response byte to last'),
  latency: duration('start to last response byte'),
  page: duration('start of a page iteration to its last response (page mode)'),
  ttfbNew: duration('ttfb of requests sent on a new connection', 'dim-row'),
  ttfbReused: duration('ttfb of requests sent on a reused connection', 'dim-row'),
  latencyNew: duration('latency of requests sent on a new connection', null),
  latencyReused: duration('latency of requests sent on a reused connection', null),
  downloadNew: duration('download of responses on a new connection (slow start shows here)', null),
  downloadReused: duration('download of responses on a reused connection', null),
  flowControlWait: duration("HTTP/2: how long a request body waited for the server's flow-control window (streams that waited)"),
  idleBeforeFailure: duration('keep-alive race: how long a reused connection had been idle when a request that got no answer on it was written'),
  rtt: duration('HTTP/2: the round trip of PING frames on each session under load (one as it opens, then about one a second)'),
  latencyUncorrected: duration('open model and --interval: issue to last byte, without the wait for a connection or for the previous response (service time)'),
} satisfies Record<string, DurationMetric>;

export type MetricName = keyof typeof DURATION_METRICS;
export const METRIC_NAMES = Object.keys(DURATION_METRICS) as MetricName[];
