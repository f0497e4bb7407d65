// The HTML report: one self-contained file (uPlot inlined, data embedded as JSON, a CSP that
// forbids any request), from one result document or several (the `compare` command).
import type { ResultDocument } from '../metrics/result.js';
import { chartAssets } from './assets.js';
import { capacityChart, renderCapacitySection } from './html-capacity.js';
import { REPORT_SCRIPT } from './html-client.js';
import { buildChartModel, phaseEntries, type Chart, type ChartModel, type PhaseEntry } from './html-data.js';
import { escapeHtml as h, jsonForScript } from './html-escape.js';
import { renderChartFrame, renderHeader, renderNav, renderPercentileTable, renderSummaryCards } from './html-sections.js';
import { REPORT_CSS } from './html-style.js';
import { renderBackendsTables, renderConnectionsTable, renderErrorsTables, renderNotes, renderThresholds } from './html-tables.js';

export interface HtmlReportOptions {
  title?: string;
  /** One label per document (e.g. its file name), used as `<label> / <phase>` in legends. */
  labels?: string[];
  /** Sections placed before the summary (e.g. the differences of `compare`). */
  leadSections?: HtmlSection[];
}

export interface HtmlSection {
  id: string;
  title: string;
  body: string;
}

// Inline script and style only; nothing may be fetched, not even a favicon.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export function renderHtml(docs: ResultDocument[], options: HtmlReportOptions = {}): string {
  if (docs.length === 0) throw new Error('renderHtml: expected at least one result document, got none');
  const labels = docs.map((_, i) => options.labels?.[i] ?? `result ${i + 1}`);
  const entries = phaseEntries(docs, labels);
  const model = buildChartModel(entries);
  const capacity = docs.length === 1 ? (docs[0]!.capacity ?? null) : null;
  if (capacity) model.capacity = capacityChart(capacity);
  const title = options.title ?? (docs.length === 1 ? `connload: ${docs[0]!.target.url}` : `connload: comparison of ${docs.length} results`);
  const assets = chartAssets();

  const sections: HtmlSection[] = [
    ...(options.leadSections ?? []),
    ...(capacity && model.capacity ? [{ id: 'capacity', title: 'Capacity', body: renderCapacitySection(capacity, model.capacity) }] : []),
    { id: 'summary', title: 'Summary', body: renderSummaryCards(entries) },
    { id: 'percentiles', title: 'Percentiles', body: percentileSection(model, entries) },
    { id: 'timeline', title: 'Over time', body: chartGrid(model.timeSeries, 'No per-second series were recorded.') },
    { id: 'connections', title: 'Connections', body: connectionsSection(model.requestsPerConnection, entries) },
    { id: 'errors', title: 'Errors', body: renderErrorsTables(entries) },
    { id: 'thresholds', title: 'Thresholds', body: renderThresholds(entries) },
    { id: 'notes', title: 'Notes', body: renderNotes(entries) },
  ];

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${h(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="${h(docs[0]!.tool.name)} ${h(docs[0]!.tool.version)}">
<link rel="icon" href="data:,">
<title>${h(title)}</title>
<style>${assets.style}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${renderHeader(title, docs, labels)}
${renderNav(sections)}
${sections.map((s) => `<section id="${s.id}">\n<h2>${h(s.title)}</h2>\n${s.body}\n</section>`).join('\n')}
</main>
<script type="application/json" id="connload-result">${jsonForScript(docs.length === 1 ? docs[0] : docs)}</script>
<script type="application/json" id="connload-charts">${jsonForScript(model)}</script>
<script>${assets.script}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

function percentileSection(model: ChartModel, entries: PhaseEntry[]): string {
  if (model.percentiles.length === 0) return '<p class="no-data">No timings were recorded.</p>';
  const intro =
    '<p class="muted">Percentile distributions as HdrHistogram plots them: the x axis stretches the tail (90%, 99%, 99.9%...), each curve ends at its maximum.</p>';
  const figures = model.percentiles.map((chart) => renderChartFrame(chart, renderPercentileTable(chart.metric!, entries)));
  return `${intro}<div class="charts">${figures.join('\n')}</div>`;
}

function connectionsSection(requestsPerConnection: Chart | null, entries: PhaseEntry[]): string {
  const chart = requestsPerConnection ? `<div class="charts">${renderChartFrame(requestsPerConnection)}</div>` : '';
  return `${chart}${renderConnectionsTable(entries)}${renderBackendsTables(entries)}`;
}

function chartGrid(charts: Chart[], empty: string): string {
  return charts.length === 0 ? `<p class="no-data">${h(empty)}</p>` : `<div class="charts">${charts.map((c) => renderChartFrame(c)).join('\n')}</div>`;
}
