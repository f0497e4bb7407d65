// `.hgrm` files: HdrHistogram's percentile-distribution text, in milliseconds. They must read
// back to the percentiles of the JSON summary, and keep the exact layout of the Java original
// (which HdrHistogram's plotter parses).
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import type { MetricSummary } from '../../src/metrics/result.js';
import { hgrmFiles, parseHgrm, renderHgrm, type HgrmRow } from '../../src/report/hgrm.js';
import { makeResultFixture, metricSummaryFromValues } from '../helpers/result-fixture.js';

// Java: "%12.{d}f %2.12f %10d %14.2f" per row, the last row without the 1/(1-p) column.
function rowColumns(row: string): string[] {
  return [row.slice(0, 12), row[12]!, row.slice(13, 27), row[27]!, row.slice(28, 38), row[38] ?? '', row.slice(39)];
}
const ROW_COLUMNS = [/^ *\d+\.\d{3}$/, /^ $/, /^[01]\.\d{12}$/, /^ $/, /^ *\d+$/, /^ $/, /^ *\d+\.\d{2}$/];
const LAST_ROW_COLUMNS = [...ROW_COLUMNS.slice(0, 5), /^$/, /^$/];
const HEADER = '       Value     Percentile TotalCount 1/(1-Percentile)';
const FOOTER = [
  /^#\[Mean {4}= {0,11}\d+\.\d{3}, StdDeviation {3}= {0,11}\d+\.\d{3}\]$/,
  /^#\[Max {5}= {0,11}\d+\.\d{3}, Total count {4}= {0,11}\d+\]$/,
  /^#\[Buckets = {0,11}\d+, SubBuckets {5}= {0,11}\d+\]$/,
];

/** HDR keeps 3 significant digits: a value is within 0.1% (plus the 0.001 ms printing resolution). */
function expectWithinHdrPrecision(actualMs: number, expectedMs: number): void {
  expect(Math.abs(actualMs - expectedMs)).toBeLessThanOrEqual(expectedMs * 1e-3 + 0.0011);
}

/** The value at percentile p (0..1) read from the rows, as HdrHistogram does: the first row at or above p. */
function valueAt(rows: HgrmRow[], percentile: number): number {
  return rows.find((row) => row.percentile >= percentile - 1e-12)!.valueMs;
}

describe('renderHgrm', () => {
  const summary = makeResultFixture().phases[0]!.metrics.ttfb!;
  const text = renderHgrm(summary.hdr);
  const lines = text.split('\n');

  it('has the header, rows and footer of HdrHistogram outputPercentileDistribution', () => {
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe('');
    const footerStart = lines.findIndex((line) => line.startsWith('#['));
    const rows = lines.slice(2, footerStart);
    expect(rows.length).toBeGreaterThan(50);
    for (const row of rows.slice(0, -1)) {
      expect(row).toHaveLength(12 + 1 + 14 + 1 + 10 + 1 + 14);
      expect(
        rowColumns(row).map((column, i) => ROW_COLUMNS[i]!.test(column)),
        row,
      ).toEqual(ROW_COLUMNS.map(() => true));
    }
    const last = rows.at(-1)!;
    expect(last).toHaveLength(12 + 1 + 14 + 1 + 10);
    expect(last.slice(13, 27)).toBe('1.000000000000');
    expect(
      rowColumns(last).map((column, i) => LAST_ROW_COLUMNS[i]!.test(column)),
      last,
    ).toEqual(LAST_ROW_COLUMNS.map(() => true));
    expect(lines.slice(footerStart, footerStart + 3).map((line, i) => FOOTER[i]!.test(line))).toEqual([true, true, true]);
    expect(lines.slice(footerStart + 3)).toEqual(['']);
  });

  it('reads back to the percentiles of the JSON summary, within HDR precision', () => {
    const rows = parseHgrm(text);
    expect(rows.at(-1)).toEqual({ valueMs: expect.any(Number) as number, percentile: 1, totalCount: summary.count });
    expectWithinHdrPrecision(rows[0]!.valueMs, summary.min);
    expectWithinHdrPrecision(rows.at(-1)!.valueMs, summary.max);
    // 50% and 90% are rows of the default ticks; 95%, 99% and 99.9% fall between rows.
    expectWithinHdrPrecision(valueAt(rows, 0.5), summary.p50);
    expectWithinHdrPrecision(valueAt(rows, 0.9), summary.p90);
    for (const [percentile, expected] of [
      [0.95, summary.p95],
      [0.99, summary.p99],
      [0.999, summary.p999],
    ] as const) {
      const below = rows.filter((row) => row.percentile <= percentile).at(-1)!;
      expect(below.valueMs).toBeLessThanOrEqual(expected + 0.0011);
      expect(valueAt(rows, percentile)).toBeGreaterThanOrEqual(expected - 0.0011);
    }
    // Counts and percentiles only grow.
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i]!.totalCount).toBeGreaterThanOrEqual(rows[i - 1]!.totalCount);
      expect(rows[i]!.percentile).toBeGreaterThanOrEqual(rows[i - 1]!.percentile);
    }
  });

  it('puts the mean and total count of the histogram in the footer', () => {
    const footer = lines.filter((line) => line.startsWith('#['));
    const mean = Number(/Mean\s+=\s+([\d.]+)/.exec(footer[0]!)![1]);
    expectWithinHdrPrecision(mean, summary.mean);
    expect(Number(/Total count\s+=\s+(\d+)/.exec(footer[1]!)![1])).toBe(summary.count);
  });

  it('writes exact values in milliseconds for microsecond recordings', () => {
    const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
    for (const us of [250, 500, 750, 1000]) histogram.recordValue(us);
    const rows = parseHgrm(renderHgrm(encodeIntoCompressedBase64(histogram)));
    expect(rows[0]).toEqual({ valueMs: 0.25, percentile: 0, totalCount: 1 });
    expect(rows.find((row) => row.percentile === 0.5)).toEqual({ valueMs: 0.5, percentile: 0.5, totalCount: 2 });
    expect(rows.at(-1)).toEqual({ valueMs: 1, percentile: 1, totalCount: 4 });
  });

  it('adds rows with more ticks per half distance', () => {
    const more = parseHgrm(renderHgrm(summary.hdr, { ticksPerHalfDistance: 10 }));
    expect(more.length).toBeGreaterThan(parseHgrm(text).length);
    expect(() => renderHgrm(summary.hdr, { ticksPerHalfDistance: 0 })).toThrow(/ticksPerHalfDistance: expected a positive integer/);
  });

  it('names a broken encoding', () => {
    expect(() => renderHgrm('not an hdr histogram')).toThrow(/expected a compressed base64 HdrHistogram/);
  });
});

describe('parseHgrm', () => {
  it('reads a file written by Java HdrHistogram', () => {
    const java = [
      '       Value     Percentile TotalCount 1/(1-Percentile)',
      '',
      '       0.016 0.000000000000          1           1.00',
      '       0.980 0.100000000000      47530           1.11',
      '    9428.991 1.000000000000     475109',
      '#[Mean    =       25.048, StdDeviation   =      120.097]',
      '#[Max     =     9420.800, Total count    =       475109]',
      '#[Buckets =           27, SubBuckets     =         2048]',
      '',
    ].join('\n');
    expect(parseHgrm(java)).toEqual([
      { valueMs: 0.016, percentile: 0, totalCount: 1 },
      { valueMs: 0.98, percentile: 0.1, totalCount: 47530 },
      { valueMs: 9428.991, percentile: 1, totalCount: 475109 },
    ]);
  });

  it('names the line it cannot read', () => {
    expect(() => parseHgrm('       Value     Percentile TotalCount 1/(1-Percentile)\n\n  0.5 oops 3 1.00\n')).toThrow(/hgrm line 3: expected/);
  });
});

describe('hgrmFiles', () => {
  it('writes one file per phase and metric with values, with safe names', () => {
    const doc = makeResultFixture();
    doc.phases[1]!.name = '../persistent keep-alive';
    const empty: MetricSummary = { ...metricSummaryFromValues([]), count: 0 };
    doc.phases[1]!.metrics.page = empty;
    const files = hgrmFiles(doc);
    const expected = doc.phases.flatMap((p) => Object.entries(p.metrics).filter(([, m]) => m.count > 0)).length;
    expect(files).toHaveLength(expected);
    expect(files.map((f) => f.name)).toContain('new-connection.ttfb.hgrm');
    expect(files.map((f) => f.name)).toContain('persistent_keep-alive.latencyReused.hgrm');
    expect(files.map((f) => f.name)).not.toContain('persistent_keep-alive.page.hgrm');
    for (const file of files) {
      expect(file.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*\.[A-Za-z]+\.hgrm$/);
      expect(file.content.startsWith('       Value     Percentile')).toBe(true);
    }
  });

  it('keeps names apart when two phase names clean up to the same one', () => {
    const doc = makeResultFixture();
    doc.phases[0]!.name = 'a b';
    doc.phases[1]!.name = 'a/b';
    const names = hgrmFiles(doc).map((f) => f.name);
    expect(names).toContain('a_b.ttfb.hgrm');
    expect(names).toContain('a_b-2.ttfb.hgrm');
    expect(new Set(names).size).toBe(names.length);
  });
});
