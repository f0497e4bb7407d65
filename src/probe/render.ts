// The probe as terminal tables: a pure function from the result to text.
import type { ChalkInstance } from 'chalk';
import { fmtMs, makeChalk, table } from '../report/style.js';
import type { CheckName, ProbeChecks, ProbeResult, Verdict } from './types.js';

export interface ProbeRenderOptions {
  colorLevel: 0 | 1 | 2 | 3;
  /** terminal width; the evidence column is wrapped to fit (default 100) */
  columns?: number;
}

const LABELS: Record<CheckName, string> = {
  http11: 'HTTP/1.1',
  http10: 'HTTP/1.0',
  h2: 'h2 (TLS, ALPN)',
  h2c: 'h2c (prior knowledge)',
  persistent: 'HTTP/1.1 connections persist',
  keepAliveHeader: 'Keep-Alive header',
  maxRequests: 'max requests per connection',
  idleTimeout: 'idle timeout',
  keepAliveRace: 'answered just before idle timeout',
  http10KeepAlive: 'HTTP/1.0 Keep-Alive honoured',
  pipelining: 'pipelining: 3 back to back',
  halfClose: 'answers after client half-close',
  hopByHop: 'hop-by-hop headers stripped',
};

const LABEL_WIDTH = 32;
const RESULT_WIDTH = 20;

export function renderProbe(result: ProbeResult, options: ProbeRenderOptions): string {
  const c = makeChalk(options.colorLevel);
  const evidenceWidth = Math.max(30, (options.columns ?? 100) - LABEL_WIDTH - RESULT_WIDTH - 10);
  const title = `connload ${result.tool.version} probe  ${result.target.url}  (${(result.durationMs / 1000).toFixed(1)}s)`;
  const t = table(['check', 'result', 'evidence'], c, ['left', 'left', 'left']);
  const row = (label: string, shown: string, evidence: string) => t.push([label, shown, wrap(evidence, evidenceWidth)]);

  const { dns, connect, tls } = result;
  row('addresses', dns.addresses.map((a) => a.address).join('\n'), dns.evidence);
  row(
    'DNS lookup',
    dns.lookupMs === null ? c.dim('n/a') : fmtMs(dns.lookupMs),
    dns.lookupMs === null ? 'no lookup: the URL gives an address' : `lookup of ${result.target.host} (all addresses)`,
  );
  row('TCP connect', fmtMs(connect.connectMs), connect.evidence);
  if (tls !== null) {
    row('TLS', tls.version ?? '-', `${tls.evidence}; handshake ${fmtMs(tls.handshakeMs)}`);
  } else row('TLS', c.dim('n/a'), 'cleartext target (http://)');
  for (const name of Object.keys(LABELS) as CheckName[]) {
    // A result saved by an older connload lacks the checks added since.
    if (result.checks[name] !== undefined) row(LABELS[name], shownResult(name, result.checks, c), result.checks[name].evidence);
  }
  const parts = [c.bold(title), t.toString()];
  if (result.interrupted) parts.push(c.yellow('Interrupted: checks that had not finished say "unknown".'));
  return parts.join('\n') + '\n';
}

/** The result column: a measured value where the check measures one, else the verdict. */
function shownResult(name: CheckName, checks: ProbeChecks, c: ChalkInstance): string {
  switch (name) {
    case 'keepAliveHeader': {
      const k = checks.keepAliveHeader;
      return k.value === null ? verdict(k.verdict, c) : k.value;
    }
    case 'maxRequests': {
      const m = checks.maxRequests;
      if (m.requests === null || (m.verdict === 'unknown' && m.requests === 0)) return verdict(m.verdict, c);
      return m.limitFound ? String(m.requests) : `>= ${m.requests}`;
    }
    case 'idleTimeout': {
      const i = checks.idleTimeout;
      if (i.idleMs !== null && i.close !== null) return `${fmtMs(i.idleMs)}, ${i.close.toUpperCase()}`;
      return i.verdict === 'unknown' && /idle-max/.test(i.evidence) ? `> ${fmtMs(i.waitedUpToMs)}` : verdict(i.verdict, c);
    }
    default:
      return verdict(checks[name].verdict, c);
  }
}

function verdict(v: Verdict, c: ChalkInstance): string {
  switch (v) {
    case 'yes':
      return c.green(v);
    case 'no':
      return c.yellow(v);
    case 'unknown':
      return c.magenta(v);
    case 'n/a':
      return c.dim(v);
  }
}

/** Word wrap to `width` columns (a word longer than that stays whole). */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}
