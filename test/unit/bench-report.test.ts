// The bench's arithmetic (test/bench/report.mjs): a ratio is taken round by round, between the runs of
// the same round, and the median of those is the ratio; its spread is reported beside it.
import { describe, expect, it } from 'vitest';
import { formatMarkdown, summarizeScenario as summarizeUntyped } from '../bench/report.mjs';

/** What these tests read of report.mjs's scenario (plain JavaScript: its types are inferred as any). */
interface Ratio {
  name: string;
  value: number | null;
  rounds: number[];
  met: boolean | null;
}
const summarizeScenario = summarizeUntyped as (scenario: unknown, runsByKey: unknown) => { ratios: Ratio[] };

const run = (value: number, cpuPerRequestUs: number | null = null) => ({ value, rps: value, cpuPerRequestUs, errors: 0, peakFds: 0 });

const scenario = {
  id: 's',
  title: 'persistent',
  metric: 'rps',
  entries: [
    { key: 'connload', tool: 'connload' },
    { key: 'node-loop', tool: 'node-loop', label: 'floor' },
  ],
  ratios: [
    { of: 'connload', to: 'node-loop', atLeast: 0.9 },
    { of: 'connload', to: 'node-loop', field: 'cpuPerRequestUs' },
  ],
};

describe('bench ratios', () => {
  it('takes each round against its own round, where the ratio of the medians would mix rounds the machine ran at different speeds', () => {
    // The machine slows down over the rounds; connload is 0.95x the floor in each.
    const doc = summarizeScenario(scenario, {
      connload: [run(95_000, 10), run(76_000, 12.5), run(57_000, 16)],
      'node-loop': [run(100_000, 9.5), run(80_000, 12), run(60_000, 15)],
    });
    const [throughput, cpu] = doc.ratios as [Ratio, Ratio];
    expect(throughput.value).toBeCloseTo(0.95, 6);
    expect(throughput.met).toBe(true);
    expect(throughput.rounds).toHaveLength(3);
    expect(cpu.name).toBe('connload / floor (CPU per request)');
    expect(cpu.value).toBeCloseTo(10 / 9.5, 6); // the middle of 10/9.5, 12.5/12 and 16/15
    expect(formatMarkdown({ scenarios: [doc] })).toContain('connload / floor: **0.95x** (>= 0.9x, met, 0.95x-0.95x over 3 rounds)');
  });

  it('leaves out a round where either run failed, and has no ratio when none is left', () => {
    const failed = { value: null, failure: 'exit 1' };
    const doc = summarizeScenario(scenario, {
      connload: [run(90_000), failed, run(80_000)],
      'node-loop': [run(100_000), run(100_000), failed],
    });
    expect(doc.ratios[0]!.rounds).toEqual([0.9]);
    expect(doc.ratios[0]!.value).toBeCloseTo(0.9, 6);
    const none = summarizeScenario(scenario, { connload: [failed], 'node-loop': [run(1)] });
    expect(none.ratios[0]!.value).toBeNull();
    expect(none.ratios[0]!.met).toBeNull();
  });
});
