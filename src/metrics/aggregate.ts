// What the main thread builds from the workers' finals of a phase: their counters,
// histograms and series merged exactly, each kind its one way (merge-kinds.ts).
import { METRIC_NAMES, type MetricName } from './catalog.js';
import { mergeCounters, type Counters } from './counters.js';
import type { Histogram } from './histogram.js';
import { addBySecond, addHistograms, max, mergeWith, type MergeSpec } from './merge-kinds.js';
import type { RecorderFinal, SeriesArrays } from './recorder.js';

export interface PhaseAggregate {
  counters: Counters;
  histograms: Map<MetricName, Histogram>;
  requestsPerConnection: Histogram;
  series: SeriesArrays;
  /** counted duration (after warmup), the longest over workers */
  durationMs: number;
}

const SERIES_MERGE: MergeSpec<SeriesArrays> = {
  requests: addBySecond,
  newConnections: addBySecond,
  openConnections: addBySecond,
  errors: addBySecond,
  closedByServer: addBySecond,
  connectFailed: addBySecond,
};

/** Merges the finals of a phase's workers (none: an empty phase). */
export function aggregateFinals(finals: RecorderFinal[]): PhaseAggregate {
  const histograms = new Map<MetricName, Histogram>();
  for (const name of METRIC_NAMES) {
    const encoded = finals.map((f) => f.histograms[name]).filter((e): e is string => e !== undefined);
    if (encoded.length > 0) histograms.set(name, addHistograms(encoded));
  }
  return {
    counters: mergeCounters(finals.map((f) => f.counters)),
    histograms,
    requestsPerConnection: addHistograms(finals.map((f) => f.requestsPerConnection)),
    series: mergeWith(
      finals.map((f) => f.series),
      SERIES_MERGE,
    ),
    durationMs: max(finals.map((f) => f.countedUs / 1000)),
  };
}
