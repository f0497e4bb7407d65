// The closed catalogue of metrics: name, kind, unit, and how each is read from a
// phase result. Thresholds parse and evaluate through it, the tables pick their
// rows from it, and merging adds each kind its one way (metrics/merge-kinds.ts).
import { DURATION_METRICS, METRIC_NAMES, type MetricName } from './durations.js';
import type { MetricSummary, PhaseResult } from './result.js';

export { DURATION_METRICS, METRIC_NAMES, type DurationMetric, type MetricName, type TableRow } from './durations.js';
export { HISTOGRAM_DIGITS, HISTOGRAM_MAX_US } from './histogram.js';

/**
 * - duration: an HDR histogram of microseconds, reported in ms (merged by adding buckets);
 * - count: a counter (merged by adding);
 * - rate: a count over the phase's duration;
 * - ratio: a fraction of two counters (thresholds take `%`);
 * - gauge: the peak of a sampled level (TIME_WAIT entries, a share of the 4-tuples);
 * - flag: 0 or 1.
 */
export type MetricKind = 'duration' | 'count' | 'rate' | 'ratio' | 'gauge' | 'flag';
export type MetricUnit = 'ms' | 'requests' | 'connections' | 'requests/s' | 'connections/s' | 'fraction' | 'entries' | 'times the mean' | 'yes/no';

/** name -> description of the timing metrics. */
export const METRICS = Object.fromEntries(METRIC_NAMES.map((n) => [n, DURATION_METRICS[n].description])) as Record<MetricName, string>;

/** Metrics shown as rows of the main percentile table (the split ones go to JSON and HTML). */
export const PRIMARY_METRICS: MetricName[] = METRIC_NAMES.filter((n) => DURATION_METRICS[n].table === 'row');
/** Shown dimmed under the main ones, when present. */
export const SPLIT_TABLE_METRICS: MetricName[] = METRIC_NAMES.filter((n) => DURATION_METRICS[n].table === 'dim-row');

export const isDurationMetric = (name: string): name is MetricName => Object.hasOwn(DURATION_METRICS, name);

/** A timing metric's summary in a phase, or null when it was not measured. */
export function readDuration(phase: PhaseResult, name: MetricName): MetricSummary | null {
  return phase.metrics[name] ?? null;
}

/** A metric with one number per phase (what thresholds like `reuse >= 95%` compare). */
export interface ValueMetric {
  kind: Exclude<MetricKind, 'duration'>;
  unit: Exclude<MetricUnit, 'ms'>;
  description: string;
  /** The value in the phase result, or null when not measured. */
  read: (phase: PhaseResult) => number | null;
}

const attempted = (p: PhaseResult): number => p.requests.completed + p.requests.errors;

export const VALUE_METRICS: Record<string, ValueMetric> = {
  rps: { kind: 'rate', unit: 'requests/s', description: 'completed requests per second', read: (p) => p.requests.perSecond },
  requests: { kind: 'count', unit: 'requests', description: 'completed requests', read: (p) => p.requests.completed },
  'requests.completed': { kind: 'count', unit: 'requests', description: 'completed requests', read: (p) => p.requests.completed },
  errors: { kind: 'count', unit: 'requests', description: 'requests that failed', read: (p) => p.requests.errors },
  'errors.rate': {
    kind: 'ratio',
    unit: 'fraction',
    description: 'errors / (completed + errors)',
    read: (p) => (attempted(p) > 0 ? p.requests.errors / attempted(p) : null),
  },
  reuse: { kind: 'ratio', unit: 'fraction', description: 'requests on reused connections / completed', read: (p) => p.connections.reuseRatio },
  'connections.opened': { kind: 'count', unit: 'connections', description: 'connections opened', read: (p) => p.connections.opened },
  'connections.failed': { kind: 'count', unit: 'connections', description: 'connections that failed to open', read: (p) => p.connections.failed },
  'connections.perSecond': {
    kind: 'rate',
    unit: 'connections/s',
    description: 'connections opened per second of the phase',
    read: (p) => (p.durationMs > 0 ? p.connections.opened / (p.durationMs / 1000) : null),
  },
  retried: { kind: 'count', unit: 'requests', description: 'requests sent again after a close', read: (p) => p.requests.retried },
  dropped: { kind: 'count', unit: 'requests', description: 'open model: requests that missed their slot', read: (p) => p.requests.dropped },
  'timewait.peak': { kind: 'gauge', unit: 'entries', description: 'client-side TIME_WAIT entries at peak', read: (p) => p.ports.timeWaitPeak },
  'ports.peakFraction': { kind: 'ratio', unit: 'fraction', description: 'peak TIME_WAIT / usable 4-tuples', read: (p) => p.ports.peakFraction },
  'backend.skew': {
    kind: 'gauge',
    unit: 'times the mean',
    description: 'largest backend share over the mean share (1: even); by --backend-header, else by address',
    read: (p) => (p.backends ?? p.addresses)?.skew ?? null,
  },
  'ports.exhausted': { kind: 'flag', unit: 'yes/no', description: 'the client ran out of local ports', read: (p) => (p.ports.exhausted ? 1 : 0) },
  // Held connections (--interval): not measured without it.
  'held.peakOpen': { kind: 'gauge', unit: 'connections', description: '--interval: most connections open at once', read: (p) => p.held?.peakOpen ?? null },
  'held.openAtEnd': { kind: 'gauge', unit: 'connections', description: '--interval: connections the server kept to the end', read: (p) => p.held?.openAtEnd ?? null },
  'held.closedByServer': {
    kind: 'count',
    unit: 'connections',
    description: '--interval: connections the server closed (FIN or RST)',
    read: (p) => p.held?.closedByServer ?? null,
  },
};

const ERROR_CODE_RE = /^[A-Za-z][\w-]*$/;

/** `errors.<code>`: a code that never happened counts 0, it is not "absent". Null when `code` cannot be one. */
export function errorCodeMetric(code: string): ValueMetric | null {
  // A near miss of "rate" is a typo, not an error code nobody has seen.
  if (/^(rat|rates|ratio|Rate)$/.test(code) || !ERROR_CODE_RE.test(code)) return null;
  return {
    kind: 'count',
    unit: 'requests',
    description: `requests that failed with ${code}`,
    read: (p) => (Object.hasOwn(p.errors, code) ? p.errors[code]! : 0),
  };
}

/** A non-timing metric by its full name (`reuse`, `connections.opened`, `errors.ECONNRESET`), or null. */
export function valueMetric(name: string): ValueMetric | null {
  if (Object.hasOwn(VALUE_METRICS, name)) return VALUE_METRICS[name]!;
  const code = /^errors\.(.+)$/.exec(name)?.[1];
  return code === undefined ? null : errorCodeMetric(code);
}
