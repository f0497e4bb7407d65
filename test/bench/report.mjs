// Turns the measured rounds into medians and ratios, and renders them as a
// terminal table, a Markdown table (for the README) and a JSON document.
import Table from 'cli-table3';
import { median } from './measure.mjs';

const UNITS = { rps: 'req/s', cpu: 'us/req', rss: 'MB', load: '% of a core', burst: 'x the mean window', rssPerConnection: 'KB per open connection' };

/** Value of one run in the scenario's unit. */
function shown(metric, value) {
  if (value === null || value === undefined) return null;
  if (metric === 'rss') return value / (1024 * 1024);
  if (metric === 'rssPerConnection') return value / 1024;
  return metric === 'load' ? value * 100 : value;
}

function fmt(metric, value) {
  const v = shown(metric, value);
  if (v === null) return '-';
  if (metric === 'rps') return Math.round(v).toLocaleString('en-US');
  return v.toFixed(metric === 'rss' ? 0 : 2);
}

/** A scenario with its runs -> the document's scenario: medians per entry, ratios with their targets. */
export function summarizeScenario(scenario, runsByKey) {
  const entries = scenario.entries.map((e) => {
    const runs = runsByKey[e.key] ?? [];
    const ok = runs.filter((r) => r.value !== null);
    return {
      key: e.key,
      tool: e.tool,
      label: e.label ?? e.key,
      values: runs.map((r) => r.value),
      median: median(ok.map((r) => r.value)),
      cpuPerRequestUs: median(ok.map((r) => r.cpuPerRequestUs)),
      achievedRps: median(ok.map((r) => r.rps)),
      errors: ok.reduce((n, r) => n + (r.errors ?? 0), 0),
      peakFds: Math.max(0, ...ok.map((r) => r.peakFds ?? 0)),
      detail: ok.at(-1)?.detail ?? null,
      failures: runs.filter((r) => r.value === null).map((r) => r.failure),
    };
  });
  const byKey = Object.fromEntries(entries.map((e) => [e.key, e]));
  const ratios = scenario.ratios.map((r) => {
    // A ratio compares the scenario's metric, or another field of the runs (`field: 'cpuPerRequestUs'`).
    const pick = (run) => (run === undefined || run.value === null ? null : r.field ? run[r.field] : run.value) ?? null;
    const compare = (of, to) => (of === null || to === null || to === 0 ? null : r.difference ? of - to : of / to);
    // Round by round: the two runs of a round came within seconds of each other, so a machine that drifts
    // over the minutes of a bench (a shared VM does) moves both; the median of the rounds' ratios is the ratio.
    const ofRuns = runsByKey[r.of] ?? [];
    const rounds = ofRuns.map((run, i) => compare(pick(run), r.absolute ? 1 : pick(runsByKey[r.to]?.[i]))).filter((v) => v !== null);
    const value = median(rounds);
    const bounded = r.atLeast !== undefined || r.atMost !== undefined;
    const met = value === null || !bounded ? null : (r.atLeast === undefined || value >= r.atLeast) && (r.atMost === undefined || value <= r.atMost);
    const base = r.absolute ? `${byKey[r.of]?.label ?? r.of}` : `${byKey[r.of]?.label ?? r.of} / ${byKey[r.to]?.label ?? r.to}`;
    const name = r.field === 'cpuPerRequestUs' ? `${base} (CPU per request)` : base;
    const kind = r.absolute ? 'absolute' : r.difference ? 'difference' : 'ratio';
    return {
      name: r.difference ? name.replace(' / ', ' - ') : name,
      kind,
      of: r.of,
      to: r.absolute ? null : r.to,
      value,
      rounds,
      atLeast: r.atLeast ?? null,
      atMost: r.atMost ?? null,
      met,
    };
  });
  return { id: scenario.id, title: scenario.title, metric: scenario.metric, unit: UNITS[scenario.metric], entries, ratios };
}

function targetText(metric, r) {
  const bound = (v) => (r.kind === 'ratio' ? `${v}x` : `${fmt(metric, v)} ${UNITS[metric]}`);
  if (r.atLeast !== null) return `>= ${bound(r.atLeast)}`;
  if (r.atMost !== null) return `<= ${bound(r.atMost)}`;
  return '(reported)';
}

function ratioText(metric, r) {
  if (r.value === null) return '-';
  return r.kind === 'ratio' ? `${r.value.toFixed(2)}x` : `${fmt(metric, r.value)} ${UNITS[metric]}`;
}

/** The spread of a ratio's rounds ("0.86x-0.97x over 5 rounds"), or '' for one round. */
function spreadText(metric, r) {
  if (r.rounds.length < 2) return '';
  const one = (v) => ratioText(metric, { ...r, value: v });
  return `${one(Math.min(...r.rounds))}-${one(Math.max(...r.rounds))} over ${r.rounds.length} rounds`;
}

const metText = (met) => (met === null ? '' : met ? 'met' : 'NOT met');

function noteOf(s, e) {
  if (s.metric === 'rss') return `${e.peakFds.toLocaleString('en-US')} fds`;
  if (e.detail) return e.detail;
  if (s.metric === 'cpu' || s.metric === 'load' || s.metric === 'burst') return `${fmt('rps', e.achievedRps)} req/s`;
  return e.cpuPerRequestUs === null ? '' : `${e.cpuPerRequestUs.toFixed(2)} us/req`;
}

/** The terminal table: per scenario its tools (median, each round, CPU or a note, errors) and its ratios. */
export function formatTable(doc) {
  const table = new Table({
    head: ['scenario / tool', 'median', 'rounds', 'CPU or note', 'errors'],
    style: { head: [], border: [] },
  });
  for (const s of doc.scenarios) {
    table.push([{ colSpan: 5, content: `${s.title}  [${s.unit}]` }]);
    for (const e of s.entries) {
      const rounds = e.values.map((v) => fmt(s.metric, v)).join(' ');
      table.push([`  ${e.label}`, fmt(s.metric, e.median), rounds, noteOf(s, e), e.failures.length ? `${e.errors} (+${e.failures.length} failed)` : e.errors]);
    }
    for (const r of s.ratios) {
      table.push([
        `  ${r.kind} ${r.name}`,
        ratioText(s.metric, r),
        `target ${targetText(s.metric, r)}`,
        [metText(r.met), spreadText(s.metric, r)].filter(Boolean).join(', '),
        '',
      ]);
    }
  }
  return table.toString();
}

/** The same as a Markdown table, for the README's Performance section. */
export function formatMarkdown(doc) {
  const lines = ['| scenario | tool | median | ratio (target) |', '| --- | --- | ---: | --- |'];
  for (const s of doc.scenarios) {
    const ratios = s.ratios.map((r) => {
      const notes = [targetText(s.metric, r), metText(r.met), spreadText(s.metric, r)].filter(Boolean);
      return `${r.name}: **${ratioText(s.metric, r)}** (${notes.join(', ')})`;
    });
    s.entries.forEach((e, i) => {
      lines.push(`| ${i === 0 ? s.title : ''} | ${e.label} | ${fmt(s.metric, e.median)} ${s.unit} | ${i === 0 ? ratios.join('<br>') : ''} |`);
    });
  }
  return lines.join('\n');
}

/** Which targets failed; [] when all that could be measured were met. */
export function unmet(doc) {
  return doc.scenarios.flatMap((s) => s.ratios.filter((r) => r.met === false).map((r) => `${s.id}: ${r.name} ${ratioText(s.metric, r)}`));
}
