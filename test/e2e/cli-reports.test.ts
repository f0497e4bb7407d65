// `connload report` and `connload compare` on results written by real runs of the
// built CLI against the built-in server: the same tables, HTML and .hgrm files as
// the run, .hgrm files that read back to the JSON percentiles, comparisons with
// their differences, and clear exit-2 errors for files that are not results.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/metrics/catalog.js';
import type { ResultDocument } from '../../src/metrics/result.js';
import { comparePhases, differencesBetween } from '../../src/report/compare.js';
import { parseHgrm, type HgrmRow } from '../../src/report/hgrm.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';
import { makeResultFixture } from '../helpers/result-fixture.js';
import { assertValidResult } from '../helpers/schema.js';

let dir: string;
let fast: RunningServer;
let slow: RunningServer;
/** The run that wrote a.json, with everything it printed. */
let first: { stdout: string; stderr: string; code: number | null };

const file = (name: string): string => join(dir, name);
const readJson = async (name: string): Promise<ResultDocument> => JSON.parse(await readFile(file(name), 'utf8')) as ResultDocument;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-reports-'));
  fast = await startServer({});
  slow = await startServer({ latencyMs: 3 });
  first = await runCli(['run', `${fast.url}/`, '-n', '400', '-c', '2', '--quiet', '--json', file('a.json'), '--html', file('a.html'), '--hgrm', file('hgrm-run')]);
});

afterAll(async () => {
  await Promise.all([fast?.close(), slow?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('connload report', () => {
  it('prints the same tables as the run and writes the same HTML and .hgrm files', async () => {
    expect(first.code, first.stderr).toBe(0);
    const doc = await readJson('a.json');
    assertValidResult(doc);
    expect(doc.phases[0]!.requests.completed).toBe(400);

    const again = await runCli(['report', file('a.json'), '--html', file('report.html'), '--hgrm', file('hgrm-report')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stdout).toContain('Phase persistent');
    expect(again.stderr).toBe('');

    expect(await readFile(file('report.html'), 'utf8')).toBe(await readFile(file('a.html'), 'utf8'));
    const names = (await readdir(file('hgrm-run'))).sort();
    expect(names.length).toBeGreaterThan(0);
    expect((await readdir(file('hgrm-report'))).sort()).toEqual(names);
    for (const name of names) {
      expect(await readFile(join(file('hgrm-report'), name), 'utf8'), name).toBe(await readFile(join(file('hgrm-run'), name), 'utf8'));
    }
  });

  it('writes .hgrm files that read back to the percentiles of the JSON', async () => {
    const doc = await readJson('a.json');
    const phase = doc.phases[0]!;
    const recorded = METRIC_NAMES.filter((m) => (phase.metrics[m]?.count ?? 0) > 0);
    expect(recorded).toEqual(expect.arrayContaining(['connect', 'wait', 'ttfb', 'latency']));
    expect((await readdir(file('hgrm-run'))).sort()).toEqual(recorded.map((m) => `persistent.${m}.hgrm`).sort());
    for (const metric of recorded) {
      const summary = phase.metrics[metric]!;
      const rows = parseHgrm(await readFile(join(file('hgrm-run'), `persistent.${metric}.hgrm`), 'utf8'));
      expect(rows.at(-1), metric).toEqual({ valueMs: expect.any(Number) as number, percentile: 1, totalCount: summary.count });
      expectSameValue(rows[0]!.valueMs, summary.min, `${metric} min`);
      expectSameValue(rows.at(-1)!.valueMs, summary.max, `${metric} max`);
      // 50% and 90% are rows of HdrHistogram's default ticks; 99% and 99.9% fall between two rows.
      expectSameValue(valueAt(rows, 0.5), summary.p50, `${metric} p50`);
      expectSameValue(valueAt(rows, 0.9), summary.p90, `${metric} p90`);
      for (const [percentile, expected] of [
        [0.99, summary.p99],
        [0.999, summary.p999],
      ] as const) {
        const below = rows.filter((row) => row.percentile <= percentile).at(-1)!;
        expect(below.valueMs, `${metric} ${percentile}`).toBeLessThanOrEqual(expected + 0.0011);
        expect(valueAt(rows, percentile), `${metric} ${percentile}`).toBeGreaterThanOrEqual(expected - 0.0011);
      }
    }
  });
});

describe('connload compare', () => {
  it('shows both results side by side with the differences, and as HTML', async () => {
    const b = await runCli(['run', `${slow.url}/`, '-n', '200', '-c', '2', '--quiet', '--json', file('b.json')]);
    expect(b.code, b.stderr).toBe(0);
    const [docA, docB] = [await readJson('a.json'), await readJson('b.json')];

    const r = await runCli(['compare', file('a.json'), file('b.json'), '--html', file('compare.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('connload compare: 2 results');
    expect(r.stdout).toContain(`a.json: ${fast.url}/`);
    expect(r.stdout).toContain(`b.json: ${slow.url}/`);
    expect(r.stdout).toContain('Phase persistent');
    const rows = r.stdout.split('\n');
    const rowOf = (start: string): string => rows.find((line) => line.startsWith(`│ ${start}`))!;
    expect(rowOf('a.json')).toContain('persistent');
    expect(rowOf('b.json')).toContain('persistent');
    // The server now waits 3 ms per response: ttfb went up, and the row says by how much.
    const differences = differencesBetween(docA.phases[0]!, docB.phases[0]!);
    const ttfb = differences.find((d) => d.measure === 'ttfb p50')!;
    expect(ttfb.verdict).toBe('worse');
    expect(ttfb.text).toMatch(/^\+\d/);
    const cells = rowOf('  vs a.json')
      .split('│')
      .map((cell) => cell.trim());
    for (const d of differences) expect(cells, d.measure).toContain(d.text);
    const reqPerSecond = differences.find((d) => d.measure === 'req/s')!;
    const percent = ((docB.phases[0]!.requests.perSecond - docA.phases[0]!.requests.perSecond) / docA.phases[0]!.requests.perSecond) * 100;
    expect(reqPerSecond.text).toBe(`${percent < 0 ? '-' : '+'}${Math.abs(percent).toFixed(1)}%`);

    const html = await readFile(file('compare.html'), 'utf8');
    expect(html).toContain('<section id="differences">');
    expect(html).toContain('vs a.json');
    expect(html).toContain(ttfb.text);
    const embedded = JSON.parse(/<script type="application\/json" id="connload-result">(.*?)<\/script>/s.exec(html)![1]!) as ResultDocument[];
    expect(embedded.map((d) => d.target.url)).toEqual([`${fast.url}/`, `${slow.url}/`]);
  });

  it('matches phases by name and shows phases that only one result has', async () => {
    const before = makeResultFixture({ seed: 1 });
    const after = makeResultFixture({ seed: 2, slowdown: 2 });
    after.phases[1]!.name = 'pipeline-8';
    await writeFile(file('before.json'), JSON.stringify(before));
    await writeFile(file('after.json'), JSON.stringify(after));

    const r = await runCli(['compare', file('before.json'), file('after.json')]);
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['new-connection', 'persistent', 'pipeline-8']) expect(r.stdout).toContain(`Phase ${name}\n`);
    expect(r.stdout).toContain('only in before.json; not in after.json');
    expect(r.stdout).toContain('only in after.json; not in before.json');

    const groups = comparePhases([
      { label: 'before.json', doc: before },
      { label: 'after.json', doc: after },
    ]);
    expect(groups.map((g) => [g.name, g.rows.map((row) => row.label), g.missingFrom])).toEqual([
      ['new-connection', ['before.json', 'after.json'], []],
      ['persistent', ['before.json'], ['after.json']],
      ['pipeline-8', ['after.json'], ['before.json']],
    ]);
    // Twice the durations: every time is later, by the difference of the two values.
    const ttfb99 = groups[0]!.rows[1]!.differences!.find((d) => d.measure === 'ttfb p99')!;
    expect(ttfb99.verdict).toBe('worse');
    expect(ttfb99.value! - ttfb99.base!).toBeCloseTo(after.phases[0]!.metrics.ttfb!.p99 - before.phases[0]!.metrics.ttfb!.p99, 9);
  });
});

describe('result files that cannot be read', () => {
  it('exits 2 naming the file and what was expected', async () => {
    await writeFile(file('broken.json'), '{"schema": "connload/result@1",\n  "phases": [,]}');
    await writeFile(file('scenario.json'), JSON.stringify({ name: 'x', target: 'http://127.0.0.1:1/', phases: [] }));
    const wrong = await readJson('a.json');
    (wrong.phases[0]!.requests as unknown as Record<string, unknown>).completed = 'many';
    delete (wrong as Partial<ResultDocument>).startedAt;
    await writeFile(file('wrong.json'), JSON.stringify(wrong));

    const cases: Array<[string[], RegExp]> = [
      [['report', file('missing.json')], /cannot read result file .*missing\.json: no such file/],
      [['report', file('broken.json')], /invalid result file .*broken\.json: line 2, column 14: invalid JSON/],
      [['report', file('scenario.json')], /expected a connload result document \("schema": "connload\/result@1".*got "schema": nothing/],
      [
        ['report', file('wrong.json')],
        /wrong\.json \(does not match scenarios\/result\.schema\.json\):\n {2}startedAt: missing\n {2}phases\[0\]\.requests\.completed: must be integer, got "many"/,
      ],
      [['compare', file('a.json')], /compare: expected at least two result files, got 1/],
      [
        ['compare', file('a.json'), file('missing.json'), file('scenario.json')],
        /compare:\n {2}cannot read result file .*missing\.json: no such file\n {2}invalid result file .*scenario\.json/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });
});

/** The value at percentile p (0..1) read from the rows, as HdrHistogram does: the first row at or above p. */
function valueAt(rows: HgrmRow[], percentile: number): number {
  return rows.find((row) => row.percentile >= percentile - 1e-12)!.valueMs;
}

/** .hgrm values are printed with 3 decimals (microseconds); HDR keeps 3 significant digits. */
function expectSameValue(actualMs: number, expectedMs: number, what: string): void {
  expect(Math.abs(actualMs - expectedMs), what).toBeLessThanOrEqual(expectedMs * 1e-3 + 0.0011);
}
