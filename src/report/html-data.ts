// The chart data of the HTML report, computed here (not in the page) from the result
// documents: percentile curves from the decoded HDR histograms, per-second series, and the
// requests-per-connection distribution. The page only draws what this returns.
import { METRIC_NAMES, METRICS, type MetricName } from '../metrics/catalog.js';
import type { PeersSummary } from '../metrics/peers.js';
import type { PhaseResult, ResultDocument, SeriesPoint } from '../metrics/result.js';
import { decodeHdr } from './hgrm.js';

/** One phase of one document, with the name it has in legends. */
export interface PhaseEntry {
  label: string;
  doc: ResultDocument;
  phase: PhaseResult;
  /** Index into the page's colour palette: the same phase has the same colour in every chart. */
  color: number;
}

export interface ChartSeries {
  label: string;
  /** Palette index, or -1 for a limit line. */
  color: number;
  values: Array<number | null>;
  dash?: boolean;
  /** 'y2' puts the series on a second axis at the right. */
  axis?: 'y' | 'y2';
}

export interface Chart {
  id: string;
  title: string;
  /** percentile: x is 1/(1-p) on a log scale; time: x is seconds; bars: x is a category index; capacity: x is the load of `find`. */
  kind: 'percentile' | 'time' | 'bars' | 'capacity';
  /** The x axis label of a capacity chart (req/s or connections). */
  xLabel?: string;
  /** The timing metric of a percentile chart. */
  metric?: MetricName;
  yLabel: string;
  y2Label?: string;
  x: number[];
  /** Category names for kind 'bars'. */
  xLabels?: string[];
  series: ChartSeries[];
}

export interface ChartModel {
  percentiles: Chart[];
  timeSeries: Chart[];
  requestsPerConnection: Chart | null;
  /** `connload find`: latency against load. */
  capacity?: Chart | null;
}

export function phaseEntries(docs: ResultDocument[], labels: string[]): PhaseEntry[] {
  const entries: PhaseEntry[] = [];
  docs.forEach((doc, docIndex) => {
    for (const phase of doc.phases) {
      const label = docs.length > 1 ? `${labels[docIndex]} / ${phase.name}` : phase.name;
      entries.push({ label, doc, phase, color: entries.length });
    }
  });
  return entries;
}

export function buildChartModel(entries: PhaseEntry[]): ChartModel {
  return {
    percentiles: metricsPresent(entries).map((metric) => percentileChart(metric, entries)),
    timeSeries: timeSeriesCharts(entries),
    requestsPerConnection: requestsPerConnectionChart(entries),
  };
}

export function metricsPresent(entries: PhaseEntry[]): MetricName[] {
  return METRIC_NAMES.filter((metric) => entries.some((e) => (e.phase.metrics[metric]?.count ?? 0) > 0));
}

/**
 * Points of a percentile-distribution curve as HdrHistogram's plotter draws it: x = 1/(1-p)
 * at p = 1 - 10^(-k/10), while x stays below the count (beyond it the histogram has no
 * resolution), then the maximum at x = count.
 */
export function percentileCurve(hdrBase64: string, what: string): Array<[number, number]> {
  const histogram = decodeHdr(hdrBase64, what);
  const count = histogram.totalCount;
  const points: Array<[number, number]> = [];
  for (let k = 0; ; k++) {
    const x = 10 ** (k / 10);
    if (x >= count) break;
    points.push([x, histogram.getValueAtPercentile(100 * (1 - 1 / x)) / 1000]);
  }
  if (count > 0) points.push([Math.max(1, count), histogram.maxValue / 1000]);
  return points;
}

function percentileChart(metric: MetricName, entries: PhaseEntry[]): Chart {
  const curves = entries
    .filter((e) => (e.phase.metrics[metric]?.count ?? 0) > 0)
    .map((e) => ({ entry: e, points: percentileCurve(e.phase.metrics[metric]!.hdr, `phase "${e.phase.name}" metric ${metric}`) }));
  const { x, columns } = alignOnX(curves.map((c) => c.points));
  return {
    id: `percentile-${metric}`,
    title: `${metric}: ${METRICS[metric]}`,
    kind: 'percentile',
    metric,
    yLabel: 'ms',
    x,
    series: curves.map((c, i) => ({ label: c.entry.label, color: c.entry.color, values: columns[i]! })),
  };
}

function timeSeriesCharts(entries: PhaseEntry[]): Chart[] {
  const withSeries = entries.filter((e) => e.phase.series.length > 0);
  if (withSeries.length === 0) return [];
  const perSecond = (pick: (p: SeriesPoint) => number) => (e: PhaseEntry) => ratePoints(e.phase.series, pick);
  const level = (pick: (p: SeriesPoint) => number | null) => (e: PhaseEntry) => e.phase.series.map((p): [number, number | null] => [p.t, pick(p)]);

  const charts: Chart[] = [
    timeChart('series-requests', 'Requests per second', 'req/s', withSeries, [{ suffix: '', points: perSecond((p) => p.requests) }]),
    timeChart('series-connections', 'Connections: open (solid, left axis) and new per second (dashed, right axis)', 'open', withSeries, [
      { suffix: ' open', points: level((p) => p.openConnections) },
      { suffix: ' new/s', points: perSecond((p) => p.newConnections), dash: true, axis: 'y2' },
    ]),
  ];
  charts[1]!.y2Label = 'new/s';
  // A connection ramp's target beside the open connections it asked for.
  for (const e of withSeries) {
    const ramp = connectionRampOf(e.phase);
    if (ramp === null) continue;
    const chart = charts[1]!;
    chart.series.push({
      label: `${e.label} ramp target`,
      color: -1,
      dash: true,
      values: chart.x.map((t) => Math.round(rampAt(ramp, t * 1000))),
    });
  }

  const sampled = withSeries.filter((e) => e.phase.ports.supported && e.phase.series.some((p) => p.timeWait !== null));
  if (sampled.length > 0) {
    const chart = timeChart('series-timewait', 'TIME_WAIT sockets, against the usable local ports', 'sockets', sampled, [
      { suffix: '', points: level((p) => p.timeWait) },
    ]);
    const limits = usablePortLimits(sampled);
    for (const [usable, labels] of limits) {
      const owners = limits.size > 1 ? ` (${labels.join(', ')})` : '';
      chart.series.push({
        label: `usable local ports \u00d7 addresses${owners}: ${usable.toLocaleString('en-US')}`,
        color: -1,
        dash: true,
        values: chart.x.map(() => usable),
      });
    }
    charts.push(chart);
  }
  charts.push(timeChart('series-errors', 'Errors per second', 'errors/s', withSeries, [{ suffix: '', points: perSecond((p) => p.errors) }]));
  const backends = backendsChart(entries);
  if (backends !== null) charts.push(backends);
  return charts;
}

interface RampEcho {
  startConnections: number;
  stages: Array<{ durationMs: number; target: number }>;
}

/** The ramp's target `ms` into the phase: linear through each stage (plan/stages.ts; a reporter sees only the result). */
function rampAt(ramp: RampEcho, ms: number): number {
  let from = ramp.startConnections;
  let t = ms;
  for (const stage of ramp.stages) {
    if (t < stage.durationMs) return from + ((stage.target - from) * Math.max(0, t)) / stage.durationMs;
    t -= stage.durationMs;
    from = stage.target;
  }
  return from;
}

/** The connection ramp a phase ran (its options echo it), or null; a result without one, or an older one, has none. */
function connectionRampOf(phase: PhaseResult): RampEcho | null {
  const ramp = phase.options['connectionRamp'] as { startConnections?: unknown; stages?: unknown } | undefined;
  if (typeof ramp !== 'object' || ramp === null || typeof ramp.startConnections !== 'number' || !Array.isArray(ramp.stages)) return null;
  const stages = (ramp.stages as Array<{ durationMs?: unknown; target?: unknown }>).filter(
    (s): s is RampEcho['stages'][number] => typeof s === 'object' && s !== null && typeof s.durationMs === 'number' && typeof s.target === 'number',
  );
  return stages.length === ramp.stages.length ? { startConnections: ramp.startConnections, stages } : null;
}

/** The group of peers a phase shows: backends named by a header, or addresses when there were several. */
export function peersOf(phase: PhaseResult): PeersSummary | null {
  return phase.backends ?? (phase.addresses && phase.addresses.peers.length > 1 ? phase.addresses : null);
}

/** Requests per second to each backend (or address): a scale-out or a drain shows. One line per phase and
 *  backend, each in a colour of its own. */
function backendsChart(entries: PhaseEntry[]): Chart | null {
  const lines = entries.flatMap((entry) => (peersOf(entry.phase)?.peers ?? []).map((peer) => ({ entry, peer })));
  if (lines.length === 0) return null;
  const pseudo = lines.map(({ entry, peer }, i): PhaseEntry => ({
    ...entry,
    label: entries.length > 1 ? `${entry.label} ${peer.name}` : peer.name,
    color: entry.color + i,
  }));
  const bySeries = new Map(pseudo.map((p, i) => [p, lines[i]!.peer.series]));
  return timeChart('series-backends', 'Requests per second by backend', 'req/s', pseudo, [
    { suffix: '', points: (e) => (bySeries.get(e) ?? []).map((n, t): [number, number] => [t, n]) },
  ]);
}

interface SeriesSpec {
  suffix: string;
  points: (e: PhaseEntry) => Array<[number, number | null]>;
  dash?: boolean;
  axis?: 'y' | 'y2';
}

function timeChart(id: string, title: string, yLabel: string, entries: PhaseEntry[], specs: SeriesSpec[]): Chart {
  const owners = entries.flatMap((entry) => specs.map((spec) => ({ entry, spec })));
  const { x, columns } = alignOnX(owners.map(({ entry, spec }) => spec.points(entry)));
  return {
    id,
    title,
    kind: 'time',
    yLabel,
    x,
    series: owners.map(({ entry, spec }, i) => ({
      label: entry.label + spec.suffix,
      color: entry.color,
      values: columns[i]!,
      ...(spec.dash ? { dash: true } : {}),
      ...(spec.axis ? { axis: spec.axis } : {}),
    })),
  };
}

/** Counts per interval -> per second. Points are per second by design; the division keeps other intervals honest. */
function ratePoints(series: SeriesPoint[], pick: (p: SeriesPoint) => number): Array<[number, number]> {
  return series.map((point, i) => {
    const previousT = i > 0 ? series[i - 1]!.t : point.t > 0 ? 0 : point.t - 1;
    const intervalS = point.t - previousT > 0 ? point.t - previousT : 1;
    return [point.t, pick(point) / intervalS];
  });
}

/** The TIME_WAIT ceiling: (port range size) x (local addresses), one line per distinct value. */
function usablePortLimits(entries: PhaseEntry[]): Map<number, string[]> {
  const limits = new Map<number, string[]>();
  for (const e of entries) {
    const { rangeLow, rangeHigh, localAddresses } = e.phase.ports;
    if (rangeLow === null || rangeHigh === null) continue;
    const usable = (rangeHigh - rangeLow + 1) * Math.max(1, localAddresses);
    limits.set(usable, [...(limits.get(usable) ?? []), e.label]);
  }
  return limits;
}

/** Connections per requests-served bucket: 0, 1, 2, 3-4, 5-8, ... (powers of two). */
function requestsPerConnectionChart(entries: PhaseEntry[]): Chart | null {
  const withData = entries.filter((e) => e.phase.connections.requestsPerConnection.hdr !== '' && e.phase.connections.opened > 0);
  const bucketed = withData
    .map((entry) => ({ entry, buckets: powerOfTwoBuckets(entry.phase.connections.requestsPerConnection.hdr, `phase "${entry.phase.name}" requestsPerConnection`) }))
    .filter((b) => b.buckets.size > 0);
  if (bucketed.length === 0) return null;
  const lowest = Math.min(...bucketed.flatMap((b) => [...b.buckets.keys()]));
  const highest = Math.max(...bucketed.flatMap((b) => [...b.buckets.keys()]));
  const indexes = Array.from({ length: highest - lowest + 1 }, (_, i) => lowest + i);
  return {
    id: 'requests-per-connection',
    title: "Requests served per connection (share of each phase's connections)",
    kind: 'bars',
    yLabel: '% of connections',
    x: indexes.map((_, i) => i),
    xLabels: indexes.map(bucketLabel),
    // Shares, not counts: a phase with 9,000 one-request connections would flatten one with 10 long-lived ones.
    series: bucketed.map(({ entry, buckets }) => {
      const total = [...buckets.values()].reduce((a, b) => a + b, 0);
      return { label: entry.label, color: entry.color, values: indexes.map((b) => (buckets.has(b) ? (100 * buckets.get(b)!) / total : null)) };
    }),
  };
}

/** Bucket -1 holds 0 requests; bucket b >= 0 holds values in (2^(b-1), 2^b]. */
function powerOfTwoBuckets(hdrBase64: string, what: string): Map<number, number> {
  const histogram = decodeHdr(hdrBase64, what);
  const buckets = new Map<number, number>();
  const iterator = histogram.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    const value = step.valueIteratedTo;
    const bucket = value <= 0 ? -1 : Math.ceil(Math.log2(value) - 1e-9);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + step.countAtValueIteratedTo);
  }
  return buckets;
}

function bucketLabel(bucket: number): string {
  if (bucket <= 0) return String(bucket + 1);
  const high = 2 ** bucket;
  const low = 2 ** (bucket - 1) + 1;
  return low === high ? String(high) : `${low}-${high}`;
}

/** Joins curves with different x values into one x column and one value column per curve (null = no point). */
function alignOnX(curves: Array<Array<[number, number | null]>>): { x: number[]; columns: Array<Array<number | null>> } {
  const x = [...new Set(curves.flatMap((curve) => curve.map(([px]) => px)))].sort((a, b) => a - b);
  const position = new Map(x.map((value, i) => [value, i]));
  const columns = curves.map((curve) => {
    const column = new Array<number | null>(x.length).fill(null);
    for (const [px, py] of curve) column[position.get(px)!] = py;
    return column;
  });
  return { x, columns };
}
