// What a worker thread loads: only what a run needs. The plan builder, the validators, the
// reports and the CLI stay in the main thread; so does hdr-histogram-js (2-3 MB of RSS per
// thread): workers record and encode their histograms themselves (src/metrics/histogram.ts).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';

const HOOK = fileURLToPath(new URL('../helpers/package-loads.cjs', import.meta.url));

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ h2c: true }); // HTTP/1.x and cleartext HTTP/2 on one port
});

afterAll(async () => {
  await server?.close();
});

/** The packages each thread of the CLI loaded, as test/helpers/package-loads.cjs reported them. */
function packagesByThread(stderr: string): { main: string[]; workers: string[][] } {
  const threads = new Map<string, string[]>();
  for (const [, thread, what] of stderr.matchAll(/^\[package-loads (main|worker \d+)\] (\S+)$/gm)) {
    if (!threads.has(thread!)) threads.set(thread!, []);
    if (what !== 'started') threads.get(thread!)!.push(what!);
  }
  const { main = [], ...rest } = Object.fromEntries(threads);
  return { main, workers: Object.values(rest) };
}

describe('worker threads', () => {
  it.for(['persistent', 'new-connection', 'multiplex'])("load none of the main thread's packages (%s, 2 workers)", async (strategy) => {
    const r = await runCli(['run', server.url, '-s', strategy, '-n', '200', '-c', '2', '--workers', '2', '--quiet'], {
      env: { NODE_OPTIONS: `--require ${HOOK}` },
    });
    expect(r.code, r.stderr).toBe(0);
    const { main, workers } = packagesByThread(r.stderr);
    // The hook ran in every thread: the main one loaded the CLI's packages, and both workers started.
    expect(main).toEqual(expect.arrayContaining(['yargs', 'cli-table3', 'hdr-histogram-js']));
    expect(workers).toHaveLength(2);
    expect(workers).toEqual([[], []]);
  });
});
