// The static parts of the HTML report above the charts: header, per-phase summary cards,
// and the chart frames (the page script draws into them). Rendered here so the page reads
// and prints even before its script runs.
import type { MetricName } from '../metrics/catalog.js';
import type { ResultDocument } from '../metrics/result.js';
import type { Chart, PhaseEntry } from './html-data.js';
import { escapeHtml as h } from './html-escape.js';
import { fmtDate, fmtInt, fmtMs, fmtNumber, fmtOption, fmtRatio, DASH } from './html-format.js';

export const PALETTE_SIZE = 8;

export function phaseColorStyle(color: number): string {
  return `--phase: var(--c${color % PALETTE_SIZE})`;
}

export function renderHeader(title: string, docs: ResultDocument[], labels: string[]): string {
  const status = docs.some((d) => d.interrupted)
    ? badge('interrupted', 'warn')
    : docs.every((d) => d.ok)
      ? badge('thresholds passed', 'ok')
      : badge('thresholds failed', 'fail');
  if (docs.length === 1) {
    const doc = docs[0]!;
    return `<header class="page-header">
<h1>${h(title)}</h1>
<p class="subtitle">${target(doc)} ${status}</p>
<p class="meta">started ${h(fmtDate(doc.startedAt))} · ${h(doc.tool.name)} ${h(doc.tool.version)} · ${fmtInt(doc.phases.length)} phase${doc.phases.length === 1 ? '' : 's'}</p>
</header>`;
  }
  const rows = docs
    .map(
      (doc, i) => `<tr><th scope="row">${h(labels[i])}</th><td>${target(doc)}</td><td>${h(fmtDate(doc.startedAt))}</td>
<td>${h(doc.tool.name)} ${h(doc.tool.version)}</td><td>${doc.interrupted ? badge('interrupted', 'warn') : doc.ok ? badge('pass', 'ok') : badge('fail', 'fail')}</td></tr>`,
    )
    .join('\n');
  return `<header class="page-header">
<h1>${h(title)}</h1>
<p class="subtitle">${fmtInt(docs.length)} results compared ${status}</p>
<div class="table-wrap"><table class="docs"><thead><tr><th>result</th><th>target</th><th>started</th><th>tool</th><th>thresholds</th></tr></thead>
<tbody>${rows}</tbody></table></div>
</header>`;
}

export function renderNav(sections: Array<{ id: string; title: string }>): string {
  return `<nav class="toc" aria-label="sections">${sections.map((s) => `<a href="#${h(s.id)}">${h(s.title)}</a>`).join('')}</nav>`;
}

export function renderSummaryCards(entries: PhaseEntry[]): string {
  return `<div class="cards">${entries.map(renderCard).join('\n')}</div>`;
}

function renderCard(entry: PhaseEntry): string {
  const { phase } = entry;
  const m = phase.metrics;
  const failed = phase.thresholds.filter((t) => !t.ok).length;
  const badges = [
    badge(phase.strategy, 'plain'),
    phase.interrupted ? badge('interrupted', 'warn') : '',
    phase.thresholds.length === 0 ? '' : failed > 0 ? badge(`${failed} threshold${failed === 1 ? '' : 's'} failed`, 'fail') : badge('thresholds passed', 'ok'),
    phase.ports.exhausted ? badge('ports exhausted', 'fail') : '',
  ].join('');
  const ports = phase.ports;
  const timeWait = ports.supported ? fmtInt(ports.timeWaitPeak) : 'not sampled';
  const stats: Array<[string, string, string?]> = [
    ['req/s', fmtNumber(phase.requests.perSecond)],
    ['completed', fmtInt(phase.requests.completed)],
    ['errors', fmtInt(phase.requests.errors), phase.requests.errors > 0 ? 'bad' : undefined],
    ['connections opened', fmtInt(phase.connections.opened)],
    ['reuse ratio', fmtRatio(phase.connections.reuseRatio)],
    ['ttfb p50 / p99', pair(m.ttfb?.p50, m.ttfb?.p99)],
    ['latency p50 / p99', pair(m.latency?.p50, m.latency?.p99)],
    ['TIME_WAIT peak', timeWait],
  ];
  const options = Object.entries(phase.options)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `<code>${h(key)}=${h(fmtOption(value))}</code>`)
    .join(' ');
  const extra = [
    `duration ${fmtNumber(phase.durationMs / 1000)} s`,
    phase.requests.retried > 0 ? `retried ${fmtInt(phase.requests.retried)}` : '',
    phase.requests.dropped > 0 ? `dropped ${fmtInt(phase.requests.dropped)}` : '',
    phase.tls ? `TLS ${h(phase.tls.version ?? DASH)} ${h(phase.tls.alpn ?? '')}` : '',
  ].filter(Boolean);
  return `<article class="card" style="${phaseColorStyle(entry.color)}">
<h3><span class="swatch" aria-hidden="true"></span>${h(entry.label)}</h3>
<p class="badges">${badges}</p>
<dl class="stats">${stats.map(([name, value, cls]) => `<div${cls ? ` class="${cls}"` : ''}><dt>${h(name)}</dt><dd>${h(value)}</dd></div>`).join('')}</dl>
<p class="meta">${extra.join(' · ')}</p>
${options ? `<p class="options">${options}</p>` : ''}
</article>`;
}

/** A chart frame: the page script finds `.plot[data-chart]` and draws the chart of that id into it. */
export function renderChartFrame(chart: Chart, below = ''): string {
  return `<figure class="chart" id="${h(chart.id)}">
<figcaption>${h(chart.title)}</figcaption>
<div class="plot" data-chart="${h(chart.id)}" role="img" aria-label="${h(chart.title)}"></div>
${below}
</figure>`;
}

/** The numbers behind a percentile chart, for reading exact values and for print. */
export function renderPercentileTable(metric: MetricName, entries: PhaseEntry[]): string {
  const rows = entries
    .filter((e) => (e.phase.metrics[metric]?.count ?? 0) > 0)
    .map((e) => {
      const s = e.phase.metrics[metric]!;
      const cells = [s.min, s.p50, s.p90, s.p99, s.p999, s.max, s.mean].map((v) => `<td>${h(fmtNumber(v))}</td>`).join('');
      return `<tr style="${phaseColorStyle(e.color)}"><th scope="row"><span class="swatch" aria-hidden="true"></span>${h(e.label)}</th><td>${fmtInt(s.count)}</td>${cells}</tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table class="numbers"><thead><tr><th>phase (ms)</th><th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

export function badge(text: string, kind: 'ok' | 'fail' | 'warn' | 'plain'): string {
  return `<span class="badge ${kind}">${h(text)}</span>`;
}

function target(doc: ResultDocument): string {
  const address = doc.target.address ? ` <span class="muted">(${h(doc.target.address)})</span>` : '';
  return `<code class="target">${h(doc.target.url)}</code>${address}`;
}

function pair(a: number | undefined, b: number | undefined): string {
  return a === undefined && b === undefined ? DASH : `${fmtNumber(a)} / ${fmtMs(b)}`;
}
