// `connload report <result.json>`: renders a saved result again, the same tables
// the run printed, and on request its HTML, .hgrm and JUnit files. Also reads and
// checks result files for `compare`.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compileSchema, type ErrorObject, type ValidateFunction } from './ajv.js';
import type { CommandModule } from 'yargs';
import { RunError, UsageError, ValidationError } from '../errors.js';
import { RESULT_SCHEMA_ID, type ResultDocument } from '../metrics/result.js';
import { decodeHistogram } from '../metrics/histogram.js';
import { RESULT_JSON_SCHEMA } from '../metrics/result-schema.js';
import { displayUrl } from '../plan/build-plan.js';
import { hgrmFiles } from '../report/hgrm.js';
import { renderHtml } from '../report/html.js';
import { renderJunit } from '../report/junit.js';
import { colorLevel } from '../report/style.js';
import { renderTables } from '../report/table.js';
import { readCapped, readFailure } from './input-files.js';
import { parseJsonText } from './scenario-json.js';
import { assertOutputsWritable } from './output-paths.js';
import { reportFileOptions } from './run-options.js';
import { describeValue } from './scenario-problems.js';

// The object scenarios/result.schema.json is written from (a unit test keeps them equal).
// Compiled on first use: every command loads this module, few read result files.
let compiled: ValidateFunction | undefined;
const resultValidator = (): ValidateFunction => (compiled ??= compileSchema(RESULT_JSON_SCHEMA, false));
const MAX_LISTED_PROBLEMS = 10;

/** Reads a saved `--json` result; a missing file, bad JSON or another document is a UsageError (exit 2). */
export async function readResultFile(file: string): Promise<ResultDocument> {
  let text: string;
  try {
    text = (await readCapped(file)).toString('utf8');
  } catch (err) {
    throw new UsageError(`cannot read result file ${file}: ${readFailure(err)}`, 'ERESULT');
  }
  return parseResultText(text, file);
}

/** Parses and validates a result document's text; `file` names it in errors. */
export function parseResultText(text: string, file: string): ResultDocument {
  const what = `invalid result file ${file}`;
  const json = parseJsonText(text);
  if (!json.ok) throw new UsageError(`${what}: ${json.problem}`, 'ERESULT');
  const data = json.value;
  const schema = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>).schema : undefined;
  if (schema !== RESULT_SCHEMA_ID) {
    throw new UsageError(
      `${what}: expected a connload result document ("schema": "${RESULT_SCHEMA_ID}", written by --json), got "schema": ${describeValue(schema)}`,
      'ERESULT',
    );
  }
  const validateResult = resultValidator();
  if (!validateResult(data)) {
    const problems = (validateResult.errors ?? []).map((e) => schemaProblem(e, data));
    const unique = [...new Set(problems)];
    const listed = unique.slice(0, MAX_LISTED_PROBLEMS);
    if (unique.length > listed.length) listed.push(`... and ${unique.length - listed.length} more`);
    throw new ValidationError(`${what} (does not match scenarios/result.schema.json)`, listed);
  }
  const broken = brokenHistograms(data);
  if (broken.length > 0) throw new ValidationError(`${what} (a histogram cannot be decoded)`, broken);
  return withUrlsRedacted(data as ResultDocument);
}

/** A result written before URLs were redacted where they are read may still hold a password: not shown again. */
function withUrlsRedacted(doc: ResultDocument): ResultDocument {
  doc.target.url = displayUrl(doc.target.url);
  for (const phase of doc.phases) {
    const options = phase.options as Record<string, unknown>;
    if (typeof options.url === 'string') options.url = displayUrl(options.url);
  }
  return doc;
}

/** Every `hdr` string of the document that is not a compressed HdrHistogram, by path: the reports and merge decode them all. */
function brokenHistograms(data: unknown): string[] {
  const problems: string[] = [];
  const stack: Array<[unknown, string]> = [[data, '']];
  while (stack.length > 0 && problems.length < MAX_LISTED_PROBLEMS) {
    const [value, at] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, child] of Object.entries(value)) {
      const path = Array.isArray(value) ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;
      if (key === 'hdr' && typeof child === 'string') {
        try {
          decodeHistogram(child);
        } catch (err) {
          problems.push(`${path}: expected a compressed base64 HdrHistogram as --json writes it (${(err as Error).message})`);
        }
      } else stack.push([child, path]);
    }
  }
  return problems.sort();
}

function schemaProblem(error: ErrorObject, data: unknown): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = '';
  let value: unknown = data;
  for (const segment of segments) {
    const index = Array.isArray(value) ? Number(segment) : NaN;
    at += Number.isInteger(index) ? `[${index}]` : at === '' ? segment : `.${segment}`;
    value = (value as Record<string, unknown> | undefined)?.[segment];
  }
  const params = error.params as Record<string, unknown>;
  const child = (key: unknown): string => (at === '' ? String(key) : `${at}.${String(key)}`);
  if (error.keyword === 'required') return `${child(params.missingProperty)}: missing`;
  if (error.keyword === 'additionalProperties') return `${child(params.additionalProperty)}: unknown key`;
  return `${at === '' ? '(root)' : at}: ${error.message ?? 'invalid'}, got ${describeValue(value)}`;
}

export interface ReportOutputs {
  html?: string;
  hgrm?: string;
  junit?: string;
}

/** Why a write failed, by its code: "EACCES", "ENOSPC". */
export function writeFailure(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Writes the files asked for; returns their paths (the .hgrm directory's files one by one). One that
 * fails does not stop the others: a RunError (exit 3) names every file that could not be written.
 */
export async function writeReportFiles(doc: ResultDocument, out: ReportOutputs): Promise<string[]> {
  const written: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, file: string, write: () => Promise<void>): Promise<void> => {
    try {
      await write();
      written.push(file);
    } catch (err) {
      failures.push(`${what} ${file}: ${writeFailure(err)}`);
    }
  };
  if (out.html) await attempt('--html', out.html, () => writeFile(out.html!, renderHtml([doc])));
  if (out.hgrm) {
    const dir = out.hgrm;
    const made = await mkdir(dir, { recursive: true }).then(
      () => true,
      (err: unknown) => (failures.push(`--hgrm ${dir}: ${writeFailure(err)}`), false),
    );
    for (const f of made ? hgrmFiles(doc) : []) {
      const file = path.join(dir, f.name);
      await attempt('--hgrm', file, () => writeFile(file, f.content));
    }
  }
  if (out.junit) await attempt('--junit', out.junit, () => writeFile(out.junit!, renderJunit(doc)));
  if (failures.length > 0) throw new RunError(`could not write ${failures.join('; ')}`, 'EOUTPUT');
  return written;
}

export const reportCommand: CommandModule = {
  command: 'report <result>',
  describe: 'render a saved result (--json file) again: tables, and --html, --hgrm, --junit files',
  builder: (y) =>
    reportFileOptions(y)
      .positional('result', { type: 'string', describe: 'a result document written by --json' })
      .example('$0 report result.json', 'the tables of a saved run')
      .example('$0 report result.json --html report.html --hgrm hgrm/', 'an HTML report and HdrHistogram files'),
  handler: async (argv) => {
    const a = argv as unknown as ReportOutputs & { result: string };
    await assertOutputsWritable(a);
    const doc = await readResultFile(a.result);
    process.stdout.write(renderTables(doc, { colorLevel: colorLevel(process.stdout) }));
    await writeReportFiles(doc, a);
  },
};
