// The HTML report's connections chart draws a connection ramp's target beside the
// open connections (from the ramp the result's options echo); other phases have none.
import { describe, expect, it } from 'vitest';
import { buildChartModel, phaseEntries } from '../../src/report/html-data.js';
import { makeResultFixture } from '../helpers/result-fixture.js';

describe('HTML connections chart with a connection ramp', () => {
  it('has a dashed target line at each second of the ramp, only for the phase that ramped', () => {
    const doc = makeResultFixture();
    const ramped = doc.phases[0]!;
    ramped.options = {
      ...ramped.options,
      connectionRamp: {
        startConnections: 0,
        stages: [
          { durationMs: 4000, target: 40 },
          { durationMs: 2000, target: 40 },
          { durationMs: 4000, target: 0 },
        ],
      },
    };
    const chart = buildChartModel(phaseEntries([doc], ['r'])).timeSeries.find((c) => c.id === 'series-connections')!;
    const targets = chart.series.filter((s) => s.label.endsWith('ramp target'));
    expect(targets.map((s) => s.label)).toEqual([`${ramped.name} ramp target`]);
    expect(targets[0]).toMatchObject({ color: -1, dash: true });
    const at = (t: number): number | null => targets[0]!.values[chart.x.indexOf(t)]!;
    expect([1, 2, 4, 5, 6, 8, 9].map(at)).toEqual([10, 20, 40, 40, 40, 20, 10]);
  });

  it('draws none for results without one (older files, other phases)', () => {
    const chart = buildChartModel(phaseEntries([makeResultFixture()], ['r'])).timeSeries.find((c) => c.id === 'series-connections')!;
    expect(chart.series.some((s) => s.label.endsWith('ramp target'))).toBe(false);
  });
});
