// Thresholds: `<metric>[.<stat>] <op> <value>[unit]`, parsed once, in the plan, before
// anything is sent (a bad one is exit 2), and evaluated on a phase's result afterwards.
// What a metric is (its kind, its unit, where it is read) comes from the catalogue.
import { UsageError, ValidationError } from '../errors.js';
import { isDurationMetric, METRIC_NAMES, readDuration, VALUE_METRICS, valueMetric } from './catalog.js';
import { decodeHistogram } from './histogram.js';
import type { MetricSummary, PhaseResult, ThresholdResult } from './result.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type ThresholdUnit = 'us' | 'ms' | 's' | '%';

export interface Threshold {
  expression: string;
  /** The part before the first dot: `ttfb`, `errors`, `connections`, `rps`. */
  metric: string;
  /** The rest: `p99`, `p99.9`, `rate`, `ECONNRESET`, `opened`; null when absent. */
  stat: string | null;
  op: ThresholdOp;
  /** Normalized: milliseconds for durations, a fraction for %, plain otherwise. */
  value: number;
  /** The unit as written, for showing the actual value the same way; null when none. */
  unit: ThresholdUnit | null;
}

const GRAMMAR = 'expected <metric>[.<stat>] <op> <value>[unit], e.g. "ttfb.p99 < 50ms"';
const EXPRESSION_RE = /^\s*([A-Za-z][\w-]*)(?:\.([\w.-]+))?\s*(<=|>=|==|!=|<|>)\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|ms|s|%)?\s*$/;

const SUMMARY_STATS = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max', 'count'] as const;
type SummaryStat = (typeof SUMMARY_STATS)[number];
/** Percentiles the summary already holds, so no histogram has to be decoded. */
const SUMMARY_PERCENTILES: Record<string, SummaryStat> = { '50': 'p50', '90': 'p90', '95': 'p95', '99': 'p99', '99.9': 'p999' };
const TIMING_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function fail(expression: string, problem: string): never {
  throw new UsageError(`"${expression}": ${problem}`, 'ETHRESHOLD');
}

/** `errors.rate, reuse and ports.peakFraction`: the ratios of the catalogue. */
function ratioNames(): string {
  const names = Object.keys(VALUE_METRICS).filter((n) => VALUE_METRICS[n]!.kind === 'ratio');
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');
}

function knownMetricsText(): string {
  return `timing metrics ${METRIC_NAMES.join(', ')} (with .${SUMMARY_STATS.join('/.')} or .pNN); ` + `others ${Object.keys(VALUE_METRICS).join(', ')}, errors.<code>`;
}

/** Parses one threshold expression; throws UsageError naming it and what was expected. */
export function parseThreshold(expression: string): Threshold {
  const m = EXPRESSION_RE.exec(expression);
  if (!m) throw new UsageError(`"${expression}" is not a threshold: ${GRAMMAR}`, 'ETHRESHOLD');
  const [, metric = '', stat, opText, number] = m;
  const op = opText as ThresholdOp;
  const unit = m[5] as ThresholdUnit | undefined;
  const written = Number(number);
  const base = { expression, metric, stat: stat ?? null, op, unit: unit ?? null };
  if (isDurationMetric(metric)) return { ...base, value: timingValue(expression, metric, stat, written, unit) };
  return { ...base, value: counterValue(expression, metric, stat, written, unit) };
}

function timingValue(expression: string, metric: string, stat: string | undefined, written: number, unit: ThresholdUnit | undefined): number {
  if (stat === undefined) fail(expression, `${metric} needs a stat: one of ${SUMMARY_STATS.join(', ')} or pNN, e.g. "${metric}.p99 < 50ms"`);
  if (stat === 'count') {
    if (unit !== undefined) fail(expression, `${metric}.count is a number of requests, not ${unit}`);
    return written;
  }
  if (!(SUMMARY_STATS as readonly string[]).includes(stat) && percentileOf(stat) === null) {
    fail(expression, `unknown stat "${stat}" for ${metric}: expected one of ${SUMMARY_STATS.join(', ')} or a percentile pNN / pNN.N (0 < NN <= 100)`);
  }
  if (unit === '%') fail(expression, `${metric}.${stat} is a duration: use us, ms or s (default ms)`);
  return written * TIMING_UNITS_MS[unit ?? 'ms']!;
}

function counterValue(expression: string, metric: string, stat: string | undefined, written: number, unit: ThresholdUnit | undefined): number {
  const name = stat === undefined ? metric : `${metric}.${stat}`;
  const counter = valueMetric(name);
  if (!counter) {
    const hint = suggestMetric(name);
    const known = Object.keys(VALUE_METRICS).some((k) => k.split('.')[0] === metric);
    fail(expression, `unknown metric "${known ? name : metric}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${knownMetricsText()}`);
  }
  if (unit === '%') {
    if (counter.kind !== 'ratio') fail(expression, `${name} is not a ratio: "%" only applies to ${ratioNames()}`);
    return written / 100;
  }
  if (unit !== undefined) fail(expression, `${name} is not a duration: write a plain number${counter.kind === 'ratio' ? ' or a percentage' : ''}`);
  if (counter.kind === 'flag' && written !== 0 && written !== 1) fail(expression, `${name} is 0 (no) or 1 (yes)`);
  return written;
}

/** The known metric sharing the longest prefix (3+ characters) with the one written. */
function suggestMetric(name: string): string | null {
  if (/^errors\./.test(name)) return 'errors.rate';
  const written = name.toLowerCase();
  let best: string | null = null;
  let bestShared = 2;
  for (const candidate of [...METRIC_NAMES, ...Object.keys(VALUE_METRICS)]) {
    const c = candidate.toLowerCase();
    let shared = 0;
    while (shared < c.length && c[shared] === written[shared]) shared++;
    if (shared > bestShared) {
      best = candidate;
      bestShared = shared;
    }
  }
  return best;
}

/** `p75` -> 75, `p99.99` -> 99.99; null when not a percentile in (0, 100]. */
function percentileOf(stat: string): number | null {
  const m = /^p(\d{1,3}(?:\.\d+)?)$/.exec(stat);
  if (!m) return null;
  const p = Number(m[1]);
  return p > 0 && p <= 100 ? p : null;
}

/** Parses every expression; all problems are reported at once. */
export function parseThresholds(expressions: string[]): Threshold[] {
  const parsed: Threshold[] = [];
  const problems: string[] = [];
  for (const expression of expressions) {
    try {
      parsed.push(parseThreshold(expression));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new ValidationError('invalid thresholds', problems);
  return parsed;
}

/** The actual value in the threshold's normalized unit (ms, fraction, plain), or null when not measured. */
export function thresholdActual(t: Threshold, phase: PhaseResult): number | null {
  if (!isDurationMetric(t.metric)) {
    const name = t.stat === null ? t.metric : `${t.metric}.${t.stat}`;
    return valueMetric(name)?.read(phase) ?? null;
  }
  const summary = readDuration(phase, t.metric);
  if (!summary || t.stat === null) return null;
  if ((SUMMARY_STATS as readonly string[]).includes(t.stat)) return summary[t.stat as SummaryStat];
  const percentile = percentileOf(t.stat);
  if (percentile === null) return null;
  const inSummary = SUMMARY_PERCENTILES[String(percentile)];
  return inSummary ? summary[inSummary] : percentileFromHdr(summary, percentile);
}

function percentileFromHdr(summary: MetricSummary, percentile: number): number | null {
  if (summary.count === 0 || !summary.hdr) return null;
  try {
    // 64-bit buckets: counts never overflow whatever the producer used.
    const histogram = decodeHistogram(summary.hdr, 64);
    const us = histogram.getValueAtPercentile(percentile);
    histogram.destroy();
    return us / 1000;
  } catch {
    return null;
  }
}

function compare(actual: number, op: ThresholdOp, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** ok is false when the metric was not measured (actual null). */
export function evaluateThreshold(t: Threshold, phase: PhaseResult): ThresholdResult {
  const actual = thresholdActual(t, phase);
  return { expression: t.expression, ok: actual !== null && compare(actual, t.op, t.value), actual };
}

export function evaluateThresholds(thresholds: Threshold[], phase: PhaseResult): ThresholdResult[] {
  return thresholds.map((t) => evaluateThreshold(t, phase));
}

/** `phase: expression (actual value)` for each threshold that failed, in phase order. */
export function thresholdFailures(phases: PhaseResult[]): string[] {
  return phases.flatMap((p) => p.thresholds.filter((t) => !t.ok).map((t) => `${p.name}: ${t.expression} (actual ${formatThresholdActual(t.expression, t.actual)})`));
}

/** A normalized value (actual or limit) shown in the unit the expression was written with. */
export function formatThresholdValue(t: Threshold, normalized: number): string {
  if (t.unit === '%') return `${formatNumber(normalized * 100)}%`;
  if (isDurationMetric(t.metric) && t.stat !== 'count') {
    const unit = t.unit ?? 'ms';
    return `${formatNumber(normalized / TIMING_UNITS_MS[unit]!)}${unit}`;
  }
  return formatNumber(normalized);
}

/** Like formatThresholdValue, from the expression text (as stored in a result document). */
export function formatThresholdActual(expression: string, actual: number | null): string {
  if (actual === null) return 'not measured';
  try {
    return formatThresholdValue(parseThreshold(expression), actual);
  } catch {
    return formatNumber(actual);
  }
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return String(Number(abs >= 1 ? n.toFixed(digits) : n.toPrecision(digits)));
}
