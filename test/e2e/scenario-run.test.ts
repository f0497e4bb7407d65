// `connload run <scenario.json>` end to end, as a CI job runs it: every phase in
// order, one comparison table and one result document, thresholds in the tables,
// the JSON, JUnit XML and the GitHub step summary, exit 1 when one fails, and
// exit 2 for a broken scenario before anything is sent (the server's counts
// prove it). Runs are bounded by request count.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

let dir: string;
const servers: RunningServer[] = [];
const file = (name: string): string => join(dir, name);

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

async function writeScenario(name: string, scenario: unknown): Promise<string> {
  await writeFile(file(name), JSON.stringify(scenario, null, 2));
  return file(name);
}

const readJson = async (name: string): Promise<ResultDocument> => JSON.parse(await readFile(file(name), 'utf8')) as ResultDocument;

/** Test cases of a JUnit file, as a JUnit reader sees them: suite name, case name, failure message. */
function junitCases(xml: string): Array<{ suite: string; name: string; failure: string | null }> {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(xml) as {
    testsuites: { testsuite: Array<{ name: string; testcase?: Array<{ name: string; failure?: { message: string } }> }> };
  };
  return doc.testsuites.testsuite.flatMap((suite) =>
    (suite.testcase ?? []).map((c) => ({ suite: suite.name, name: c.name, failure: c.failure ? c.failure.message : null })),
  );
}

/** The three phases every scenario below shares: new connections, a pool, and the open model. */
const PHASES = [
  { name: 'fresh', strategy: 'new-connection', connections: 2, requests: 60 },
  { name: 'pooled', strategy: 'persistent', connections: 2, requests: 200 },
  { name: 'paced', strategy: 'persistent', connections: 2, rate: 100, duration: '1s' },
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-scenario-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('connload run <scenario.json>', () => {
  it('runs every phase in order, side by side, with thresholds in the tables, the JSON, JUnit and the step summary', async () => {
    const s = await server();
    const scenario = await writeScenario('pass.json', {
      name: 'gate',
      target: '${TARGET}/',
      defaults: { headers: { 'User-Agent': 'connload-test' } },
      phases: PHASES,
      thresholds: { '*': ['errors == 0'], pooled: ['reuse >= 0.9', 'connections.opened <= 2'], paced: ['dropped == 0', 'rps >= 90'] },
    });
    await writeFile(file('summary.md'), '# an earlier step');
    const r = await runCli(['run', scenario, '--json', file('pass-result.json'), '--junit', file('pass.xml')], {
      env: { TARGET: s.url, GITHUB_STEP_SUMMARY: file('summary.md') },
    });
    expect(r.code, r.stderr).toBe(0);

    const doc = await readJson('pass-result.json');
    assertValidResult(doc);
    expect(doc.ok).toBe(true);
    expect(doc.phases.map((p) => [p.name, p.strategy])).toEqual([
      ['fresh', 'new-connection'],
      ['pooled', 'persistent'],
      ['paced', 'persistent'],
    ]);
    const [fresh, pooled, paced] = doc.phases;
    expect(fresh!.requests.completed).toBe(60);
    expect(pooled!.requests.completed).toBe(200);
    expect(paced!.requests.completed).toBe(100);
    expect(paced!.metrics.latencyUncorrected).toBeDefined();
    // The server saw exactly these phases, and the connections each strategy opens.
    expect(s.stats().requests).toBe(360);
    expect(s.stats().connections).toBe(60 + 2 + paced!.connections.opened);
    expect(fresh!.thresholds).toEqual([{ expression: 'errors == 0', ok: true, actual: 0 }]);
    expect(pooled!.thresholds).toEqual([
      { expression: 'errors == 0', ok: true, actual: 0 },
      { expression: 'reuse >= 0.9', ok: true, actual: 0.99 },
      { expression: 'connections.opened <= 2', ok: true, actual: 2 },
    ]);
    expect(paced!.thresholds.map((t) => [t.expression, t.ok])).toEqual([
      ['errors == 0', true],
      ['dropped == 0', true],
      ['rps >= 90', true],
    ]);

    // The plan before the run, in order; one comparison table after the phases.
    const planned = r.stderr
      .split('\n')
      .filter((l) => /^(fresh|pooled|paced): /.test(l))
      .map((l) => l.split(':')[0]);
    expect(planned).toEqual(['fresh', 'pooled', 'paced']);
    const phaseTitles = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('Phase '))
      .map((l) => l.split(/\s+/)[1]);
    expect(phaseTitles).toEqual(['fresh', 'pooled', 'paced']);
    expect(r.stdout).toContain('Comparison');
    const comparison = r.stdout.slice(r.stdout.indexOf('Comparison'));
    const rows = ['fresh', 'pooled', 'paced'].map((n) => comparison.indexOf(`│ ${n} `));
    expect(rows[0]).toBeGreaterThan(0);
    expect(rows[1]).toBeGreaterThan(rows[0]!);
    expect(rows[2]).toBeGreaterThan(rows[1]!);
    expect(r.stdout).toMatch(/│ connections\.opened <= 2 │\s+2 │\s+pass │/);

    const cases = junitCases(await readFile(file('pass.xml'), 'utf8'));
    expect(cases.map((c) => `${c.suite}: ${c.name}`)).toEqual([
      'fresh: errors == 0',
      'pooled: errors == 0',
      'pooled: reuse >= 0.9',
      'pooled: connections.opened <= 2',
      'paced: errors == 0',
      'paced: dropped == 0',
      'paced: rps >= 90',
    ]);
    expect(cases.every((c) => c.failure === null)).toBe(true);

    const summary = await readFile(file('summary.md'), 'utf8');
    expect(summary.startsWith('# an earlier step\n')).toBe(true);
    expect(summary).toContain('## ✅ connload: all 7 thresholds passed');
    for (const name of ['fresh', 'pooled', 'paced']) expect(summary).toMatch(new RegExp(`^\\| ${name} \\| `, 'm'));
  });

  it('a failing threshold exits 1, names the expression, and still writes every report', async () => {
    const s = await server();
    const scenario = await writeScenario('fail.json', {
      name: 'gate',
      target: `${s.url}/`,
      phases: PHASES.slice(0, 2),
      thresholds: { '*': ['errors == 0'], pooled: ['connections.opened > 100'] },
    });
    const r = await runCli(['run', scenario, '--quiet', '--json', file('fail-result.json'), '--junit', file('fail.xml')], {
      env: { GITHUB_STEP_SUMMARY: file('fail-summary.md') },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('1 threshold failed');
    expect(r.stderr).toContain('pooled: connections.opened > 100 (actual 2)');
    expect(r.stdout).toMatch(/│ connections\.opened > 100 │\s+2 │\s+FAIL │/);

    const doc = await readJson('fail-result.json');
    assertValidResult(doc);
    expect(doc.ok).toBe(false);
    expect(doc.phases[1]!.thresholds).toContainEqual({ expression: 'connections.opened > 100', ok: false, actual: 2 });

    const failed = junitCases(await readFile(file('fail.xml'), 'utf8')).filter((c) => c.failure !== null);
    expect(failed).toEqual([{ suite: 'pooled', name: 'connections.opened > 100', failure: 'actual 2, expected connections.opened > 100' }]);
    expect(await readFile(file('fail-summary.md'), 'utf8')).toContain('## ❌ connload: 1 of 3 thresholds failed');
  });

  it('a --threshold on the command line applies to every phase of the scenario, as do other options', async () => {
    const s = await server();
    const scenario = await writeScenario('override.json', { name: 'o', target: `${s.url}/`, phases: PHASES.slice(0, 2) });
    const r = await runCli(['run', scenario, '--quiet', '-n', '30', '-t', 'requests == 30', '--json', file('override.json.out')]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(await readFile(file('override.json.out'), 'utf8')) as ResultDocument;
    expect(doc.phases.map((p) => p.requests.completed)).toEqual([30, 30]);
    expect(doc.phases.map((p) => p.thresholds)).toEqual([
      [{ expression: 'requests == 30', ok: true, actual: 30 }],
      [{ expression: 'requests == 30', ok: true, actual: 30 }],
    ]);
    expect(s.stats().requests).toBe(60);
  });

  it('a broken scenario is exit 2 with every problem and its path, and nothing is sent', async () => {
    const s = await server();
    const scenario = await writeScenario('broken.json', {
      name: 'broken',
      target: '${CONNLOAD_TEST_UNSET_TARGET}/',
      defaults: { requests: 10, conections: 2 },
      phases: [
        { name: 'a', strategy: 'persistent', connections: '4' },
        { name: 'b', strategy: 'pipeline', depth: 0 },
      ],
      thresholds: { '*': ['errors = 0'], a: ['ttfb.p99 < 50 parsecs', 'latency.p42x < 1ms'] },
    });
    const r = await runCli(['run', scenario, '--json', file('broken-result.json'), '--junit', file('broken.xml')], {
      env: { CONNLOAD_TEST_UNSET_TARGET: undefined, GITHUB_STEP_SUMMARY: file('broken-summary.md') },
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const problems = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim());
    expect(problems.map((p) => p.slice(0, p.indexOf(': ')))).toEqual([
      'target',
      'defaults.conections',
      'phases[0].connections',
      'phases[1].depth',
      'thresholds.*[0]',
      'thresholds.a[0]',
      'thresholds.a[1]',
    ]);
    expect(problems[0]).toContain('environment variable CONNLOAD_TEST_UNSET_TARGET is not set');
    expect(problems[1]).toContain('unknown key (did you mean "connections"?)');
    expect(problems[2]).toBe('phases[0].connections: expected a positive integer, got "4"');
    expect(problems[3]).toBe('phases[1].depth: expected a positive integer, got 0');
    expect(problems[4]).toContain('"errors = 0" is not a threshold: expected <metric>[.<stat>] <op> <value>[unit]');
    expect(problems[6]).toContain('unknown stat "p42x" for latency');
    expect(s.stats()).toMatchObject({ connections: 0, requests: 0 });
    for (const name of ['broken-result.json', 'broken.xml', 'broken-summary.md']) expect(existsSync(file(name)), name).toBe(false);
  });

  it('problems only a plan can see are reported together, per phase path, and nothing is sent', async () => {
    const s = await server();
    const scenario = await writeScenario('unplannable.json', {
      name: 'unplannable',
      target: `${s.url}/`,
      phases: [
        { name: 'a', strategy: 'persistent', workers: 4, connections: 2 },
        { name: 'b', strategy: 'persistent', rate: 10, page: '/index.html,/a.png' },
      ],
    });
    const r = await runCli(['run', scenario]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phases[0].workers: 4 workers need at least as many connections, got 2');
    expect(r.stderr).toContain('phases[1].page: page mode runs in the closed model');
    expect(s.stats()).toMatchObject({ connections: 0, requests: 0 });
  });

  it('a bad --threshold on the command line is exit 2 naming it, and nothing is sent', async () => {
    const s = await server();
    const r = await runCli(['run', `${s.url}/`, '-n', '10', '-t', 'ttfb.p99 < 50ms', '-t', 'ttfb < 50ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"ttfb < 50ms"');
    expect(r.stderr).toContain('ttfb needs a stat');
    expect(s.stats()).toMatchObject({ connections: 0, requests: 0 });
  });

  it('runs the shipped page scenario: every strategy, multiplexed HTTP/2 included, records the page time', async () => {
    const s = await server({ h2c: true });
    const shipped = fileURLToPath(new URL('../../scenarios/page-every-strategy.json', import.meta.url));
    const r = await runCli(['run', shipped, '--quiet', '-n', '40', '--json', file('pages.json')], { env: { TARGET: s.url } });
    expect(r.code, r.stderr).toBe(0);
    const doc = await readJson('pages.json');
    assertValidResult(doc);
    expect(doc.phases.map((p) => p.strategy)).toEqual(['new-connection', 'new-connection', 'persistent', 'pipeline', 'multiplex']);
    for (const p of doc.phases) {
      expect(p.requests.completed, p.name).toBe(40);
      expect(p.metrics.page?.count, p.name).toBe(10);
      expect(p.thresholds, p.name).toEqual([{ expression: 'errors == 0', ok: true, actual: 0 }]);
    }
    expect(s.stats().requests).toBe(200);
    expect(s.stats().sessions).toBe(1);
  });
});
