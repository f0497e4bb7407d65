// Joins the results of several runners (--runner-index i --runner-count n) into one
// document, exactly: counters are added, histograms are added bucket by bucket and
// summarized again, and thresholds are evaluated on the merged phases.
import * as hdr from 'hdr-histogram-js';
import { UsageError } from '../errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { HISTOGRAM_DIGITS, HISTOGRAM_MAX_US, METRIC_NAMES } from './catalog.js';
import { encodeHistogram } from './histogram.js';
import {
  RESULT_SCHEMA_ID,
  type ConnectionsSummary,
  type Http2Summary,
  type PhaseResult,
  type PortsSummary,
  type ResultDocument,
  type SeriesPoint,
  type TlsSummary,
} from './result.js';
import { summarizeHistogram } from './summary.js';
import { evaluateThreshold, parseThreshold } from './thresholds.js';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const nonNull = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x !== null);
const sumOrNull = (xs: Array<number | null>): number | null => (xs.some((x) => x !== null) ? sum(nonNull(xs)) : null);
const minOrNull = (xs: Array<number | null>): number | null => (nonNull(xs).length > 0 ? Math.min(...nonNull(xs)) : null);
const maxOrNull = (xs: Array<number | null>): number | null => (nonNull(xs).length > 0 ? Math.max(...nonNull(xs)) : null);
const firstNonNull = <T>(xs: Array<T | null>): T | null => xs.find((x): x is T => x !== null) ?? null;

/** Adds counts by key: `{"200": 3}` + `{"200": 1, "503": 2}`. */
function addCounts(parts: Array<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [key, n] of Object.entries(part)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** Decodes and adds encoded histograms; 64-bit buckets so that many runners' counts cannot overflow. */
function addHistograms(encoded: string[]): hdr.Histogram {
  const total = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: HISTOGRAM_DIGITS, bitBucketSize: 64 });
  for (const e of encoded) total.add(hdr.decodeFromCompressedBase64(e, 64));
  return total;
}

function mergeDistribution(parts: Array<{ max: number; hdr: string }>): { mean: number; max: number; hdr: string } {
  const h = addHistograms(parts.map((p) => p.hdr));
  return { mean: round3(h.totalCount > 0 ? h.mean : 0), max: Math.max(0, ...parts.map((p) => p.max)), hdr: encodeHistogram(h) };
}

/** What stops `docs` from being merged (different targets, phase lists or strategies); [] when they can be. */
export function mergeProblems(docs: ResultDocument[], names: string[]): string[] {
  const problems: string[] = [];
  const [first, ...rest] = docs;
  if (first === undefined) return ['no result to merge'];
  const phaseList = (d: ResultDocument): string => d.phases.map((p) => p.name).join(', ') || '(none)';
  rest.forEach((doc, i) => {
    const name = names[i + 1]!;
    if (doc.target.url !== first.target.url) problems.push(`${name}: target ${doc.target.url} differs from ${names[0]}'s ${first.target.url}`);
    if (phaseList(doc) !== phaseList(first)) {
      problems.push(`${name}: phases [${phaseList(doc)}]${doc.interrupted ? ' (interrupted)' : ''} differ from ${names[0]}'s [${phaseList(first)}]`);
      return;
    }
    doc.phases.forEach((p, j) => {
      const strategy = first.phases[j]!.strategy;
      if (p.strategy !== strategy) problems.push(`${name}: phase ${p.name} used strategy ${p.strategy}, ${names[0]} used ${strategy}`);
    });
  });
  return problems;
}

/**
 * Merges runner results into one document. Phases are matched by name, in order; `thresholds`
 * apply to every phase, on top of the ones each input carried. Throws UsageError when the inputs
 * do not belong together (see mergeProblems) or a threshold does not parse.
 */
export function mergeResults(docs: ResultDocument[], thresholds: string[] = [], names?: string[]): ResultDocument {
  const labels = names ?? docs.map((_, i) => `result ${i + 1}`);
  const problems = mergeProblems(docs, labels);
  if (problems.length > 0) throw new UsageError(`cannot merge these results:\n  ${problems.join('\n  ')}`, 'EMERGE');
  const phases = docs[0]!.phases.map((_, j) => mergePhase(docs.map((d) => d.phases[j]!), thresholds));
  const interrupted = docs.some((d) => d.interrupted);
  return {
    schema: RESULT_SCHEMA_ID,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    target: docs[0]!.target,
    startedAt: docs.map((d) => d.startedAt).sort()[0]!,
    ok: !interrupted && phases.every((p) => !p.interrupted && p.thresholds.every((t) => t.ok)),
    interrupted,
    phases,
  };
}

/** Requests on reused connections; older files only have the ratio, rounded to 3 decimals. */
function reusedOf(p: PhaseResult): { reused: number; derived: boolean } {
  if (p.requests.reused !== undefined) return { reused: p.requests.reused, derived: false };
  return { reused: Math.round(p.connections.reuseRatio * p.requests.completed), derived: true };
}

export function mergePhase(parts: PhaseResult[], extraThresholds: string[] = []): PhaseResult {
  const first = parts[0]!;
  const completed = sum(parts.map((p) => p.requests.completed));
  const reused = parts.map(reusedOf);
  const reusedTotal = sum(reused.map((r) => r.reused));
  const durationMs = Math.max(...parts.map((p) => p.durationMs));
  const metrics: PhaseResult['metrics'] = {};
  for (const name of METRIC_NAMES) {
    const present = nonNull(parts.map((p) => p.metrics[name] ?? null)).filter((m) => m.count > 0);
    if (present.length === 0) continue;
    // A decoded histogram knows min and max only to its bucket; the inputs know them exactly.
    const summary = summarizeHistogram(addHistograms(present.map((m) => m.hdr)));
    metrics[name] = { ...summary, min: Math.min(...present.map((m) => m.min)), max: Math.max(...present.map((m) => m.max)) };
  }
  const ports = mergePorts(parts.map((p) => p.ports));
  const notes = [...new Set(parts.flatMap((p) => p.notes))];
  notes.push(mergedNote(parts));
  const derived = reused.filter((r) => r.derived).length;
  if (derived > 0) {
    notes.push(`${derived} of ${parts.length} results had no requests.reused (written by an older connload): their reused requests were derived from reuseRatio x completed, rounded, so the merged reuse ratio may be off by the ratio's rounding.`);
  }
  const phase: PhaseResult = {
    name: first.name,
    strategy: first.strategy,
    options: mergeOptions(parts.map((p) => p.options)),
    durationMs,
    requests: {
      completed,
      reused: reusedTotal,
      errors: sum(parts.map((p) => p.requests.errors)),
      retried: sum(parts.map((p) => p.requests.retried)),
      dropped: sum(parts.map((p) => p.requests.dropped)),
      // The runners ran at the same time: the whole load took as long as the longest one.
      perSecond: durationMs > 0 ? round3(completed / (durationMs / 1000)) : 0,
      byStatus: addCounts(parts.map((p) => p.requests.byStatus)),
    },
    errors: addCounts(parts.map((p) => p.errors)),
    connections: mergeConnections(parts.map((p) => p.connections), completed > 0 ? round3(reusedTotal / completed) : 0),
    metrics,
    ports,
    tls: mergeTls(parts.map((p) => p.tls)),
    http2: mergeHttp2(parts.map((p) => p.http2)),
    thresholds: [],
    series: mergeSeries(parts.map((p) => p.series), ports.supported, seriesOffsets(parts)),
    notes,
    interrupted: parts.some((p) => p.interrupted),
  };
  const starts = parts.map((p) => p.startedAtEpochMs);
  if (starts.every((s) => typeof s === 'number')) phase.startedAtEpochMs = Math.min(...(starts as number[]));
  const expressions = [...new Set([...parts.flatMap((p) => p.thresholds.map((t) => t.expression)), ...extraThresholds])];
  phase.thresholds = expressions.map((e) => evaluateThreshold(parseThreshold(e), phase));
  return phase;
}

function mergedNote(parts: PhaseResult[]): string {
  const indexes = parts.map((p) => p.options.runnerIndex);
  const counts = new Set(parts.map((p) => p.options.runnerCount));
  let runners = '';
  if (indexes.every((i) => typeof i === 'number') && counts.size === 1) {
    const count = [...counts][0] as number;
    const sorted = (indexes as number[]).slice().sort((a, b) => a - b);
    const complete = sorted.length === count && sorted.every((index, k) => index === k);
    runners = complete
      ? ` (runners 0-${count - 1} of ${count})`
      : ` (runner indexes ${sorted.join(', ')} of --runner-count ${count}: some are missing or repeated, so this is not the whole load)`;
  }
  return `Merged from ${parts.length} results${runners}: counters and histograms added exactly; TIME_WAIT peaks and peak open connections added over the runners' machines.`;
}

/** The first runner's options for the whole load: runnerIndex/runnerCount become `runners`, split amounts are added back. */
function mergeOptions(all: Array<Record<string, unknown>>): Record<string, unknown> {
  const { runnerIndex: _index, runnerCount: _count, ...options } = all[0]!;
  // build-plan's runnerShare divided these among the runners.
  for (const key of ['connections', 'requests', 'rate', 'maxConnections']) {
    const values = all.map((o) => o[key]);
    if (values.every((v): v is number => typeof v === 'number')) options[key] = Math.round(sum(values) * 1e6) / 1e6;
  }
  options.runners = all.length;
  return options;
}

function mergeConnections(parts: ConnectionsSummary[], reuseRatio: number): ConnectionsSummary {
  const add = (key: 'opened' | 'failed' | 'closedByServer' | 'closedByClient' | 'resetByServer' | 'resetByClient' | 'closedByTimeout' | 'staleReuse'): number =>
    sum(parts.map((c) => c[key]));
  return {
    opened: add('opened'),
    failed: add('failed'),
    failedByCode: addCounts(parts.map((c) => c.failedByCode)),
    closedByServer: add('closedByServer'),
    closedByClient: add('closedByClient'),
    resetByServer: add('resetByServer'),
    resetByClient: add('resetByClient'),
    closedByTimeout: add('closedByTimeout'),
    reuseRatio,
    // Runners hold their connections at the same time.
    peakOpen: sum(parts.map((c) => c.peakOpen)),
    keepAliveHeader: firstNonNull(parts.map((c) => c.keepAliveHeader)),
    keepAliveMaxObserved: maxOrNull(parts.map((c) => c.keepAliveMaxObserved)),
    staleReuse: add('staleReuse'),
    requestsPerConnection: mergeDistribution(parts.map((c) => c.requestsPerConnection)),
  };
}

/**
 * Runners are different machines: each has its own local ports, so TIME_WAIT peaks and
 * sustainable rates add up (each runner's with its own hold time), while the fraction and the
 * projection are those of the runner closest to running out. A count that some runner could
 * not read is not made up.
 */
function mergePorts(parts: PortsSummary[]): PortsSummary {
  const supported = parts.every((p) => p.supported);
  const first = parts.find((p) => p.supported) ?? parts[0]!;
  const ifSupported = <T>(value: T): T | null => (supported ? value : null);
  return {
    supported,
    source: ifSupported(first.source),
    rangeLow: first.rangeLow,
    rangeHigh: first.rangeHigh,
    twReuse: first.twReuse,
    ...mergeTwReuse(parts),
    localAddresses: sum(parts.map((p) => p.localAddresses)),
    timeWaitPeak: ifSupported(sumOrNull(parts.map((p) => p.timeWaitPeak))),
    timeWaitPeakServer: ifSupported(sumOrNull(parts.map((p) => p.timeWaitPeakServer))),
    peakFraction: ifSupported(maxOrNull(parts.map((p) => p.peakFraction))),
    sustainableConnectionsPerSecond: parts.every((p) => p.sustainableConnectionsPerSecond !== null)
      ? sum(parts.map((p) => p.sustainableConnectionsPerSecond!))
      : null,
    projectedExhaustionSeconds: minOrNull(parts.map((p) => p.projectedExhaustionSeconds)),
    exhausted: parts.some((p) => p.exhausted),
    exhaustedAtSeconds: minOrNull(parts.map((p) => p.exhaustedAtSeconds)),
  };
}

/**
 * tcp_tw_reuse applies to the merged load when it applied on every runner; the hold time is the
 * longest runner's. Left out when a result was written before these fields existed.
 */
function mergeTwReuse(parts: PortsSummary[]): Pick<PortsSummary, 'twReuseApplies' | 'twReuseReason' | 'timeWaitHoldSeconds'> {
  const holds = parts.map((p) => p.timeWaitHoldSeconds);
  if (parts.some((p) => p.twReuseApplies === undefined) || !holds.every((h): h is number => h !== undefined)) return {};
  const reasons = [...new Set(nonNull(parts.map((p) => p.twReuseReason ?? null)))];
  return {
    twReuseApplies: parts.every((p) => p.twReuseApplies),
    twReuseReason: reasons.length === 0 ? null : reasons.join(' / '),
    timeWaitHoldSeconds: Math.max(...holds),
  };
}

function mergeTls(parts: Array<TlsSummary | null>): TlsSummary | null {
  const present = nonNull(parts);
  const first = present[0];
  if (first === undefined) return null;
  return {
    version: firstNonNull(present.map((t) => t.version)),
    cipher: firstNonNull(present.map((t) => t.cipher)),
    alpn: firstNonNull(present.map((t) => t.alpn)),
    resumed: sum(present.map((t) => t.resumed)),
    handshakes: sum(present.map((t) => t.handshakes)),
  };
}

function mergeHttp2(parts: Array<Http2Summary | null>): Http2Summary | null {
  const present = nonNull(parts);
  const first = present[0];
  if (first === undefined) return null;
  return {
    streamsAsked: first.streamsAsked,
    serverMaxStreams: minOrNull(present.map((h) => h.serverMaxStreams)),
    limitedByServer: present.some((h) => h.limitedByServer),
    // A per-session peak: sessions of different runners are different sessions.
    peakConcurrentStreams: Math.max(...present.map((h) => h.peakConcurrentStreams)),
    goaway: addCounts(present.map((h) => h.goaway)),
    resetStreams: addCounts(present.map((h) => h.resetStreams)),
    streamsPerSession: mergeDistribution(present.map((h) => h.streamsPerSession)),
  };
}

/** Adds the per-second points with the same `t` (each runner counts from its own start). */
/**
 * Whole seconds by which each runner's series starts after the earliest runner's, when every
 * runner's wall-clock start is known (runners without a shared --start-at start seconds apart);
 * all 0 otherwise, as in files written before the start was recorded.
 */
function seriesOffsets(parts: PhaseResult[]): number[] {
  const starts = parts.map((p) => p.startedAtEpochMs);
  if (!starts.every((s) => typeof s === 'number')) return parts.map(() => 0);
  const first = Math.min(...(starts as number[]));
  return (starts as number[]).map((s) => Math.round((s - first) / 1000));
}

function mergeSeries(parts: SeriesPoint[][], timeWaitSupported: boolean, offsets: number[]): SeriesPoint[] {
  const byT = new Map<number, SeriesPoint>();
  for (const point of parts.flatMap((series, i) => series.map((p) => ({ ...p, t: p.t + offsets[i]! })))) {
    const at = byT.get(point.t);
    if (at === undefined) {
      byT.set(point.t, { ...point, timeWait: timeWaitSupported ? point.timeWait : null });
      continue;
    }
    at.requests += point.requests;
    at.newConnections += point.newConnections;
    at.openConnections += point.openConnections;
    at.errors += point.errors;
    at.timeWait = timeWaitSupported ? sumOrNull([at.timeWait, point.timeWait]) : null;
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}
