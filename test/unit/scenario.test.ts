import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError, UsageError } from '../../src/errors.js';
import { loadScenario, looksLikeScenarioPath, parseScenario, scenarioPhaseOptions } from '../../src/cli/scenario.js';

const MINIMAL = { name: 'minimal', target: 'http://127.0.0.1:8080', phases: [{ name: 'one' }] };

/** The problem lines parseScenario throws for `doc` (an object, serialized, or raw text). */
function problemsOf(doc: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2);
  try {
    parseScenario(text, 'test.json', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).exitCode).toBe(2);
    const { message, problems } = err as ValidationError;
    // One problem is the whole message; several come under a heading naming the file.
    if (problems.length > 1) expect(message).toBe(`invalid scenario test.json:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    else expect(message).toContain(problems[0]);
    return problems;
  }
  throw new Error('expected a ValidationError');
}

describe('parseScenario: valid files', () => {
  it('returns the scenario with empty defaults and thresholds when absent', () => {
    expect(parseScenario(JSON.stringify(MINIMAL), 'm.json', {})).toEqual({
      name: 'minimal',
      description: null,
      target: 'http://127.0.0.1:8080',
      defaults: {},
      phases: [{ name: 'one' }],
      thresholds: {},
      path: 'm.json',
    });
  });

  it('keeps every run option and accepts durations as strings or seconds', () => {
    const phase = {
      name: 'all',
      strategy: 'pipeline',
      connections: 2,
      duration: '5s',
      requests: 100,
      warmup: 1,
      method: 'HEAD',
      headers: { 'X-Test': 'yes' },
      body: 'x',
      bodyFile: 'b.txt',
      workers: 2,
      depth: 4,
      streams: 10,
      maxRequestsPerConnection: 50,
      maxConnectionAge: '1.5m',
      close: 'client',
      nodelay: false,
      splitWrites: true,
      connectTimeout: '500ms',
      timeout: 2.5,
      insecure: true,
      ca: 'ca.pem',
      servername: 'example.com',
      tlsSessionReuse: true,
      localAddress: ['127.0.0.2', '127.0.0.3'],
      rate: 0.5,
      maxConnections: 8,
      page: '/index.html,/a.png',
      sampleInterval: '250ms',
      runnerIndex: 0,
      runnerCount: 2,
    };
    const scenario = parseScenario(JSON.stringify({ ...MINIMAL, defaults: { localAddress: '127.0.0.0/29' }, phases: [phase] }), 's.json', {});
    expect(scenario.phases[0]).toEqual(phase);
  });

  it('merges defaults, phase and thresholds for run (phase wins, headers merged)', () => {
    const scenario = parseScenario(
      JSON.stringify({
        ...MINIMAL,
        defaults: { connections: 4, headers: { A: '1', B: '2' } },
        phases: [{ name: 'one', connections: 1, headers: { B: 'phase' } }, { name: 'two' }],
        thresholds: { '*': ['errors == 0'], two: ['rps > 1'] },
      }),
      's.json',
      {},
    );
    expect(scenarioPhaseOptions(scenario)).toEqual([
      { name: 'one', connections: 1, headers: { A: '1', B: 'phase' }, threshold: ['errors == 0'] },
      { name: 'two', connections: 4, headers: { A: '1', B: '2' }, threshold: ['errors == 0', 'rps > 1'] },
    ]);
  });
});

describe('parseScenario: ${VAR} substitution', () => {
  const doc = (target: string, extra: object = {}) => ({ ...MINIMAL, target, ...extra });

  it('replaces ${VAR} and ${VAR:-default} in every string value, after parsing', () => {
    const env = { HOST: '127.0.0.1', TOKEN: 'a"b\\c' };
    const scenario = parseScenario(
      JSON.stringify(
        doc('http://${HOST}:${PORT:-9090}/x', {
          phases: [{ name: 'p-${HOST}', headers: { Authorization: 'Bearer ${TOKEN}' }, page: ['/${MISSING:-a}.png'] }],
        }),
      ),
      's.json',
      env,
    );
    expect(scenario.target).toBe('http://127.0.0.1:9090/x');
    expect(scenario.phases[0]).toEqual({ name: 'p-127.0.0.1', headers: { Authorization: 'Bearer a"b\\c' }, page: ['/a.png'] });
  });

  it('uses the default for an empty variable, as the shell does, and keeps $${ literal', () => {
    const scenario = parseScenario(JSON.stringify(doc('${EMPTY:-http://127.0.0.1:1}', { description: 'cost $${X} and $5' })), 's.json', { EMPTY: '' });
    expect(scenario.target).toBe('http://127.0.0.1:1');
    expect(scenario.description).toBe('cost ${X} and $5');
  });

  it('reports a missing variable with its path and how to give a default', () => {
    expect(problemsOf(doc('${STAGING_URL}'))).toEqual(['target: environment variable STAGING_URL is not set (use ${STAGING_URL:-default} for a default)']);
    expect(problemsOf(doc('http://${constructor}/'))).toEqual(['target: environment variable constructor is not set (use ${constructor:-default} for a default)']);
    expect(problemsOf(doc('http://127.0.0.1', { phases: [{ name: 'a', headers: { Authorization: 'Bearer ${TOKEN}' } }] }))).toEqual([
      'phases[0].headers.Authorization: environment variable TOKEN is not set (use ${TOKEN:-default} for a default)',
    ]);
  });

  it('reports a malformed reference', () => {
    expect(problemsOf(doc('http://${1HOST}/'))).toEqual(['target: expected ${NAME} or ${NAME:-default}, got "${1HOST}"']);
    expect(problemsOf(doc('http://${HOST'))).toEqual(['target: expected ${NAME} or ${NAME:-default}, got "${"']);
  });
});

describe('parseScenario: every problem at once, with its path', () => {
  it('collects type, key, threshold and name problems in document order', () => {
    const problems = problemsOf({
      name: 'bad',
      target: 'http://127.0.0.1:8080',
      defaults: { conections: 4, strategy: 'keepalive' },
      phases: [
        { name: 'a', depth: 0, duration: '10 sec' },
        { name: 'b', depth: '8', threshold: ['errors == 0'] },
        { name: 'a', headers: { 'X-N': 5 }, page: ['/a', 7] },
      ],
      thresholds: { '*': ['ttfb.p99 <', 'ttfb.p99 < 50ms'], bb: ['errors == 0'] },
    });
    expect(problems).toEqual([
      'defaults.conections: unknown key (did you mean "connections"?)',
      'defaults.strategy: expected one of "new-connection", "http10-keepalive", "persistent", "pipeline", "multiplex", got "keepalive"',
      'phases[0].depth: expected a positive integer, got 0',
      'phases[0].duration: expected a duration ("10s", "500ms", "1.5m" or a number of seconds), got "10 sec"',
      'phases[1].depth: expected a positive integer, got "8"',
      'phases[1].threshold: unknown key (thresholds go in the top-level "thresholds" map, under the phase name or "*")',
      'phases[2].name: expected a name no other phase has, got "a" (as phases[0])',
      'phases[2].headers.X-N: expected a string, got 5',
      'phases[2].page: expected a comma-separated string or an array of paths, got ["/a",7]',
      'thresholds.*[0]: "ttfb.p99 <" is not a threshold: expected <metric>[.<stat>] <op> <value>[unit], e.g. "ttfb.p99 < 50ms"',
      'thresholds.bb: expected the name of a phase or "*", got "bb" (did you mean "b"?)',
    ]);
  });

  it('names missing required keys and an empty phase list', () => {
    expect(problemsOf({ phases: [] })).toEqual([
      'name: missing, expected a non-empty string',
      'target: missing, expected an http:// or https:// URL',
      'phases: expected a non-empty array of phases, got []',
    ]);
    expect(problemsOf({ ...MINIMAL, phases: [{ strategy: 'persistent' }] })).toEqual(['phases[0].name: missing, expected a non-empty string']);
  });

  it('explains unknown keys: suggestions, CLI spellings, run options at the top level', () => {
    expect(
      problemsOf({
        name: 'n',
        target: 'http://127.0.0.1',
        phase: [],
        connections: 3,
        extra: 1,
        phases: [{ name: 'a', 'max-connections': 2, Depth: 2, bogus: 1 }],
      }),
    ).toEqual([
      'phase: unknown key (did you mean "phases"?)',
      'connections: unknown key (run options go in "defaults" or in a phase)',
      'extra: unknown key (expected one of $schema, name, description, target, defaults, phases, thresholds)',
      'phases[0].max-connections: unknown key (did you mean "maxConnections"?)',
      'phases[0].Depth: unknown key (did you mean "depth"?)',
      'phases[0].bogus: unknown key (not a run option; see scenarios/scenario.schema.json)',
    ]);
  });

  it('checks types of every kind of option', () => {
    expect(
      problemsOf({
        ...MINIMAL,
        phases: [{ name: 'a', rate: 0, nodelay: 'yes', close: 'fin', method: 'GE T', localAddress: [], runnerIndex: -1, timeout: -1, connections: 1.5 }],
      }),
    ).toEqual([
      'phases[0].rate: expected a positive number, got 0',
      'phases[0].nodelay: expected true or false, got "yes"',
      'phases[0].close: expected one of "server", "client", "reset", got "fin"',
      'phases[0].method: expected an HTTP method such as "GET", got "GE T"',
      'phases[0].localAddress: expected an address, list, range or CIDR, as a string or an array of strings, got []',
      'phases[0].runnerIndex: expected an integer >= 0, got -1',
      'phases[0].timeout: expected a duration ("10s", "500ms", "1.5m" or a number of seconds), got -1',
      'phases[0].connections: expected a positive integer, got 1.5',
    ]);
  });

  it('checks the target URL, the document shape and threshold lists', () => {
    expect(problemsOf({ ...MINIMAL, target: 'ftp://example.com' })).toEqual(['target: expected an http:// or https:// URL, got "ftp://example.com"']);
    expect(problemsOf([MINIMAL])).toEqual([`(root): expected a scenario object, got ${JSON.stringify([MINIMAL]).slice(0, 57)}...`]);
    expect(problemsOf({ ...MINIMAL, phases: [{ name: 'warm up' }], thresholds: { 'warm up': 'errors == 0', '*': [3, 'ttfb < 5ms', 'rps >= 10ms'] } })).toEqual([
      'thresholds["warm up"]: expected an array of threshold expressions, got "errors == 0"',
      'thresholds.*[0]: expected a threshold expression such as "ttfb.p99 < 50ms", got 3',
      'thresholds.*[1]: "ttfb < 5ms": ttfb needs a stat: one of min, mean, p50, p90, p95, p99, p999, max, count or pNN, e.g. "ttfb.p99 < 50ms"',
      'thresholds.*[2]: "rps >= 10ms": rps is not a duration: write a plain number',
    ]);
  });

  it('names the expected shape of each part of the document', () => {
    expect(problemsOf({ name: '', target: 5, defaults: [], phases: ['a', { name: 'b', headers: ['X-A: 1'] }], thresholds: ['errors == 0'] })).toEqual([
      'name: expected a non-empty string, got ""',
      'target: expected an http:// or https:// URL, got 5',
      'defaults: expected an object of run options, got []',
      'phases[0]: expected an object with a "name" and run options, got "a"',
      'phases[1].headers: expected an object of header names to string values, got ["X-A: 1"]',
      'thresholds: expected an object of phase names (or "*") to arrays of expressions, got ["errors == 0"]',
    ]);
    expect(problemsOf({ ...MINIMAL, phases: 'one' })).toEqual(['phases: expected a non-empty array of phases, got "one"']);
  });

  it('reports invalid JSON once, with line and column', () => {
    expect(problemsOf('{\n  "name": "x",\n  "target": "http://a"\n  "phases": []\n}')).toEqual([
      'line 4, column 3: invalid JSON: expected "," or "}" after a property value, got "\\""',
    ]);
    expect(problemsOf('{\n  "phases": [1, 2,],\n}')).toEqual([
      'line 2, column 19: invalid JSON: expected another item after "," (JSON allows no trailing comma), got "]"',
    ]);
    expect(problemsOf('{ // comment\n}')).toEqual(['line 1, column 3: invalid JSON: expected a double-quoted property name, got "/"']);
    expect(problemsOf('')).toEqual(['line 1, column 1: invalid JSON: expected a value: object, array, "string", number, true, false or null, got the end of the file']);
    expect(problemsOf('{"a": "b\n"}')).toEqual(['line 1, column 9: invalid JSON: expected no raw control character in a string (escape it, e.g. \\n), got "\\n"']);
  });

  it('accepts a byte-order mark', () => {
    expect(parseScenario(`\uFEFF${JSON.stringify(MINIMAL)}`, 'bom.json', {}).name).toBe('minimal');
  });
});

describe('loadScenario and looksLikeScenarioPath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'connload-scenario-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and substitutes from the given environment', async () => {
    const file = join(dir, 'staging');
    writeFileSync(file, JSON.stringify({ ...MINIMAL, target: '${URL}' }));
    const scenario = await loadScenario(file, { URL: 'https://staging.example.com' });
    expect(scenario).toMatchObject({ target: 'https://staging.example.com', path: file });
  });

  it('throws a UsageError for a file it cannot read', async () => {
    const missing = join(dir, 'missing.json');
    await expect(loadScenario(missing, {})).rejects.toThrow(UsageError);
    await expect(loadScenario(missing, {})).rejects.toThrow(`cannot read scenario file ${missing}: no such file`);
  });

  it('tells scenario paths from URLs', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '{}');
    expect(looksLikeScenarioPath(file)).toBe(true);
    expect(looksLikeScenarioPath('scenarios/not-yet-written.json')).toBe(true);
    expect(looksLikeScenarioPath('http://127.0.0.1:8080/a.json')).toBe(false);
    expect(looksLikeScenarioPath('https://example.com')).toBe(false);
    expect(looksLikeScenarioPath(dir)).toBe(false);
    expect(looksLikeScenarioPath('localhost:8080')).toBe(false);
  });
});
