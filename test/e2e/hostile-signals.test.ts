// Signals and pipes: SIGTERM and SIGHUP stop a run as Ctrl-C does (partial report written, exit
// 143 and 129), a signal before the first phase is exit 130 with ok:false, a second signal ends the
// process at once, and a reader that went away (EPIPE on stdout) ends nothing but the stdout output.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { neverReplies, type RawServer } from '../helpers/raw-server.js';
import { assertValidResult } from '../helpers/schema.js';

const POLL_MS = 20;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-signals-'));
  server = await startServer({});
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function expectNoTrace(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/internal error|EPIPE|Unhandled/);
}

/** Runs an open-model load (bounded: 30 s at 500 req/s) and sends `signal` once the server answered `after` requests. */
async function signalledRun(signal: NodeJS.Signals, json: string, after = 50): Promise<CliResult> {
  let child: ChildProcess | undefined;
  let sent = false;
  const before = server.stats().requests;
  const run = runCli(['run', `${server.url}/`, '--rate', '500', '-d', '30s', '-c', '2', '--json', json], { onSpawn: (c) => (child = c) });
  const poll = setInterval(() => {
    if (sent || server.stats().requests - before <= after) return;
    sent = true;
    process.kill(child!.pid!, signal);
  }, POLL_MS);
  const r = await run.finally(() => clearInterval(poll));
  expect(sent, r.stderr).toBe(true);
  return r;
}

describe('SIGTERM and SIGHUP stop a run as Ctrl-C does', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s: the partial report is written and the exit code is %i', async (signal, code) => {
    const json = join(dir, `${signal}.json`);
    const r = await signalledRun(signal, json);
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(`interrupted by ${signal}: the partial report was written`);
    expect(r.stdout).toContain('Interrupted: the numbers above cover the part of the run that was done.');
    expectNoTrace(r);
    const doc = JSON.parse(await readFile(json, 'utf8')) as ResultDocument;
    assertValidResult(doc);
    expect(doc.interrupted).toBe(true);
    expect(doc.ok).toBe(false);
    expect(doc.phases[0]!.requests.completed).toBeGreaterThan(0);
  });
});

describe('a signal before the first phase', () => {
  it('is exit 130 with ok:false, not exit 0', async () => {
    const json = join(dir, 'early.json');
    let child: ChildProcess | undefined;
    let sent = false;
    // The plan line is printed before the first phase starts: the signal goes then.
    const r = await runCli(['run', `${server.url}/`, '-n', '200000', '-c', '1', '--json', json], {
      onSpawn: (c) => {
        child = c;
        c.stderr!.on('data', (d: Buffer) => {
          if (!sent && d.toString().includes(' -> GET ')) {
            sent = true;
            process.kill(child!.pid!, 'SIGINT');
          }
        });
      },
    });
    expect(sent, r.stderr).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expectNoTrace(r);
    const doc = JSON.parse(await readFile(json, 'utf8')) as ResultDocument;
    assertValidResult(doc);
    expect(doc.interrupted).toBe(true);
    expect(doc.ok).toBe(false);
    expect(doc.phases.length).toBeLessThanOrEqual(1);
    expect(doc.phases.every((p) => p.interrupted)).toBe(true);
  });
});

describe('a second signal', () => {
  let silent: RawServer;
  beforeAll(async () => {
    silent = await neverReplies();
  });
  afterAll(() => silent?.close());

  it('ends the process at once while the workers wait on responses that never come', async () => {
    let child: ChildProcess | undefined;
    let sent = 0;
    const run = runCli(['run', `${silent.url}/`, '-c', '4', '-w', '2', '-d', '60s', '--timeout', '60s', '--quiet'], { onSpawn: (c) => (child = c), killAfterMs: 50_000 });
    const poll = setInterval(() => {
      if (sent > 0 || silent.stats.requests < 4) return;
      sent = 2;
      process.kill(child!.pid!, 'SIGTERM');
      process.kill(child!.pid!, 'SIGTERM');
    }, POLL_MS);
    const r = await run.finally(() => clearInterval(poll));
    expect(sent, r.stderr).toBe(2);
    expect(r.signal, 'ended by the safety SIGKILL, not by the second SIGTERM').toBeNull();
    expect(r.code, r.stderr).toBe(143);
    expectNoTrace(r);
  });
});

describe('a reader that went away (EPIPE on stdout)', () => {
  it('--json - into a closed pipe ends quietly and still writes --html and --hgrm', async () => {
    const html = join(dir, 'epipe.html');
    const hgrm = join(dir, 'epipe-hgrm');
    const r = await runCli(['run', `${server.url}/`, '-n', '300', '-c', '2', '--quiet', '--json', '-', '--html', html, '--hgrm', hgrm], {
      // `connload ... | true`: the reading end is closed before connload writes a byte.
      onSpawn: (c) => c.stdout!.destroy(),
    });
    expect(r.code, r.stderr).toBe(0);
    expectNoTrace(r);
    expect(await readFile(html, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    expect(await readdir(hgrm)).toContain('persistent.latency.hgrm');
  });
});
