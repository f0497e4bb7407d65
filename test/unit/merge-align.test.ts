// merge aligns the runners' per-second series by wall-clock start when every result
// records it (startedAtEpochMs), and adds them second by second as before when not.
import { describe, expect, it } from 'vitest';
import { mergeResults } from '../../src/metrics/merge.js';
import type { ResultDocument, SeriesPoint } from '../../src/metrics/result.js';
import { makeResultFixture } from '../helpers/result-fixture.js';
import { assertValidResult } from '../helpers/schema.js';

const point = (t: number, requests: number): SeriesPoint => ({ t, requests, newConnections: 0, openConnections: 0, timeWait: 1, errors: 0 });

function runner(startedAtEpochMs: number | undefined, requests: number[]): ResultDocument {
  const doc = makeResultFixture();
  for (const phase of doc.phases) {
    phase.series = requests.map((n, t) => point(t, n));
    if (startedAtEpochMs === undefined) delete phase.startedAtEpochMs;
    else phase.startedAtEpochMs = startedAtEpochMs;
  }
  return doc;
}

describe('merge: series aligned by wall-clock start', () => {
  it('shifts a runner that started 2 s later by 2 seconds', () => {
    const start = Date.parse('2026-12-03T12:00:00Z');
    const merged = mergeResults([runner(start, [10, 10, 10, 10]), runner(start + 2_040, [5, 5, 5, 5])]);
    assertValidResult(merged);
    const phase = merged.phases[0]!;
    expect(phase.series.map((s) => [s.t, s.requests])).toEqual([
      [0, 10],
      [1, 10],
      [2, 15],
      [3, 15],
      [4, 5],
      [5, 5],
    ]);
    expect(phase.startedAtEpochMs).toBe(start);
  });

  it('runners that started together (--start-at) add second by second', () => {
    const start = Date.parse('2026-12-03T12:00:00Z');
    const merged = mergeResults([runner(start, [1, 2]), runner(start + 120, [3, 4])]);
    expect(merged.phases[0]!.series.map((s) => s.requests)).toEqual([4, 6]);
  });

  it('without a recorded start on every runner, series add by their own second 0 (older files)', () => {
    const merged = mergeResults([runner(Date.parse('2026-12-03T12:00:00Z'), [1, 2]), runner(undefined, [3, 4])]);
    expect(merged.phases[0]!.series.map((s) => s.requests)).toEqual([4, 6]);
    expect(merged.phases[0]!.startedAtEpochMs).toBeUndefined();
  });
});
