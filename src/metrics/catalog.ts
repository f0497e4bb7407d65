// The closed catalogue of timing metrics (all durations, recorded in microseconds,
// reported in milliseconds). Order is the order of reports.

export const METRICS = {
  dns: 'name lookup, on a new connection to a host name',
  connect: 'TCP handshake: socket start (after lookup) to connected',
  tunnel: 'forward proxy: the CONNECT round trip, connected to the proxy until it answered',
  tls: 'TLS handshake: connected (or tunnelled) to secure',
  wait: 'request fully written to first response byte (server time)',
  ttfb: 'start to first response byte, connection set-up included',
  download: 'first response byte to last',
  latency: 'start to last response byte',
  page: 'start of a page iteration to its last response (page mode)',
  ttfbNew: 'ttfb of requests sent on a new connection',
  ttfbReused: 'ttfb of requests sent on a reused connection',
  latencyNew: 'latency of requests sent on a new connection',
  latencyReused: 'latency of requests sent on a reused connection',
  downloadNew: 'download of responses on a new connection (slow start shows here)',
  downloadReused: 'download of responses on a reused connection',
  latencyUncorrected: 'open model: issue to last byte, without the wait for a connection (service time)',
} as const;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Metrics shown in the main percentile table (the split ones go to JSON and HTML). */
export const PRIMARY_METRICS: MetricName[] = ['dns', 'connect', 'tunnel', 'tls', 'wait', 'ttfb', 'download', 'latency', 'page', 'latencyUncorrected'];

/** Histogram range: 1 us to 1 hour, 3 significant digits. */
export const HISTOGRAM_MAX_US = 3_600_000_000;
export const HISTOGRAM_DIGITS = 3;
