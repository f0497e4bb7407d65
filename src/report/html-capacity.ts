// The capacity curve of `connload find` in the HTML report: latency p50/p99 against the load
// (errors on a second axis), the bound of the latency threshold as a line, and the steps as a table.
import type { CapacityResult } from '../metrics/result.js';
import { formatThresholdActual } from '../metrics/thresholds.js';
import type { Chart } from './html-data.js';
import { escapeHtml as h } from './html-escape.js';
import { fmtInt, fmtMs } from './html-format.js';
import { badge, renderChartFrame } from './html-sections.js';
import { loadUnit as unitOf } from './capacity.js';

/** The bound of a latency threshold on the plotted metric ("latency.p99 < 50ms" -> 50), if there is one. */
function latencyBoundMs(expression: string): { stat: string; ms: number } | null {
  const m = /^\s*latency\.(p50|p99)\s*<=?\s*(\d+(?:\.\d+)?)\s*(us|ms|s)?\s*$/.exec(expression);
  if (!m) return null;
  const factor = m[3] === 's' ? 1000 : m[3] === 'us' ? 0.001 : 1;
  return { stat: m[1]!, ms: Number(m[2]) * factor };
}

export function capacityChart(capacity: CapacityResult): Chart {
  const x = capacity.curve.map((p) => p.load);
  const chart: Chart = {
    id: 'capacity-curve',
    title: `Capacity curve: latency against ${unitOf(capacity.by)} (errors % on the right axis)`,
    kind: 'capacity',
    xLabel: unitOf(capacity.by),
    yLabel: 'milliseconds',
    y2Label: 'errors %',
    x,
    series: [
      { label: 'latency p50', color: 0, values: capacity.curve.map((p) => p.latencyP50Ms) },
      { label: 'latency p99', color: 1, values: capacity.curve.map((p) => p.latencyP99Ms) },
      { label: 'errors %', color: 3, dash: true, axis: 'y2', values: capacity.curve.map((p) => p.errorRate * 100) },
    ],
  };
  for (const expression of capacity.thresholds) {
    const bound = latencyBoundMs(expression);
    if (bound) chart.series.push({ label: `threshold ${expression}`, color: -1, dash: true, values: x.map(() => bound.ms) });
  }
  return chart;
}

export function renderCapacitySection(capacity: CapacityResult, chart: Chart): string {
  const unit = unitOf(capacity.by);
  const failed = capacity.curve.find((p) => p.load === capacity.failedAt);
  const verdict =
    capacity.value === null
      ? `<p>${badge('no capacity', 'fail')} Even the first step, ${h(fmtInt(capacity.curve[0]?.load))} ${unit}, failed.</p>`
      : `<p>${badge('capacity', 'ok')} <strong>${h(fmtInt(capacity.value))} ${unit}</strong>: the highest load at which every threshold held` +
        (failed?.failedThreshold
          ? `; it first failed at ${h(fmtInt(failed.load))} ${unit} on <code>${h(failed.failedThreshold)}</code> (actual ${h(formatThresholdActual(failed.failedThreshold, failed.failedActual))}).</p>`
          : '; no step failed.</p>');
  const how =
    '<p class="muted">Read the curve from the left: latency stays flat while the server keeps up, and bends upwards at the knee, where requests start to queue. ' +
    'The capacity is the last load before the bend crosses a threshold; the gap to the first failing load is the precision of the search. ' +
    'Errors, new connections and TIME_WAIT in the table say whether the connection layer, not the request rate, is what breaks first.</p>';
  const rows = capacity.curve
    .map(
      (p) =>
        `<tr><th scope="row">${h(fmtInt(p.load))}</th><td>${p.ok ? badge('pass', 'ok') : badge('fail', 'fail')}</td><td>${h(fmtInt(p.requestsPerSecond))}</td>` +
        `<td>${h(fmtMs(p.latencyP50Ms))}</td><td>${h(fmtMs(p.latencyP99Ms))}</td><td>${h(fmtInt(p.errors))}</td><td>${h(fmtInt(p.connectionsOpened))}${p.connectionsPerSecond === undefined ? '' : ` (${h(fmtInt(p.connectionsPerSecond))}/s)`}</td>` +
        `<td>${h(p.timeWaitPeak === null ? '-' : fmtInt(p.timeWaitPeak))}</td><td>${p.failedThreshold ? `<code>${h(p.failedThreshold)}</code>` : ''}</td></tr>`,
    )
    .join('');
  const table = `<div class="table-wrap"><table class="numbers capacity"><thead><tr><th>${unit}</th><th>result</th><th>req/s</th><th>p50</th><th>p99</th><th>errors</th><th>connections opened</th><th>TIME_WAIT peak</th><th>failed threshold</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return `${verdict}${how}<div class="charts">${renderChartFrame(chart, table)}</div>`;
}
