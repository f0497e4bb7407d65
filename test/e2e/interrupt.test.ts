// Ctrl-C during a run: the built CLI gets SIGINT once it has done some requests, stops,
// writes the tables, --json, --html and --hgrm with what was measured, and exits 130.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { parseHgrm } from '../../src/report/hgrm.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const REQUESTS_BEFORE_CTRL_C = 100;
const POLL_MS = 20;

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'connload-interrupt-'));
  server = await startServer({});
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('writes a valid partial result, the HTML and .hgrm files, and exits 130', async () => {
  const json = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  const hgrm = join(dir, 'hgrm');
  let child: ChildProcess | undefined;
  let signalled = false;
  // Bounded by time and count: 30 s at 500 req/s, at most 15,000 requests if SIGINT were lost.
  const run = runCli(['run', `${server.url}/`, '--rate', '500', '-d', '30s', '-c', '4', '--json', json, '--html', html, '--hgrm', hgrm], {
    onSpawn: (c) => (child = c),
  });
  const poll = setInterval(() => {
    if (signalled || server.stats().requests <= REQUESTS_BEFORE_CTRL_C) return;
    signalled = true;
    child!.kill('SIGINT');
  }, POLL_MS);
  const r = await run.finally(() => clearInterval(poll));

  expect(signalled, r.stderr).toBe(true);
  expect(r.signal).toBeNull();
  expect(r.code, r.stderr).toBe(130);
  expect(r.stderr).toContain('interrupted: the partial report was written');
  expect(r.stdout).toContain('Phase persistent');
  expect(r.stdout).toContain('Interrupted: the numbers above cover the part of the run that was done.');

  const doc = JSON.parse(await readFile(json, 'utf8')) as ResultDocument;
  assertValidResult(doc);
  expect(doc.interrupted).toBe(true);
  expect(doc.ok).toBe(false);
  const phase = doc.phases[0]!;
  expect(phase.interrupted).toBe(true);
  // The server had answered more than 100; at most one response per connection (-c 4) was still on its way.
  expect(phase.requests.completed).toBeGreaterThanOrEqual(REQUESTS_BEFORE_CTRL_C + 1 - 4);
  // Every completed request was answered by the server; the run stopped well before 15,000.
  expect(phase.requests.completed).toBeLessThanOrEqual(server.stats().requests);
  expect(phase.requests.completed).toBeLessThan(15_000);
  expect(phase.durationMs).toBeLessThan(30_000);
  expect(phase.metrics.latency!.count).toBe(phase.requests.completed);

  const page = await readFile(html, 'utf8');
  expect(page).toMatch(/^<!DOCTYPE html>/);
  expect(page).toContain('interrupted');
  const files = await readdir(hgrm);
  expect(files).toContain('persistent.latency.hgrm');
  const rows = parseHgrm(await readFile(join(hgrm, 'persistent.latency.hgrm'), 'utf8'));
  expect(rows.at(-1)!.totalCount).toBe(phase.requests.completed);
});
