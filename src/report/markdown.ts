// A GitHub-flavoured Markdown summary, appended to $GITHUB_STEP_SUMMARY by the
// CLI when that is set. A pure function of the result document.
import { formatThresholdActual } from '../metrics/thresholds.js';
import type { MetricSummary, PhaseResult, ResultDocument } from '../metrics/result.js';

const PASS = '✅';
const FAIL = '❌';
const NONE = '–';

/** Text safe in a table cell: no cell breaks, no HTML, no accidental emphasis or links. */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

/** A code span in a table cell: only `|` needs escaping inside it (GFM splits cells first). */
function codeCell(text: string): string {
  return `\`${text.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\r?\n/g, ' ')}\``;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return NONE;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

const formatCount = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const formatPercent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

function stat(metric: MetricSummary | undefined, key: 'p50' | 'p99'): string {
  return formatMs(metric?.[key]);
}

function errorsCell(phase: PhaseResult): string {
  const { errors, completed } = phase.requests;
  if (errors === 0) return '0';
  return `${formatCount(errors)} (${formatPercent(errors / (errors + completed))})`;
}

function phaseRow(phase: PhaseResult): string {
  const m = phase.metrics;
  const name = escapeMarkdownCell(phase.name) + (phase.interrupted ? ' (interrupted)' : '');
  return (
    `| ${name} | ${phase.strategy} | ${formatCount(phase.requests.perSecond)} | ${stat(m.ttfb, 'p50')} | ${stat(m.ttfb, 'p99')} | ` +
    `${stat(m.latency, 'p50')} | ${stat(m.latency, 'p99')} | ${formatCount(phase.connections.opened)} | ` +
    `${formatPercent(phase.connections.reuseRatio)} | ${errorsCell(phase)} |`
  );
}

function heading(doc: ResultDocument): string {
  const all = doc.phases.flatMap((p) => p.thresholds);
  const failed = all.filter((t) => !t.ok).length;
  const interrupted = doc.interrupted ? ' (interrupted)' : '';
  if (all.length === 0) return `## connload: ${doc.phases.length} phase(s), no thresholds${interrupted}`;
  if (failed === 0) return `## ${PASS} connload: all ${all.length} thresholds passed${interrupted}`;
  return `## ${FAIL} connload: ${failed} of ${all.length} thresholds failed${interrupted}`;
}

function thresholdsSection(doc: ResultDocument): string[] {
  const rows = doc.phases.flatMap((phase) =>
    phase.thresholds.map(
      (t) =>
        `| ${t.ok ? PASS : FAIL} | ${escapeMarkdownCell(phase.name)} | ${codeCell(t.expression)} | ${escapeMarkdownCell(formatThresholdActual(t.expression, t.actual))} |`,
    ),
  );
  if (rows.length === 0) return [];
  return ['', '### Thresholds', '', '| | phase | threshold | actual |', '| --- | --- | --- | ---: |', ...rows];
}

/** Errors by code and the plain-language notes, per phase, when there are any. */
function findingsSection(doc: ResultDocument): string[] {
  const lines: string[] = [];
  for (const phase of doc.phases) {
    const codes = Object.entries(phase.errors)
      .filter(([, n]) => n > 0)
      .sort(([, a], [, b]) => b - a);
    if (codes.length > 0) {
      lines.push(`- **${escapeMarkdownCell(phase.name)}** errors: ${codes.map(([code, n]) => `${escapeMarkdownCell(code)} ${formatCount(n)}`).join(', ')}`);
    }
    for (const note of phase.notes) lines.push(`- **${escapeMarkdownCell(phase.name)}**: ${escapeMarkdownCell(note)}`);
  }
  return lines.length === 0 ? [] : ['', '### Findings', '', ...lines];
}

export function renderMarkdownSummary(doc: ResultDocument): string {
  return [
    heading(doc),
    '',
    `Target \`${doc.target.url.replace(/`/g, '%60')}\`, started ${doc.startedAt}.`,
    '',
    '| phase | strategy | req/s | ttfb p50 | ttfb p99 | latency p50 | latency p99 | connections opened | reuse | errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...doc.phases.map(phaseRow),
    ...thresholdsSection(doc),
    ...findingsSection(doc),
    '',
  ].join('\n');
}
