// `connload compare <a.json> <b.json> ...`: phases of saved results side by side,
// with each result's difference from the first (before/after a server change).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError, ValidationError } from '../errors.js';
import type { ResultDocument } from '../metrics/result.js';
import { renderCompare, renderCompareHtml, type LabeledResult } from '../report/compare.js';
import { renderHtml } from '../report/html.js';
import { colorLevel } from '../report/style.js';
import { readResultFile } from './report.js';

/** File names as labels; the path as given where two names clash, then `#n` for the same file twice. */
export function labelsFor(files: string[]): string[] {
  const count = (names: string[], name: string): number => names.filter((n) => n === name).length;
  const base = files.map((f) => path.basename(f));
  const named = base.map((b, i) => (count(base, b) > 1 ? files[i]! : b));
  return named.map((label, i) => (count(named, label) > 1 ? `${label}#${count(named.slice(0, i + 1), label)}` : label));
}

/** Reads every file; the problems of all of them are reported together. */
async function readAll(files: string[]): Promise<ResultDocument[]> {
  const settled = await Promise.allSettled(files.map((file) => readResultFile(file)));
  const problems = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (problems.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<ResultDocument>).value);
  if (problems.length === 1 || problems.some((p) => !(p instanceof UsageError))) throw problems[0];
  throw new ValidationError(
    'compare',
    problems.map((p) => (p as UsageError).message),
  );
}

/** The HTML report of all results, overlaid, with the differences first. */
export function renderCompareReport(results: LabeledResult[]): string {
  return renderHtml(
    results.map((r) => r.doc),
    {
      labels: results.map((r) => r.label),
      title: `connload: comparison of ${results.map((r) => r.label).join(', ')}`,
      leadSections: [{ id: 'differences', title: 'Differences', body: renderCompareHtml(results) }],
    },
  );
}

export const compareCommand: CommandModule = {
  command: 'compare <results..>',
  describe: 'phases of several saved results side by side, with the differences',
  builder: (y) =>
    y
      .positional('results', { type: 'string', array: true, describe: 'result documents written by --json; the first is the baseline' })
      .option('html', { type: 'string', describe: 'write the comparison as a self-contained HTML report', group: 'Output' })
      .example('$0 compare before.json after.json', 'what a server change did')
      .example('$0 compare a.json b.json c.json --html compare.html', 'three results, also as HTML'),
  handler: async (argv) => {
    const a = argv as unknown as { results: string[]; html?: string };
    if (a.results.length < 2) throw new UsageError(`compare: expected at least two result files, got ${a.results.length}`);
    const labels = labelsFor(a.results);
    const docs = await readAll(a.results);
    const results = docs.map((doc, i) => ({ label: labels[i]!, doc }));
    process.stdout.write(renderCompare(results, { colorLevel: colorLevel(process.stdout) }));
    if (a.html) await writeFile(a.html, renderCompareReport(results));
  },
};
