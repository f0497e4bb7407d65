import { describe, expect, it } from 'vitest';
import { escapeMarkdownCell, renderMarkdownSummary } from '../../src/report/markdown.js';
import { phaseResult, resultDocument } from './thresholds-fixture.js';

describe('renderMarkdownSummary', () => {
  const gate = phaseResult({
    name: 'gate',
    thresholds: [
      { expression: 'ttfb.p99 < 2s', ok: true, actual: 990.2 },
      { expression: 'errors.rate < 0.1%', ok: false, actual: 0.01 },
    ],
    notes: ['ran out of local ports after 3.2 s'],
  });
  const clean = phaseResult({
    name: 'clean',
    strategy: 'new-connection',
    requests: { completed: 2000, errors: 0, retried: 0, dropped: 0, perSecond: 812, byStatus: { '200': 2000 } },
    errors: {},
    metrics: {},
    connections: { ...gate.connections, opened: 2000, reuseRatio: 0 },
    thresholds: [{ expression: 'errors == 0', ok: true, actual: 0 }],
  });

  it('summarizes phases, thresholds and findings', () => {
    const text = renderMarkdownSummary(resultDocument([gate, clean]));
    const lines = text.split('\n');
    expect(lines[0]).toBe('## ❌ connload: 1 of 3 thresholds failed');
    expect(lines).toContain('Target `http://127.0.0.1:8080/`, started 2024-01-01T00:00:00.000Z.');
    expect(lines).toContain('| phase | strategy | req/s | ttfb p50 | ttfb p99 | latency p50 | latency p99 | connections opened | reuse | errors |');
    const ttfb = gate.metrics.ttfb!;
    const latency = gate.metrics.latency!;
    expect(lines).toContain(
      `| gate | persistent | 1,234.5 | ${ttfb.p50.toFixed(0)} ms | ${ttfb.p99.toFixed(0)} ms | ${latency.p50.toFixed(0)} ms | ${latency.p99.toFixed(0)} ms | 4 | 99.6% | 10 (1.0%) |`,
    );
    expect(lines).toContain('| clean | new-connection | 812 | – | – | – | – | 2,000 | 0.0% | 0 |');
    const thresholds = lines.slice(lines.indexOf('### Thresholds'));
    expect(thresholds.slice(0, 7)).toEqual([
      '### Thresholds',
      '',
      '| | phase | threshold | actual |',
      '| --- | --- | --- | ---: |',
      '| ✅ | gate | `ttfb.p99 < 2s` | 0.99s |',
      '| ❌ | gate | `errors.rate < 0.1%` | 1% |',
      '| ✅ | clean | `errors == 0` | 0 |',
    ]);
    expect(lines).toContain('- **gate** errors: ECONNRESET 7, timeout 3');
    expect(lines).toContain('- **gate**: ran out of local ports after 3.2 s');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('says when everything passed, or when there were no thresholds', () => {
    expect(renderMarkdownSummary(resultDocument([clean])).split('\n')[0]).toBe('## ✅ connload: all 1 thresholds passed');
    const none = renderMarkdownSummary(resultDocument([{ ...clean, thresholds: [] }]));
    expect(none.split('\n')[0]).toBe('## connload: 1 phase(s), no thresholds');
    expect(none).not.toContain('### Thresholds');
    expect(none).not.toContain('### Findings');
  });

  it('marks interrupted runs and phases', () => {
    const doc = { ...resultDocument([{ ...clean, interrupted: true }]), interrupted: true };
    const text = renderMarkdownSummary(doc);
    expect(text.split('\n')[0]).toBe('## ✅ connload: all 1 thresholds passed (interrupted)');
    expect(text).toContain('| clean (interrupted) | new-connection |');
  });

  it('keeps table cells intact whatever the names contain', () => {
    expect(escapeMarkdownCell('a|b <script> *x* [l](u)\nz')).toBe('a\\|b &lt;script&gt; \\*x\\* \\[l\\](u) z');
    const text = renderMarkdownSummary(resultDocument([{ ...clean, name: 'a|b' }]));
    expect(text).toContain('| a\\|b | new-connection |');
    const row = text.split('\n').find((l) => l.startsWith('| a'))!;
    expect(row.split(/(?<!\\)\|/).length - 2).toBe(10);
  });
});
