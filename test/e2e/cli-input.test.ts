// Bad input: one line that names the problem, exit 2 (or 3 when the target is
// unreachable), never a stack trace, nothing sent.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

async function closedPort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^connload: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('bad input', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an invalid URL', ['run', 'http//nope'], /"http\/\/nope" is not a URL: expected http:\/\/host/],
    ['a URL of another protocol', ['run', 'ftp://127.0.0.1/'], /uses ftp: expected http or https/],
    ['an unknown strategy', ['run', 'http://127.0.0.1:9/', '-s', 'carrier-pigeon'], /^connload: --strategy: expected one of new-connection.*got "carrier-pigeon"$/],
    ['--depth 0', ['run', 'http://127.0.0.1:9/', '-s', 'pipeline', '--depth', '0'], /--depth: expected a positive integer, got 0/],
    ['-c 0', ['run', 'http://127.0.0.1:9/', '-c', '0'], /--connections: expected a positive integer, got 0/],
    ['a bad duration', ['run', 'http://127.0.0.1:9/', '-d', 'soon'], /--duration: expected a duration like 10s/],
    [
      'a missing body file',
      ['run', 'http://127.0.0.1:9/', '-m', 'POST', '--body-file', '/nonexistent/body.bin'],
      /--body-file: cannot read "\/nonexistent\/body.bin": no such file/,
    ],
    [
      'a POST with --strategy pipeline',
      ['run', 'http://127.0.0.1:9/', '-s', 'pipeline', '-m', 'POST', '--body', 'x'],
      /pipeline sends only idempotent requests.*POST cannot be pipelined/,
    ],
    ['a bad threshold', ['run', 'http://127.0.0.1:9/', '--threshold', 'ttfb.p99 <'], /ttfb\.p99 </],
    ['a bad header', ['run', 'http://127.0.0.1:9/', '-H', 'NoColonHere'], /--header #1: expected "Name: value" .*the text is not shown/],
    ['an unknown option', ['run', 'http://127.0.0.1:9/', '--connectoins', '3'], /Unknown argument: connectoins/],
    ['no command', [], /give a command/],
  ];
  it.each(cases)('%s is exit 2 with one clear line', async (_name, args, pattern) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    if (args.length > 0) expectOneLine(r.stderr, pattern);
    else expect(r.stderr).toMatch(pattern);
  });

  it('a port nobody listens on is exit 3, naming the target and ECONNREFUSED', async () => {
    const port = await closedPort();
    const r = await runCli(['run', `http://127.0.0.1:${port}/`, '-n', '10', '--quiet']);
    expect(r.code).toBe(3);
    expectOneLine(r.stderr, new RegExp(`cannot reach http://127.0.0.1:${port}/.*ECONNREFUSED`));
  });
});

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('run --help lists the strategies and options', async () => {
    const r = await runCli(['run', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', '--max-requests-per-connection', '--close', '--split-writes', '--json'])
      expect(r.stdout).toContain(s);
  });
});

describe('yargs complaints are bad input too', () => {
  it.each([
    [['run', 'http://127.0.0.1:9/', '--json'], /Not enough arguments following: json/],
    [['run', 'http://127.0.0.1:9/', '-t'], /Not enough arguments following: t/],
  ])('%j is exit 2 with one line', async (args, pattern) => {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim()).toMatch(pattern);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
