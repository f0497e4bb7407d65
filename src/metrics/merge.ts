// Joins the results of several runners (--runner-index i --runner-count n) into one
// document, exactly: each kind merges its one way (merge-kinds.ts, as for the
// workers of one run): counters are added, histograms are added bucket by bucket
// and summarized again, and thresholds are evaluated on the merged phases.
import { UsageError } from '../errors.js';
import { METRIC_NAMES } from './catalog.js';
import { CONNECTION_COUNTERS_MERGE, HTTP2_COUNTERS_MERGE, TLS_COUNTERS_MERGE } from './counters.js';
import { addCounts, addHistograms, all, any, max, maxOrNull, mergeDistribution, mergeWith, minOrNull, sum, sumOrNull, type MergeSpec } from './merge-kinds.js';
import {
  resultDocument,
  type ConnectionsSummary,
  type Http2Summary,
  type PhaseResult,
  type PortsSummary,
  type ResultDocument,
  type SeriesPoint,
  type TlsSummary,
} from './result.js';
import { mergeHeld } from './held.js';
import { mergePeers } from './peers.js';
import { connectionsSummary, summarizeHistogram } from './summary.js';
import { evaluateThresholds, parseThresholds, type Threshold } from './thresholds.js';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const nonNull = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x !== null);
/** A count every part has, added; absent when a file written before it existed lacks it. */
const sumIfAll = (xs: Array<number | undefined>): number | undefined => (xs.every((x): x is number => x !== undefined) ? sum(xs) : undefined);

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
 * (parsed by parseThresholds, or expressions parsed here the same way) apply to every phase, on
 * top of the ones each input carried. Throws UsageError when the inputs do not belong together
 * (see mergeProblems), ValidationError when an expression does not parse.
 */
export function mergeResults(docs: ResultDocument[], thresholds: Array<Threshold | string> = [], names?: string[]): ResultDocument {
  const labels = names ?? docs.map((_, i) => `result ${i + 1}`);
  const problems = mergeProblems(docs, labels);
  if (problems.length > 0) throw new UsageError(`cannot merge these results:\n  ${problems.join('\n  ')}`, 'EMERGE');
  const extra = [...thresholds.filter((t): t is Threshold => typeof t !== 'string'), ...parseThresholds(thresholds.filter((t): t is string => typeof t === 'string'))];
  const phases = docs[0]!.phases.map((_, j) =>
    mergePhase(
      docs.map((d) => d.phases[j]!),
      extra,
    ),
  );
  const interrupted = docs.some((d) => d.interrupted);
  return resultDocument(docs[0]!.target, docs.map((d) => d.startedAt).sort()[0]!, phases, interrupted);
}

/** Requests on reused connections; older files only have the ratio, rounded to 3 decimals. */
function reusedOf(p: PhaseResult): { reused: number; derived: boolean } {
  if (p.requests.reused !== undefined) return { reused: p.requests.reused, derived: false };
  return { reused: Math.round(p.connections.reuseRatio * p.requests.completed), derived: true };
}

export function mergePhase(parts: PhaseResult[], extraThresholds: Threshold[] = []): PhaseResult {
  const head = parts[0]!;
  const completed = sum(parts.map((p) => p.requests.completed));
  const reused = parts.map(reusedOf);
  const reusedTotal = sum(reused.map((r) => r.reused));
  // The runners ran at the same time: the whole load took as long as the longest one.
  const durationMs = max(parts.map((p) => p.durationMs));
  const metrics: PhaseResult['metrics'] = {};
  for (const name of METRIC_NAMES) {
    const present = nonNull(parts.map((p) => p.metrics[name] ?? null)).filter((m) => m.count > 0);
    if (present.length === 0) continue;
    // A decoded histogram knows min and max only to its bucket; the inputs know them exactly.
    const summary = summarizeHistogram(addHistograms(present.map((m) => m.hdr)));
    metrics[name] = { ...summary, min: minOrNull(present.map((m) => m.min))!, max: max(present.map((m) => m.max)) };
  }
  const ports = mergePorts(parts.map((p) => p.ports));
  const notes = [...new Set(parts.flatMap((p) => p.notes))];
  notes.push(mergedNote(parts));
  const derived = reused.filter((r) => r.derived).length;
  if (derived > 0) {
    notes.push(
      `${derived} of ${parts.length} results had no requests.reused (written by an older connload): their reused requests were derived from reuseRatio x completed, rounded, so the merged reuse ratio may be off by the ratio's rounding.`,
    );
  }
  const phase: PhaseResult = {
    name: head.name,
    strategy: head.strategy,
    options: mergeOptions(parts.map((p) => p.options)),
    durationMs,
    requests: {
      sent: sumIfAll(parts.map((p) => p.requests.sent)),
      completed,
      reused: reusedTotal,
      errors: sum(parts.map((p) => p.requests.errors)),
      retried: sum(parts.map((p) => p.requests.retried)),
      dropped: sum(parts.map((p) => p.requests.dropped)),
      unfinished: sumIfAll(parts.map((p) => p.requests.unfinished)),
      perSecond: durationMs > 0 ? round3(completed / (durationMs / 1000)) : 0,
      byStatus: addCounts(parts.map((p) => p.requests.byStatus)),
    },
    errors: addCounts(parts.map((p) => p.errors)),
    connections: mergeConnections(
      parts.map((p) => p.connections),
      completed > 0 ? round3(reusedTotal / completed) : 0,
    ),
    metrics,
    ports,
    tls: mergeTls(parts.map((p) => p.tls)),
    http2: mergeHttp2(parts.map((p) => p.http2)),
    addresses: mergePeers(parts.map((p) => p.addresses)),
    backends: mergePeers(parts.map((p) => p.backends)),
    held: mergeHeld(parts.map((p) => p.held)),
    thresholds: [],
    series: mergeSeries(
      parts.map((p) => p.series),
      ports.supported,
      seriesOffsets(parts),
    ),
    notes,
    interrupted: any(parts.map((p) => p.interrupted)),
  };
  // The inputs' thresholds are stored as expressions: parsed here as the plan parses them, once.
  const saved = [...new Set(parts.flatMap((p) => p.thresholds.map((t) => t.expression)))];
  const thresholds = [...parseThresholds(saved), ...extraThresholds];
  phase.thresholds = evaluateThresholds(
    thresholds.filter((t, i) => thresholds.findIndex((u) => u.expression === t.expression) === i),
    phase,
  );
  const starts = parts.map((p) => p.startedAtEpochMs);
  if (starts.every((s) => typeof s === 'number')) phase.startedAtEpochMs = Math.min(...(starts as number[]));
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
function mergeOptions(parts: Array<Record<string, unknown>>): Record<string, unknown> {
  const { runnerIndex: _index, runnerCount: _count, ...options } = parts[0]!;
  // build-plan's runnerShare divided these among the runners.
  for (const key of ['connections', 'requests', 'rate', 'maxConnections', 'connectRate']) {
    const values = parts.map((o) => o[key]);
    if (values.every((v): v is number => typeof v === 'number')) options[key] = Math.round(sum(values) * 1e6) / 1e6;
  }
  options.runners = parts.length;
  return options;
}

/** Counted like the workers' counters (peaks add: runners hold their connections at the same time). */
function mergeConnections(parts: ConnectionsSummary[], reuseRatio: number): ConnectionsSummary {
  const counted = mergeWith(
    parts.map((c) => ({ ...c, stoppedAtEnd: c.stoppedAtEnd ?? 0 })),
    CONNECTION_COUNTERS_MERGE,
  );
  const merged = connectionsSummary(counted, reuseRatio, mergeDistribution(parts.map((c) => c.requestsPerConnection)));
  merged.stoppedAtEnd = sumIfAll(parts.map((c) => c.stoppedAtEnd));
  return merged;
}

/**
 * Runners are different machines: each has its own local ports, so TIME_WAIT peaks and
 * sustainable rates add up (each runner's with its own hold time), while the fraction and the
 * projection are those of the runner closest to running out. A count that some runner could
 * not read is not made up.
 */
function mergePorts(parts: PortsSummary[]): PortsSummary {
  const supported = all(parts.map((p) => p.supported));
  const head = parts.find((p) => p.supported) ?? parts[0]!;
  const ifSupported = <T>(value: T): T | null => (supported ? value : null);
  return {
    supported,
    source: ifSupported(head.source),
    rangeLow: head.rangeLow,
    rangeHigh: head.rangeHigh,
    twReuse: head.twReuse,
    ...mergeTwReuse(parts),
    localAddresses: sum(parts.map((p) => p.localAddresses)),
    timeWaitPeak: ifSupported(sumOrNull(parts.map((p) => p.timeWaitPeak))),
    timeWaitPeakServer: ifSupported(sumOrNull(parts.map((p) => p.timeWaitPeakServer))),
    peakFraction: ifSupported(maxOrNull(parts.map((p) => p.peakFraction))),
    sustainableConnectionsPerSecond: parts.every((p) => p.sustainableConnectionsPerSecond !== null) ? sum(parts.map((p) => p.sustainableConnectionsPerSecond!)) : null,
    projectedExhaustionSeconds: minOrNull(parts.map((p) => p.projectedExhaustionSeconds)),
    exhausted: any(parts.map((p) => p.exhausted)),
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
    twReuseApplies: all(parts.map((p) => p.twReuseApplies === true)),
    twReuseReason: reasons.length === 0 ? null : reasons.join(' / '),
    timeWaitHoldSeconds: max(holds),
  };
}

function mergeTls(parts: Array<TlsSummary | null>): TlsSummary | null {
  const present = nonNull(parts);
  return present.length === 0 ? null : mergeWith(present, TLS_COUNTERS_MERGE);
}

/** The workers' HTTP/2 counters' merges, and what only a result has. */
const HTTP2_SUMMARY_MERGE: MergeSpec<Http2Summary> = {
  streamsAsked: (xs) => xs[0]!,
  serverMaxStreams: HTTP2_COUNTERS_MERGE.serverMaxStreams,
  limitedByServer: any,
  // A per-session peak: sessions of different runners are different sessions.
  peakConcurrentStreams: HTTP2_COUNTERS_MERGE.peakConcurrentStreams,
  goaway: HTTP2_COUNTERS_MERGE.goaway,
  resetStreams: HTTP2_COUNTERS_MERGE.resetStreams,
  streamsPerSession: mergeDistribution,
  // Absent in results written before they existed.
  serverSettings: (xs) => HTTP2_COUNTERS_MERGE.serverSettings(nonNull(xs.map((x) => x ?? null))),
  goawayLastStreamId: (xs) => HTTP2_COUNTERS_MERGE.goawayLastStreamId(xs.map((x) => x ?? null)),
  headerBytes: (xs) => HTTP2_COUNTERS_MERGE.headerBytes(nonNull(xs.map((x) => x ?? null))),
};

function mergeHttp2(parts: Array<Http2Summary | null>): Http2Summary | null {
  const present = nonNull(parts);
  return present.length === 0 ? null : mergeWith(present, HTTP2_SUMMARY_MERGE);
}

/** One second of the series: counts add, TIME_WAIT adds over the runners' machines. */
const SERIES_POINT_MERGE: MergeSpec<SeriesPoint> = {
  t: (ts) => ts[0]!,
  requests: sum,
  newConnections: sum,
  openConnections: sum,
  timeWait: sumOrNull,
  errors: sum,
  closedByServer: sumIfAll,
  connectFailed: sumIfAll,
};

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

/** Adds the per-second points with the same `t`, each runner's shifted by its offset. */
function mergeSeries(parts: SeriesPoint[][], timeWaitSupported: boolean, offsets: number[]): SeriesPoint[] {
  const byT = new Map<number, SeriesPoint[]>();
  for (const point of parts.flatMap((series, i) => series.map((p) => ({ ...p, t: p.t + offsets[i]! })))) {
    const same = byT.get(point.t);
    if (same === undefined) byT.set(point.t, [point]);
    else same.push(point);
  }
  return [...byT.values()]
    .map((points) => {
      const merged = mergeWith(points, SERIES_POINT_MERGE);
      return timeWaitSupported ? merged : { ...merged, timeWait: null };
    })
    .sort((a, b) => a.t - b.t);
}
