// A password in the target URL (http://user:PASSWORD@host/) appears in no output of any command:
// run, report, merge, compare and probe, with every output option (stdout, stderr, --json file and
// -, --html, --hgrm, --junit, $GITHUB_STEP_SUMMARY), error lines included. Every byte is searched.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const PASSWORD = 'pW9zSecretQx';

let dir: string;
let inputs: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-secrets-'));
  inputs = await mkdtemp(join(tmpdir(), 'connload-secrets-in-'));
  server = await startServer({});
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (inputs) await rm(inputs, { recursive: true, force: true });
});

async function closedPort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Every file under `root`, recursively. */
async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root)) {
    const p = join(root, entry);
    if ((await stat(p)).isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

it('no command shows the password of the URL, in any output', async () => {
  const port = server.url.replace(/.*:/, '');
  const url = `http://tester:${PASSWORD}@127.0.0.1:${port}/`;
  const summary = join(dir, 'step-summary.md');
  const env = { GITHUB_STEP_SUMMARY: summary };
  const out = (name: string): string => join(dir, name);
  const outputs = (prefix: string): string[] => ['--html', out(`${prefix}.html`), '--hgrm', out(`${prefix}-hgrm`), '--junit', out(`${prefix}.xml`)];
  const results: Array<[string, CliResult]> = [];
  const step = async (label: string, args: string[], expectedCode: number): Promise<void> => {
    const r = await runCli(args, { env });
    expect(r.code, `${label}: ${r.stderr}`).toBe(expectedCode);
    results.push([label, r]);
  };

  const thresholds = ['--threshold', 'errors == 0'];
  await step('run a', ['run', url, '-n', '50', '-c', '2', '--json', out('a.json'), ...outputs('a'), ...thresholds], 0);
  await step('run b (json to stdout)', ['run', url, '-n', '50', '-c', '2', '--json', '-', ...outputs('b'), ...thresholds], 0);
  await step('run into a failing threshold', ['run', url, '-n', '10', '-c', '1', '--json', out('c.json'), '--threshold', 'rps < 1'], 1);
  await step('run against a closed port', ['run', `http://tester:${PASSWORD}@127.0.0.1:${await closedPort()}/`, '-n', '1'], 3);
  await step('run with a URL that does not parse', ['run', `http://tester:${PASSWORD}@127.0.0.1:99999/`], 2);
  await step('run with another scheme', ['run', `ftp://tester:${PASSWORD}@127.0.0.1/`], 2);
  // scenarios live outside `dir`: they hold the password themselves, and `dir` is searched
  await writeFile(
    join(inputs, 'bad-port.json'),
    JSON.stringify({ name: 's', target: `http://tester:${PASSWORD}@127.0.0.1:99999/`, phases: [{ name: 'p', strategy: 'persistent' }] }),
  );
  await writeFile(
    join(inputs, 'ftp.json'),
    JSON.stringify({ name: 's', target: `ftp://tester:${PASSWORD}@127.0.0.1/`, phases: [{ name: 'p', strategy: 'persistent' }] }),
  );
  await writeFile(
    join(inputs, 'good.json'),
    JSON.stringify({ name: 's', target: url, defaults: { requests: 20, connections: 1 }, phases: [{ name: 'p', strategy: 'persistent' }] }),
  );
  await step('a scenario whose target does not parse', ['run', join(inputs, 'bad-port.json')], 2);
  await step('a scenario whose target is ftp', ['run', join(inputs, 'ftp.json')], 2);
  await step('a scenario', ['run', join(inputs, 'good.json'), '--json', out('scenario.json'), ...outputs('scenario')], 0);
  await step('report', ['report', out('a.json'), ...outputs('report')], 0);
  // a result saved by an older connload, the password still in it: reading it back shows it no more
  const older = join(inputs, 'older.json');
  await writeFile(older, (await readFile(out('a.json'), 'utf8')).replaceAll('tester:redacted@', `tester:${PASSWORD}@`));
  expect(await readFile(older, 'utf8')).toContain(PASSWORD);
  await step('report of an older result', ['report', older, ...outputs('older')], 0);
  await step('compare with an older result', ['compare', older, out('a.json')], 0);
  await step('merge with an older result', ['merge', older, out('a.json'), '-o', out('older-merged.json')], 0);
  await step('merge', ['merge', out('a.json'), out('c.json'), '-o', out('merged.json'), ...outputs('merged')], 1); // c.json's threshold fails on the merged data too
  await step('compare', ['compare', out('a.json'), out('merged.json')], 0);
  await step('probe, json to a file', ['probe', url, '--timeout', '2s', '--idle-max', '1s', '--json', out('probe.json')], 0);
  await step('probe, json to stdout', ['probe', url, '--timeout', '2s', '--idle-max', '1s', '--json', '-'], 0);
  await step('probe a closed port', ['probe', `http://tester:${PASSWORD}@127.0.0.1:${await closedPort()}/`, '--timeout', '1s'], 3);

  // The outputs were written (so the search below searched something) and show the redacted URL.
  const files = await filesUnder(dir);
  for (const name of [
    'older.html',
    'older-merged.json',
    'scenario.json',
    'scenario.html',
    'a.json',
    'a.html',
    'a.xml',
    'b.html',
    'report.html',
    'report.xml',
    'merged.json',
    'merged.html',
    'merged.xml',
    'probe.json',
    'step-summary.md',
  ]) {
    expect(files, name).toContain(out(name));
  }
  expect(files.some((f) => f.startsWith(out('a-hgrm')))).toBe(true);
  expect((JSON.parse(await readFile(out('a.json'), 'utf8')) as ResultDocument).target.url).toBe(`http://tester:redacted@127.0.0.1:${port}/`);
  expect(results.find(([l]) => l === 'run against a closed port')![1].stderr).toMatch(/cannot reach http:\/\/tester:redacted@127\.0\.0\.1:\d+\//);

  const leaks: string[] = [];
  for (const [label, r] of results) {
    if (r.stdout.includes(PASSWORD)) leaks.push(`${label}: stdout`);
    if (r.stderr.includes(PASSWORD)) leaks.push(`${label}: stderr`);
  }
  for (const file of files) {
    const bytes = await readFile(file);
    if (bytes.includes(PASSWORD) || bytes.includes(encodeURIComponent(PASSWORD))) leaks.push(file);
  }
  expect(leaks).toEqual([]);
});
