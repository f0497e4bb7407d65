// Unchecked input: numbers beyond what the machine and Node's timers can do, unwritable outputs, a
// --ca without a certificate, a --local-address this host does not have, corrupted saved results,
// deeply nested JSON, a phase named "constructor". Each is exit 2 with a line naming the problem,
// found before anything is sent (a raw server counts connections), never a stack trace.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { okResponse, rawServer, type RawServer } from '../helpers/raw-server.js';

let dir: string;
let server: RawServer;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-hostile-input-'));
  server = await rawServer((_socket, ctx) => ctx.onRequest(() => ctx.answer(okResponse())));
  url = `${server.url}/`;
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A URL for argument checks that fail before anything is sent. */
const url0 = (): string => 'http://127.0.0.1:9/';

function expectUsage(r: CliResult, ...patterns: RegExp[]): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^connload: /);
  for (const p of patterns) expect(r.stderr.trimEnd()).toMatch(p);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error|ERR_WORKER_OUT_OF_MEMORY/);
}

describe('numbers are bounded and said as given', () => {
  const cases: Array<[string, string[], RegExp]> = [
    // the open-file limit is no bound: past it connections are counted as EMFILE and the run goes on
    [
      '-c 1e9',
      ['-c', '1e9'],
      /--connections: expected at most \d+ \(\d+ per worker thread: 16 KiB each in a \d+ MiB heap; add --workers or split the load with --runner-count\), got 1000000000$/,
    ],
    ['-c 1e9 over 4 workers', ['-c', '1e9', '-w', '4'], /--connections: expected at most \d+ \(.*\), got 1000000000$/],
    ['-c 1e8', ['-c', '1e8'], /--connections: expected at most \d+ .*got 100000000$/],
    ['-c abc', ['-c', 'abc'], /--connections: expected a positive integer, got "abc"$/],
    ['-c ""', ['-c', ''], /--connections: expected a positive integer, got ""$/],
    ['--rate 1e12', ['--rate', '1e12'], /--rate: expected at most 1000000 \(1000000 per runner.*\), got 1000000000000$/],
    ['--rate Infinity', ['--rate', 'Infinity'], /--rate: expected a finite number of requests per second > 0, got Infinity$/],
    [
      '--duration beyond a timer',
      ['-d', '25000h'],
      /--duration: expected at most 2147483647 ms, about 24.8 days \(the longest delay Node's timers take\), got "25000h"$/,
    ],
    ['--timeout 0', ['--timeout', '0'], /--timeout: expected a duration > 0/],
    ['--workers 1e6', ['-w', '1000000'], /--workers: expected at most \d+ \(4 per CPU, \d+ CPUs here\), got 1000000$/],
    ['--depth 1e9', ['-s', 'pipeline', '--depth', '1e9'], /--depth: expected at most 10000 .*got 1000000000$/],
  ];
  it.each(cases)('%s: exit 2, one line, nothing sent', async (_name, args, pattern) => {
    const before = server.stats.connections;
    const r = await runCli(['run', url, '-n', '1', '--quiet', ...args]);
    expectUsage(r, pattern);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.stats.connections).toBe(before);
  });
});

describe('serve and probe numbers', () => {
  it.each([
    [['serve', '--port', 'abc'], /--port: expected a port 0..65535 \(0 picks one\), got "abc"$/],
    [['serve', '--max-streams', ''], /--max-streams: expected an integer >= 1, got ""$/],
    [['serve', '--latency', '1000h'], /--latency: expected at most 2147483647 ms/],
    [['probe', url0(), '--timeout', '1000h'], /--timeout: expected at most 2147483647 ms/],
  ])('%j: exit 2 naming what was given', async (args, pattern) => {
    const r = await runCli(args);
    expectUsage(r, pattern);
  });
});

describe('files and addresses are checked before the load is sent', () => {
  it('every bad output path, --ca and --local-address at once, one line each', async () => {
    const notCa = join(dir, 'not-a-cert.pem');
    await writeFile(notCa, 'hello\n');
    const aFile = join(dir, 'a-file');
    await writeFile(aFile, 'x');
    const before = server.stats.connections;
    const r = await runCli(
      [
        'run',
        url,
        '-n',
        '1',
        '--quiet',
        '--json',
        join(aFile, 'result.json'),
        '--html',
        dir,
        '--hgrm',
        aFile,
        '--junit',
        join(aFile, 'sub', 'junit.xml'),
        '--ca',
        notCa,
        '--local-address',
        '192.0.2.254',
      ],
      { env: { GITHUB_STEP_SUMMARY: dir } },
    );
    expectUsage(
      r,
      /^ {2}--json: ".*a-file\/result.json" cannot be created: ".*a-file" is not a directory$/m,
      /^ {2}--html: ".*" is a directory; expected a file path$/m,
      /^ {2}--hgrm: ".*a-file" is a file; expected a directory$/m,
      /^ {2}--junit: ".*junit.xml" cannot be created: ".*a-file" is not a directory$/m,
      /^ {2}GITHUB_STEP_SUMMARY: ".*" is a directory; expected a file path$/m,
      /^ {2}--ca: ".*not-a-cert.pem" holds no certificate; expected PEM text/m,
      /^ {2}--local-address: 192.0.2.254 is not an address of this host/m,
    );
    expect(server.stats.connections).toBe(before);
  });

  it('an endless --body-file or --ca (/dev/zero) is refused past 64 MiB, with the other problems', async () => {
    const r = await runCli(['run', url, '-m', 'POST', '--body-file', '/dev/zero', '--ca', '/dev/zero', '-c', 'abc']);
    expectUsage(
      r,
      /^ {2}--body-file: cannot read "\/dev\/zero": larger than 64 MiB; expected a file of at most that/m,
      /^ {2}--ca: cannot read "\/dev\/zero": larger than 64 MiB/m,
      /^ {2}--connections: expected a positive integer, got "abc"$/m,
    );
  });

  it("a loopback --local-address is this host's (any of 127.0.0.0/8 binds)", async () => {
    const r = await runCli(['run', url, '-n', '2', '-c', '1', '--quiet', '--local-address', '127.0.0.7']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('report and merge check their outputs before reading anything', async () => {
    const r = await runCli(['report', join(dir, 'missing.json'), '--html', dir]);
    expectUsage(r, /--html: ".*" is a directory; expected a file path$/);
    const m = await runCli(['merge', join(dir, 'missing.json'), '-o', dir]);
    expectUsage(m, /--json: ".*" is a directory; expected a file path$/);
  });
});

describe('saved results and scenarios that would crash a reader', () => {
  let good: string;
  beforeAll(async () => {
    good = join(dir, 'good.json');
    const r = await runCli(['run', url, '-n', '20', '-c', '1', '--quiet', '--json', good]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a corrupted hdr is exit 2 naming its path, for report, compare and merge', async () => {
    const doc = JSON.parse(await readFile(good, 'utf8')) as ResultDocument;
    doc.phases[0]!.metrics.latency!.hdr = 'HISTFAAAACh4nJNpmSzMwMDAxMDAwMzAwMDAwMDAwMDAw';
    const bad = join(dir, 'bad-hdr.json');
    await writeFile(bad, JSON.stringify(doc));
    for (const args of [
      ['report', bad, '--html', join(dir, 'bad.html')],
      ['compare', good, bad],
      ['merge', good, bad, '-o', join(dir, 'merged.json')],
    ]) {
      const r = await runCli(args);
      expectUsage(
        r,
        /invalid result file .*bad-hdr.json \(a histogram cannot be decoded\): phases\[0\]\.metrics\.latency\.hdr: expected a compressed base64 HdrHistogram/,
      );
    }
  });

  it('an endless result file (/dev/zero) is exit 2, for report and compare', async () => {
    expectUsage(await runCli(['report', '/dev/zero']), /cannot read result file \/dev\/zero: larger than 64 MiB/);
    expectUsage(await runCli(['compare', good, '/dev/zero']), /cannot read result file \/dev\/zero: larger than 64 MiB/);
  });

  it('a scenario nested thousands of levels deep is exit 2', async () => {
    const file = join(dir, 'deep.json');
    await writeFile(file, `{"name":"deep","target":"${url}","defaults":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)},"phases":[]}`);
    const r = await runCli(['run', file]);
    expectUsage(r, /invalid scenario .*deep.json: nested more than 64 levels deep; expected at most 64$/);
    const result = join(dir, 'deep-result.json');
    await writeFile(result, '['.repeat(100_000) + ']'.repeat(100_000));
    expectUsage(await runCli(['report', result]), /nested more than 64 levels deep/);
  });

  it('phases named constructor and toString run, with their own thresholds only', async () => {
    const file = join(dir, 'proto.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'proto',
        target: url,
        defaults: { requests: 5, connections: 1 },
        phases: [
          { name: 'constructor', strategy: 'persistent' },
          { name: 'toString', strategy: 'persistent' },
        ],
        thresholds: { toString: ['errors == 0'] },
      }),
    );
    const r = await runCli(['run', file, '--quiet', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    const doc = JSON.parse(r.stdout) as ResultDocument;
    expect(doc.phases.map((p) => p.name)).toEqual(['constructor', 'toString']);
    expect(doc.phases[0]!.thresholds).toEqual([]);
    expect(doc.phases[1]!.thresholds).toHaveLength(1);
  });
});

describe('--help into a pipe', () => {
  it('wraps between words', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('pipelining, HTTP/2, TIME_WAIT');
    const words = new Set(r.stdout.split(/[^A-Za-z-]+/));
    for (const cut of ['pipelini', 'persiste', 'timeou']) expect(words.has(cut), r.stdout).toBe(false);
    const run = await runCli(['run', '--help']);
    expect(run.stdout).toMatch(/new-connection, http10-keepalive,\s+persistent, pipeline/);
    for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
