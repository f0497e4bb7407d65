// One merge per kind: the workers' finals of a run (aggregateFinals) and runners' result
// files (mergeResults) go through the same merges, so merging workers and merging runners
// give the same counts, peaks and histograms.
import { describe, expect, it } from 'vitest';
import { aggregateFinals } from '../../src/metrics/aggregate.js';
import { mergeCounters, newCounters, type Counters } from '../../src/metrics/counters.js';
import { UsHistogram } from '../../src/metrics/histogram.js';
import { addBySecond, addCounts, addHistograms, max, maxOrNull, mergeWith, minOrNull, sumOrNull } from '../../src/metrics/merge-kinds.js';
import type { RecorderFinal } from '../../src/metrics/recorder.js';
import { summarizeHistogram } from '../../src/metrics/summary.js';

function encoded(values: number[]): string {
  const h = new UsHistogram();
  for (const v of values) h.record(v);
  return h.encode();
}

function counters(edit: (c: Counters) => void): Counters {
  const c = newCounters();
  edit(c);
  return c;
}

function final(c: Counters, ttfbUs: number[], requestsPerConnection: number[], requestsPerSecond: number[], countedUs: number): RecorderFinal {
  const rpc = new UsHistogram();
  for (const n of requestsPerConnection) rpc.recordCount(n);
  return {
    counters: c,
    histograms: ttfbUs.length > 0 ? { ttfb: encoded(ttfbUs) } : {},
    requestsPerConnection: rpc.encode(),
    series: { requests: requestsPerSecond, newConnections: [1], openConnections: [2, 2], errors: [], closedByServer: [0, 1], connectFailed: [] },
    countedUs,
  };
}

describe('merges by kind', () => {
  it('adds counters, takes the largest or smallest, keeps the first fact seen, adds counts by key and by second', () => {
    expect(sumOrNull([null, 2, null, 3])).toBe(5);
    expect(sumOrNull([null, null])).toBeNull();
    expect(max([])).toBe(0);
    expect(max([3, 9, 1])).toBe(9);
    expect(maxOrNull([null, 4, 7])).toBe(7);
    expect(minOrNull([null, 4, 2])).toBe(2);
    expect(minOrNull([])).toBeNull();
    expect(addCounts([{ '200': 3 }, { '200': 1, '503': 2 }])).toEqual({ '200': 4, '503': 2 });
    expect(addBySecond([[1, 2], [10, 20, 30], []])).toEqual([11, 22, 30]);
    expect(
      mergeWith<{ a: number; b: number | null }>(
        [
          { a: 1, b: null },
          { a: 2, b: 5 },
        ],
        { a: max, b: sumOrNull },
      ),
    ).toEqual({ a: 2, b: 5 });
  });

  it('adds histograms bucket by bucket: the merge is the histogram of every value', () => {
    const a = [100, 200, 300, 40_000];
    const b = [150, 250, 90_000];
    expect(summarizeHistogram(addHistograms([encoded(a), encoded(b)]))).toEqual(summarizeHistogram(addHistograms([encoded([...a, ...b])])));
  });

  it('merges no workers into empty counters', () => {
    expect(mergeCounters([])).toEqual(newCounters());
  });
});

describe('aggregateFinals (the workers of one run)', () => {
  const one = counters((c) => {
    c.completed = 10;
    c.reused = 8;
    c.errors = { ECONNRESET: 1 };
    c.byStatus = { '200': 10 };
    c.connections.opened = 2;
    c.connections.peakOpen = 2;
    c.connections.keepAliveMaxObserved = 5;
    c.http2.serverMaxStreams = 100;
    c.http2.peakConcurrentStreams = 4;
    c.exhaustedAtSeconds = 3.5;
  });
  const two = counters((c) => {
    c.completed = 5;
    c.reused = 4;
    c.errors = { ECONNRESET: 2, timeout: 1 };
    c.byStatus = { '200': 4, '503': 1 };
    c.connections.opened = 1;
    c.connections.peakOpen = 1;
    c.connections.keepAliveHeader = 'timeout=5, max=100';
    c.connections.keepAliveMaxObserved = 9;
    c.tls.version = 'TLSv1.3';
    c.http2.serverMaxStreams = 50;
    c.http2.peakConcurrentStreams = 3;
    c.exhaustedAtSeconds = 1.25;
  });
  const merged = aggregateFinals([final(one, [1000, 2000], [4, 6], [5, 5], 2_000_000), final(two, [3000], [5], [2, 2, 1], 2_500_000)]);

  it('adds counts and disjoint peaks, keeps per-session peaks and limits as the largest and smallest', () => {
    const c = merged.counters;
    expect([c.completed, c.reused, c.errors, c.byStatus]).toEqual([15, 12, { ECONNRESET: 3, timeout: 1 }, { '200': 14, '503': 1 }]);
    // Workers hold their connections at the same time: their peaks add.
    expect([c.connections.opened, c.connections.peakOpen]).toEqual([3, 3]);
    expect([c.connections.keepAliveHeader, c.connections.keepAliveMaxObserved, c.tls.version]).toEqual(['timeout=5, max=100', 9, 'TLSv1.3']);
    expect([c.http2.serverMaxStreams, c.http2.peakConcurrentStreams, c.exhaustedAtSeconds]).toEqual([50, 4, 1.25]);
  });

  it('adds histograms exactly, series by second, and lasts as long as the longest worker', () => {
    expect(merged.histograms.get('ttfb')!.totalCount).toBe(3);
    expect(summarizeHistogram(merged.histograms.get('ttfb')!)).toEqual(summarizeHistogram(addHistograms([encoded([1000, 2000, 3000])])));
    expect(merged.histograms.has('connect')).toBe(false);
    expect(merged.requestsPerConnection.totalCount).toBe(3);
    expect(merged.requestsPerConnection.maxValue).toBe(6);
    expect(merged.series).toEqual({ requests: [7, 7, 1], newConnections: [2], openConnections: [4, 4], errors: [], closedByServer: [0, 2], connectFailed: [] });
    expect(merged.durationMs).toBe(2500);
  });
});
