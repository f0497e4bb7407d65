// `connload compare`: phases of several saved results side by side, matched by
// phase name, each later result with its difference from the first one that has
// the phase (e.g. before and after a server change). Pure: results in, text out.
import type { ChalkInstance } from 'chalk';
import type { PhaseResult, ResultDocument } from '../metrics/result.js';
import { escapeHtml as h } from './html-escape.js';
import { fmtInt, fmtMs, fmtRatio, makeChalk, table } from './style.js';

export interface LabeledResult {
  /** How the result is named in the output, e.g. its file name. */
  label: string;
  doc: ResultDocument;
}

type Better = 'higher' | 'lower' | null;
type Kind = 'rate' | 'count' | 'ratio' | 'ms';

interface Measure {
  name: string;
  kind: Kind;
  /** Which direction is an improvement; null when neither is (connections opened). */
  better: Better;
  get(p: PhaseResult): number | null;
}

const MEASURES: Measure[] = [
  { name: 'req/s', kind: 'rate', better: 'higher', get: (p) => p.requests.perSecond },
  { name: 'conns opened', kind: 'count', better: null, get: (p) => p.connections.opened },
  { name: 'reuse', kind: 'ratio', better: 'higher', get: (p) => p.connections.reuseRatio },
  { name: 'connect p50', kind: 'ms', better: 'lower', get: (p) => p.metrics.connect?.p50 ?? null },
  { name: 'ttfb p50', kind: 'ms', better: 'lower', get: (p) => p.metrics.ttfb?.p50 ?? null },
  { name: 'ttfb p99', kind: 'ms', better: 'lower', get: (p) => p.metrics.ttfb?.p99 ?? null },
  { name: 'latency p99', kind: 'ms', better: 'lower', get: (p) => p.metrics.latency?.p99 ?? null },
  { name: 'errors', kind: 'count', better: 'lower', get: (p) => p.requests.errors },
  { name: 'TIME_WAIT', kind: 'count', better: 'lower', get: (p) => (p.ports.supported ? p.ports.timeWaitPeak : null) },
];

export const COMPARED_MEASURES: readonly string[] = MEASURES.map((m) => m.name);

export type Verdict = 'better' | 'worse' | 'same' | 'neutral' | 'none';

export interface Difference {
  measure: string;
  base: number | null;
  value: number | null;
  /** `+12.3%` (req/s), `-4.10ms` (times), `+3` (counts), `+0.05` (ratios); `-` when either side is missing. */
  text: string;
  verdict: Verdict;
}

export interface ComparedRow {
  label: string;
  phase: PhaseResult;
  /** Differences from the group's first row; null for that first row (the baseline). */
  differences: Difference[] | null;
}

export interface ComparedPhase {
  /** The phase name (or the names, when single-phase results are compared regardless of name). */
  name: string;
  rows: ComparedRow[];
  /** Labels of the results that have no phase of this name. */
  missingFrom: string[];
}

/**
 * Groups phases by name in order of first appearance. When every result has exactly one
 * phase those are compared whatever their names (`run -s persistent` against `run -s pipeline`).
 */
export function comparePhases(results: LabeledResult[]): ComparedPhase[] {
  const singles = results.length > 1 && results.every((r) => r.doc.phases.length === 1);
  const groups = new Map<string, Array<{ label: string; phase: PhaseResult }>>();
  for (const { label, doc } of results) {
    for (const phase of doc.phases) {
      const key = singles ? '' : phase.name;
      const group = groups.get(key) ?? [];
      if (!group.some((row) => row.label === label)) group.push({ label, phase });
      groups.set(key, group);
    }
  }
  return [...groups.entries()].map(([key, members]) => {
    const base = members[0]!.phase;
    const name = singles ? [...new Set(members.map((m) => m.phase.name))].join(' / ') : key;
    return {
      name,
      rows: members.map((m, i) => ({ ...m, differences: i === 0 ? null : differencesBetween(base, m.phase) })),
      missingFrom: results.map((r) => r.label).filter((label) => !members.some((m) => m.label === label)),
    };
  });
}

export function differencesBetween(base: PhaseResult, other: PhaseResult): Difference[] {
  return MEASURES.map((m) => difference(m, m.get(base), m.get(other)));
}

function difference(m: Measure, base: number | null, value: number | null): Difference {
  const out = { measure: m.name, base, value };
  if (base === null || value === null) return { ...out, text: '-', verdict: 'none' };
  const delta = value - base;
  let text: string;
  if (m.kind === 'rate') text = base === 0 ? (value === 0 ? '+0.0%' : 'from 0') : `${signed(delta)}${Math.abs((delta / base) * 100).toFixed(1)}%`;
  else if (m.kind === 'ms') text = `${signed(delta)}${fmtMs(Math.abs(delta))}`;
  else if (m.kind === 'ratio') text = `${signed(delta)}${Math.abs(delta).toFixed(2)}`;
  else text = `${signed(delta)}${fmtInt(Math.abs(delta))}`;
  return { ...out, text, verdict: verdictOf(m.better, delta, m.kind === 'ratio' ? 0.005 : 0) };
}

function signed(delta: number): string {
  return delta < 0 ? '-' : '+';
}

function verdictOf(better: Better, delta: number, sameWithin: number): Verdict {
  if (Math.abs(delta) <= sameWithin) return 'same';
  if (better === null) return 'neutral';
  return delta > 0 === (better === 'higher') ? 'better' : 'worse';
}

export interface CompareTextOptions {
  colorLevel: 0 | 1 | 2 | 3;
}

/** The terminal text of `connload compare`. */
export function renderCompare(results: LabeledResult[], options: CompareTextOptions): string {
  const c = makeChalk(options.colorLevel);
  const parts: string[] = [c.bold(`connload compare: ${results.length} results`) + '\n' + results.map((r) => `  ${describeResult(r)}`).join('\n')];
  const compared = comparePhases(results);
  for (const group of compared) parts.push(renderGroup(group, c));
  if (compared.length === 0) parts.push(c.dim('No phases in these results.'));
  if (results.length > 1) {
    const colours = options.colorLevel > 0 ? '; green is better, red is worse' : '';
    parts.push(c.dim(`Rows "vs ..." give each result's difference from the first result with that phase${colours}.`));
  }
  return parts.join('\n\n') + '\n';
}

function describeResult({ label, doc }: LabeledResult): string {
  const flag = doc.interrupted ? ' (interrupted)' : doc.ok ? '' : ' (thresholds failed)';
  return `${label}: ${doc.target.url}, ${doc.startedAt}, ${doc.tool.name} ${doc.tool.version}, ${doc.phases.length} phase${doc.phases.length === 1 ? '' : 's'}${flag}`;
}

function renderGroup(group: ComparedPhase, c: ChalkInstance): string {
  const t = table(['result', 'strategy', 'seconds', ...COMPARED_MEASURES], c, ['left', 'left']);
  const baseLabel = group.rows[0]!.label;
  for (const row of group.rows) {
    const p = row.phase;
    const values = MEASURES.map((m) => formatValue(m, m.get(p)));
    t.push([row.label + (p.interrupted ? ' (interrupted)' : ''), p.strategy, (p.durationMs / 1000).toFixed(1), ...values]);
    if (row.differences !== null) {
      t.push([c.dim(`  vs ${baseLabel}`), '', '', ...row.differences.map((d) => paint(d, c))]);
    }
  }
  const lines = [c.bold.cyan(`Phase ${group.name}`), t.toString()];
  if (group.missingFrom.length > 0) lines.push(c.yellow(`only in ${group.rows.map((r) => r.label).join(', ')}; not in ${group.missingFrom.join(', ')}`));
  return lines.join('\n');
}

function formatValue(m: Measure, value: number | null): string {
  if (value === null) return '-';
  if (m.kind === 'ms') return fmtMs(value);
  if (m.kind === 'ratio') return fmtRatio(value);
  return fmtInt(value);
}

function paint(d: Difference, c: ChalkInstance): string {
  if (d.verdict === 'better') return c.green(d.text);
  if (d.verdict === 'worse') return c.red(d.text);
  if (d.verdict === 'same' || d.verdict === 'none') return c.dim(d.text);
  return d.text;
}

/** The same comparison as an HTML section, for the `compare --html` report. */
export function renderCompareHtml(results: LabeledResult[]): string {
  const groups = comparePhases(results).map((group) => {
    const head = ['result', 'strategy', 'seconds', ...COMPARED_MEASURES].map((name) => `<th>${h(name)}</th>`).join('');
    const baseLabel = group.rows[0]!.label;
    const rows = group.rows.flatMap((row) => {
      const p = row.phase;
      const cells = MEASURES.map((m) => `<td>${h(formatValue(m, m.get(p)))}</td>`).join('');
      const main = `<tr><th scope="row">${h(row.label)}${p.interrupted ? ' (interrupted)' : ''}</th><td>${h(p.strategy)}</td><td>${(p.durationMs / 1000).toFixed(1)}</td>${cells}</tr>`;
      if (row.differences === null) return [main];
      const diffs = row.differences.map((d) => `<td class="${d.verdict}">${h(d.text)}</td>`).join('');
      return [main, `<tr class="difference"><th scope="row">vs ${h(baseLabel)}</th><td></td><td></td>${diffs}</tr>`];
    });
    const missing = group.missingFrom.length > 0 ? `<p class="muted">not in ${h(group.missingFrom.join(', '))}</p>` : '';
    return `<h3>Phase ${h(group.name)}</h3>
<div class="table-wrap"><table class="numbers compare"><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>${missing}`;
  });
  return `<p class="muted">Each result against the first result that has the phase: req/s in percent, times in milliseconds, counts as numbers.</p>
<style>table.compare tr.difference th{font-weight:400;color:var(--muted)} table.compare td.better{color:var(--ok)} table.compare td.worse{color:var(--fail)} table.compare td:nth-child(2){text-align:left}</style>
${groups.join('\n')}`;
}
