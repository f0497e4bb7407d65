// Terminal tables: a pure function from the result document to text.
import type { ChalkInstance } from 'chalk';
import { PRIMARY_METRICS, SPLIT_TABLE_METRICS } from '../metrics/catalog.js';
import { describeTwReuse } from '../metrics/ports.js';
import { describeHeaderCompression, describeSettings } from '../metrics/summary.js';
import type { PeersSummary } from '../metrics/peers.js';
import { describeHeldCloses, describeHeldFailures, formatIntervalMs } from '../metrics/held.js';
import type { HeldSummary, PhaseResult, ResultDocument } from '../metrics/result.js';
import { formatThresholdActual } from '../metrics/thresholds.js';
import { fmtInt, fmtMs, fmtRatio, makeChalk, table } from './style.js';

export interface TableOptions {
  colorLevel: 0 | 1 | 2 | 3;
  /** only the comparison of phases (the demo) */
  comparisonOnly?: boolean;
}

export function renderTables(doc: ResultDocument, options: TableOptions): string {
  const c = makeChalk(options.colorLevel);
  const parts: string[] = [];
  parts.push(c.bold(`connload ${doc.tool.version}  ${doc.target.url}${doc.target.address ? `  (${doc.target.address})` : ''}`));
  if (options.comparisonOnly) return `${parts[0]}\n${renderComparison(doc.phases, c)}\n`;
  for (const phase of doc.phases) parts.push(renderPhase(phase, c));
  if (doc.phases.length > 1) parts.push(c.bold('Comparison') + '\n' + renderComparison(doc.phases, c));
  if (doc.interrupted) parts.push(c.yellow('Interrupted: the numbers above cover the part of the run that was done.'));
  return parts.join('\n\n') + '\n';
}

function renderPhase(p: PhaseResult, c: ChalkInstance): string {
  const out: string[] = [];
  const seconds = (p.durationMs / 1000).toFixed(1);
  out.push(c.bold.cyan(`Phase ${p.name}`) + c.dim(`  ${p.strategy}, ${seconds}s${p.interrupted ? ', interrupted' : ''}`));

  const summary = table(['requests', 'req/s', 'errors', 'retried', 'dropped', 'status'], c);
  const statuses =
    Object.entries(p.requests.byStatus)
      .map(([s, n]) => `${s}: ${fmtInt(n)}`)
      .join(', ') || '-';
  summary.push([
    fmtInt(p.requests.completed),
    fmtInt(p.requests.perSecond),
    colorCount(p.requests.errors, c),
    fmtInt(p.requests.retried),
    fmtInt(p.requests.dropped),
    statuses,
  ]);
  out.push(summary.toString());

  const metrics = PRIMARY_METRICS.filter((m) => p.metrics[m] !== undefined);
  if (metrics.length > 0) {
    const t = table(['metric', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean'], c);
    for (const m of metrics) {
      const s = p.metrics[m]!;
      t.push([m, fmtInt(s.count), fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.p999), fmtMs(s.max), fmtMs(s.mean)]);
    }
    const split = SPLIT_TABLE_METRICS.filter((m) => p.metrics[m] !== undefined);
    for (const m of split) {
      const s = p.metrics[m]!;
      t.push([c.dim(m), fmtInt(s.count), fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.p999), fmtMs(s.max), fmtMs(s.mean)]);
    }
    out.push(t.toString());
  }

  const k = p.connections;
  const conn = table(['connections', 'value'], c);
  conn.push(['opened', fmtInt(k.opened)]);
  if (k.failed > 0) conn.push(['failed to open', `${fmtInt(k.failed)} (${codes(k.failedByCode)})`]);
  conn.push(['closed by server (FIN)', fmtInt(k.closedByServer)]);
  conn.push(['closed by client', fmtInt(k.closedByClient)]);
  if (k.resetByServer > 0) conn.push(['reset by server', fmtInt(k.resetByServer)]);
  if (k.resetByClient > 0) conn.push(['reset by client', fmtInt(k.resetByClient)]);
  if (k.closedByTimeout > 0) conn.push(['closed by timeout', fmtInt(k.closedByTimeout)]);
  conn.push(['reuse ratio', fmtRatio(k.reuseRatio)]);
  conn.push(['requests per connection', `mean ${fmtRatio(k.requestsPerConnection.mean)}, max ${fmtInt(k.requestsPerConnection.max)}`]);
  conn.push(['peak open', fmtInt(k.peakOpen)]);
  if (k.keepAliveHeader !== null) conn.push(['Keep-Alive header', k.keepAliveHeader]);
  if (k.staleReuse > 0) conn.push(['stale reuse (retried)', fmtInt(k.staleReuse)]);
  if (p.http2 !== null) {
    const h2 = p.http2;
    conn.push([
      'HTTP/2 streams asked / server max',
      `${h2.streamsAsked} / ${h2.serverMaxStreams ?? '-'}${h2.limitedByServer ? c.yellow(' (limited by the server)') : ''}`,
    ]);
    conn.push(['peak concurrent streams', fmtInt(h2.peakConcurrentStreams)]);
    conn.push(['streams per session', `mean ${fmtRatio(h2.streamsPerSession.mean)}, max ${fmtInt(h2.streamsPerSession.max)}`]);
    if (Object.keys(h2.goaway).length > 0) conn.push(['GOAWAY received', codes(h2.goaway)]);
    if (Object.keys(h2.resetStreams).length > 0) conn.push(['streams reset (RST_STREAM)', codes(h2.resetStreams)]);
    if (h2.goawayLastStreamId !== undefined && h2.goawayLastStreamId !== null) conn.push(['GOAWAY last stream id', fmtInt(h2.goawayLastStreamId)]);
    const compression = describeHeaderCompression(h2);
    if (compression !== null) conn.push(['HPACK size of plain headers', compression]);
    const settings = describeSettings(h2);
    if (settings !== null) conn.push(['server SETTINGS', settings]);
  }
  if (p.tls !== null)
    conn.push(['TLS', [p.tls.version, p.tls.cipher, p.tls.alpn && `ALPN ${p.tls.alpn}`, `${p.tls.resumed}/${p.tls.handshakes} resumed`].filter(Boolean).join(', ')]);
  out.push(conn.toString());
  if (p.held) out.push(renderHeld(p.held, c));

  // Where the load went: backends named by a header, or addresses when there were several.
  const peers = p.backends ?? (p.addresses && p.addresses.peers.length > 1 ? p.addresses : null);
  if (peers) out.push(renderPeers(peers, c));

  if (Object.keys(p.errors).length > 0) {
    const e = table(['error', 'count'], c);
    for (const [code, n] of Object.entries(p.errors).sort((a, b) => b[1] - a[1])) e.push([c.red(code), fmtInt(n)]);
    out.push(e.toString());
  }

  out.push(renderPorts(p, c));

  if (p.thresholds.length > 0) {
    const t = table(['threshold', 'actual', 'result'], c);
    for (const th of p.thresholds) t.push([th.expression, formatThresholdActual(th.expression, th.actual), th.ok ? c.green('pass') : c.red('FAIL')]);
    out.push(t.toString());
  }
  for (const note of p.notes) out.push(c.yellow(`! ${note}`));
  return out.join('\n');
}

function renderPeers(group: PeersSummary, c: ChalkInstance): string {
  const t = table([group.by === 'address' ? 'address' : `backend (${group.by})`, 'connections', 'requests', 'share'], c);
  for (const peer of group.peers) t.push([peer.name, fmtInt(peer.connections), fmtInt(peer.requests), `${(peer.share * 100).toFixed(1)}%`]);
  const even = group.skew <= 1.2;
  t.push([c.dim('skew (largest share / mean)'), '', '', even ? group.skew.toFixed(2) : c.yellow(group.skew.toFixed(2))]);
  return t.toString();
}

/** Held connections (--interval): how many the server kept, closed and refused, and when. */
function renderHeld(h: HeldSummary, c: ChalkInstance): string {
  const t = table(['held connections', 'value'], c);
  t.push(['asked', `${fmtInt(h.connections)}, a request every ${formatIntervalMs(h.intervalMs)} on each`]);
  t.push(['peak open', h.peakOpen < h.connections ? c.yellow(fmtInt(h.peakOpen)) : fmtInt(h.peakOpen)]);
  t.push(['open at the end (kept)', h.openAtEnd < h.connections ? c.yellow(fmtInt(h.openAtEnd)) : fmtInt(h.openAtEnd)]);
  t.push(['closed by the server', h.closedByServer > 0 ? c.yellow(describeHeldCloses(h)) : '0']);
  t.push(['connects failed', Object.keys(h.failed).length > 0 ? c.red(describeHeldFailures(h)) : '0']);
  if (h.late > 0 || h.skipped > 0) t.push(['late requests / skipped slots', `${fmtInt(h.late)} / ${fmtInt(h.skipped)}`]);
  return t.toString();
}

function renderPorts(p: PhaseResult, c: ChalkInstance): string {
  const ports = p.ports;
  if (!ports.supported) return c.dim('local ports: TIME_WAIT sampling is not supported on this system');
  const t = table(['local ports', 'value'], c);
  t.push(['port range', ports.rangeLow === null ? '-' : `${ports.rangeLow}-${ports.rangeHigh} (${fmtInt(ports.rangeHigh! - ports.rangeLow! + 1)})`]);
  t.push(['local addresses', fmtInt(ports.localAddresses)]);
  t.push(['tcp_tw_reuse', describeTwReuse(ports)]);
  t.push(['TIME_WAIT peak (client)', fmtInt(ports.timeWaitPeak)]);
  if (ports.timeWaitPeakServer !== null) t.push(['TIME_WAIT peak (server, same host)', fmtInt(ports.timeWaitPeakServer)]);
  t.push(['peak fraction of 4-tuples', ports.peakFraction === null ? '-' : `${(ports.peakFraction * 100).toFixed(1)}%`]);
  // Only connections the client closes first take a port; each for timeWaitHoldSeconds (older results lack it).
  const hold =
    ports.sustainableConnectionsPerSecond !== null && ports.timeWaitHoldSeconds !== undefined ? ` (client closing first; port held ${ports.timeWaitHoldSeconds} s)` : '';
  t.push(['sustainable new connections/s', `${fmtInt(ports.sustainableConnectionsPerSecond)}${hold}`]);
  t.push(['projected exhaustion', ports.projectedExhaustionSeconds === null ? '-' : `${ports.projectedExhaustionSeconds.toFixed(0)}s`]);
  t.push(['exhausted', ports.exhausted ? c.red(`yes, at ${ports.exhaustedAtSeconds?.toFixed(1)}s`) : 'no']);
  return t.toString();
}

export function renderComparison(phases: PhaseResult[], c: ChalkInstance, labels?: string[]): string {
  const t = table(['phase', 'strategy', 'req/s', 'conns opened', 'reuse', 'connect p50', 'ttfb p50', 'ttfb p99', 'latency p99', 'errors'], c, ['left', 'left']);
  phases.forEach((p, i) => {
    const m = p.metrics;
    t.push([
      labels?.[i] ?? p.name,
      p.strategy,
      fmtInt(p.requests.perSecond),
      fmtInt(p.connections.opened),
      fmtRatio(p.connections.reuseRatio),
      fmtMs(m.connect?.p50),
      fmtMs(m.ttfb?.p50),
      fmtMs(m.ttfb?.p99),
      fmtMs(m.latency?.p99),
      colorCount(p.requests.errors, c),
    ]);
  });
  return t.toString();
}

function codes(byCode: Record<string, number>): string {
  return Object.entries(byCode)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

function colorCount(n: number, c: ChalkInstance): string {
  return n > 0 ? c.red(fmtInt(n)) : fmtInt(n);
}
