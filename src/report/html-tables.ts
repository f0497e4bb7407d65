// The tables of the HTML report below the charts: connections and ports, errors by code,
// responses by status, thresholds, notes. Phases are columns so results compare side by side.
import { isDurationMetric } from '../metrics/catalog.js';
import { describeTwReuse } from '../metrics/ports.js';
import { describeHeaderCompression, describeSettings } from '../metrics/summary.js';
import type { PhaseResult } from '../metrics/result.js';
import { peersOf, type PhaseEntry } from './html-data.js';
import { escapeHtml as h } from './html-escape.js';
import { fmtInt, fmtMs, fmtNumber, fmtRatio, DASH } from './html-format.js';
import { badge, phaseColorStyle } from './html-sections.js';

type Row = [name: string, value: (phase: PhaseResult) => string];

const CONNECTION_ROWS: Row[] = [
  ['opened', (p) => fmtInt(p.connections.opened)],
  ['failed to open', (p) => withCodes(p.connections.failed, p.connections.failedByCode)],
  ['closed by server (FIN)', (p) => fmtInt(p.connections.closedByServer)],
  ['closed by client', (p) => fmtInt(p.connections.closedByClient)],
  ['reset by server', (p) => fmtInt(p.connections.resetByServer)],
  ['reset by client', (p) => fmtInt(p.connections.resetByClient)],
  ['closed by timeout', (p) => fmtInt(p.connections.closedByTimeout)],
  ['peak open', (p) => fmtInt(p.connections.peakOpen)],
  ['reuse ratio', (p) => fmtRatio(p.connections.reuseRatio)],
  ['requests per connection: mean / max', (p) => `${fmtNumber(p.connections.requestsPerConnection.mean)} / ${fmtInt(p.connections.requestsPerConnection.max)}`],
  ['Keep-Alive header', (p) => p.connections.keepAliveHeader ?? DASH],
  ['Keep-Alive max observed', (p) => fmtInt(p.connections.keepAliveMaxObserved)],
  ['stale reuse failures', (p) => fmtInt(p.connections.staleReuse)],
];

const PORT_ROWS: Row[] = [
  ['sampled from', (p) => (p.ports.supported ? (p.ports.source ?? 'yes') : 'unsupported here')],
  [
    'local port range',
    (p) =>
      p.ports.rangeLow === null || p.ports.rangeHigh === null ? DASH : `${p.ports.rangeLow}-${p.ports.rangeHigh} (${fmtInt(p.ports.rangeHigh - p.ports.rangeLow + 1)})`,
  ],
  ['tcp_tw_reuse', (p) => (p.ports.twReuse === null ? DASH : describeTwReuse(p.ports))],
  ['local addresses', (p) => fmtInt(p.ports.localAddresses)],
  ['TIME_WAIT peak (client side)', (p) => fmtInt(p.ports.timeWaitPeak)],
  ['TIME_WAIT peak (server side)', (p) => fmtInt(p.ports.timeWaitPeakServer)],
  ['peak fraction of usable 4-tuples', (p) => fmtRatio(p.ports.peakFraction)],
  ['sustainable new connections/s', (p) => fmtNumber(p.ports.sustainableConnectionsPerSecond)],
  ['projected exhaustion in', (p) => (p.ports.projectedExhaustionSeconds === null ? DASH : `${fmtNumber(p.ports.projectedExhaustionSeconds)} s`)],
  ['ran out of ports', (p) => (p.ports.exhausted ? `yes, at ${fmtNumber(p.ports.exhaustedAtSeconds)} s` : 'no')],
];

const TLS_ROWS: Row[] = [
  ['TLS version', (p) => p.tls?.version ?? DASH],
  ['cipher', (p) => p.tls?.cipher ?? DASH],
  ['ALPN', (p) => p.tls?.alpn ?? DASH],
  ['handshakes / resumed', (p) => (p.tls ? `${fmtInt(p.tls.handshakes)} / ${fmtInt(p.tls.resumed)}` : DASH)],
];

const HTTP2_ROWS: Row[] = [
  ['streams asked / server max', (p) => (p.http2 ? `${fmtInt(p.http2.streamsAsked)} / ${fmtInt(p.http2.serverMaxStreams)}` : DASH)],
  ['peak concurrent streams', (p) => fmtInt(p.http2?.peakConcurrentStreams)],
  ['GOAWAY received', (p) => (p.http2 ? codes(p.http2.goaway) : DASH)],
  ['streams reset', (p) => (p.http2 ? codes(p.http2.resetStreams) : DASH)],
  ['GOAWAY last stream id', (p) => fmtInt(p.http2?.goawayLastStreamId ?? undefined)],
  ['HPACK size of plain headers', (p) => (p.http2 ? (describeHeaderCompression(p.http2) ?? DASH) : DASH)],
  ['server SETTINGS', (p) => (p.http2 ? (describeSettings(p.http2) ?? DASH) : DASH)],
];

export function renderConnectionsTable(entries: PhaseEntry[]): string {
  const groups: Array<[string, Row[]]> = [
    ['Connections', CONNECTION_ROWS],
    ['Local ports and TIME_WAIT', PORT_ROWS],
  ];
  if (entries.some((e) => e.phase.tls)) groups.push(['TLS', TLS_ROWS]);
  if (entries.some((e) => e.phase.http2)) groups.push(['HTTP/2', HTTP2_ROWS]);
  const body = groups
    .map(
      ([title, rows]) =>
        `<tr class="group"><th colspan="${entries.length + 1}">${h(title)}</th></tr>` +
        rows.map(([name, value]) => `<tr><th scope="row">${h(name)}</th>${entries.map((e) => `<td>${h(value(e.phase))}</td>`).join('')}</tr>`).join(''),
    )
    .join('');
  return phaseColumnsTable(entries, body);
}

/** Connections, requests and share per backend (or address), and the skew, for each phase that has them. */
export function renderBackendsTables(entries: PhaseEntry[]): string {
  const tables = entries.flatMap((e) => {
    const group = peersOf(e.phase);
    if (group === null) return [];
    const by = group.by === 'address' ? 'address' : `backend (${group.by})`;
    const rows = group.peers
      .map((p) => `<tr><th scope="row">${h(p.name)}</th><td>${fmtInt(p.connections)}</td><td>${fmtInt(p.requests)}</td><td>${(p.share * 100).toFixed(1)}%</td></tr>`)
      .join('');
    return [
      `<h3 style="${phaseColorStyle(e.color)}"><span class="swatch" aria-hidden="true"></span>${h(e.label)}: skew ${group.skew.toFixed(2)}</h3>` +
        `<div class="table-wrap"><table class="numbers"><thead><tr><th>${h(by)}</th><th>connections</th><th>requests</th><th>share</th></tr></thead><tbody>${rows}</tbody></table></div>`,
    ];
  });
  return tables.join('');
}

export function renderErrorsTables(entries: PhaseEntry[]): string {
  const errorCodes = unionKeys(entries.map((e) => e.phase.errors));
  const errors =
    errorCodes.length === 0
      ? '<p class="muted">No errors.</p>'
      : phaseColumnsTable(
          entries,
          errorCodes.map((code) => `<tr><th scope="row"><code>${h(code)}</code></th>${entries.map((e) => countCell(e.phase.errors[code], true)).join('')}</tr>`).join(''),
        );
  const statuses = unionKeys(entries.map((e) => e.phase.requests.byStatus)).sort();
  const byStatus =
    statuses.length === 0
      ? ''
      : `<h3>Responses by status</h3>` +
        phaseColumnsTable(
          entries,
          statuses
            .map(
              (status) => `<tr><th scope="row">${h(status)}</th>${entries.map((e) => countCell(e.phase.requests.byStatus[status], Number(status) >= 400)).join('')}</tr>`,
            )
            .join(''),
        );
  return `<h3>Errors by code</h3>${errors}${byStatus}`;
}

export function renderThresholds(entries: PhaseEntry[]): string {
  const rows = entries.flatMap((e) =>
    e.phase.thresholds.map(
      (t) => `<tr style="${phaseColorStyle(e.color)}"><th scope="row"><span class="swatch" aria-hidden="true"></span>${h(e.label)}</th>
<td><code>${h(t.expression)}</code></td><td>${h(fmtActual(t.expression, t.actual))}</td><td>${t.ok ? badge('pass', 'ok') : badge('fail', 'fail')}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '<p class="muted">No thresholds were set.</p>';
  return `<div class="table-wrap"><table class="numbers thresholds"><thead><tr><th>phase</th><th>threshold</th><th>actual</th><th>result</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function renderNotes(entries: PhaseEntry[]): string {
  const items = entries.flatMap((e) => {
    const notes = [...e.phase.notes];
    if (e.phase.interrupted) notes.push('The phase was interrupted: its numbers cover only the part that ran.');
    return notes.map((note) => `<li style="${phaseColorStyle(e.color)}"><span class="swatch" aria-hidden="true"></span><strong>${h(e.label)}:</strong> ${h(note)}</li>`);
  });
  return items.length === 0 ? '<p class="muted">No notes.</p>' : `<ul class="notes">${items.join('')}</ul>`;
}

function phaseColumnsTable(entries: PhaseEntry[], body: string): string {
  const head = entries.map((e) => `<th style="${phaseColorStyle(e.color)}"><span class="swatch" aria-hidden="true"></span>${h(e.label)}</th>`).join('');
  return `<div class="table-wrap"><table class="numbers by-phase"><thead><tr><th></th>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function countCell(count: number | undefined, bad: boolean): string {
  return `<td${bad && (count ?? 0) > 0 ? ' class="bad"' : ''}>${fmtInt(count ?? 0)}</td>`;
}

function withCodes(total: number, byCode: Record<string, number>): string {
  const listed = codes(byCode);
  return listed === DASH ? fmtInt(total) : `${fmtInt(total)} (${listed})`;
}

function codes(byCode: Record<string, number>): string {
  const entries = Object.entries(byCode);
  return entries.length === 0 ? DASH : entries.map(([code, n]) => `${code} ${fmtInt(n)}`).join(', ');
}

function unionKeys(records: Array<Record<string, number>>): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))];
}

/** Thresholds on timing metrics (`ttfb.p99 < 50ms`) have actuals in ms, like the document; others are shown as given. */
function fmtActual(expression: string, actual: number | null): string {
  if (actual === null) return DASH;
  const metric = /^([A-Za-z]+)[.\s<>=!]/.exec(expression.trim())?.[1];
  return metric !== undefined && isDurationMetric(metric) ? fmtMs(actual) : fmtNumber(actual);
}
