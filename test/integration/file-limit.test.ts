// Out of file descriptors: with the open-file limit lowered to 100 (prlimit, util-linux), a pool of
// 300 connections cannot be opened whole. The failures are counted as EMFILE, the run goes on with
// the connections it has, and one note gives the limit and how to raise it.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('EMFILE', () => {
  it('is counted, never a crash, and the note names the limit and ulimit -n', async () => {
    server = await startServer();
    const { code, result, stderr } = await runJson(['run', `${server.url}/`, '-c', '300', '-n', '2000'], { prefix: ['prlimit', '--nofile=100:100'] });
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    const p = result.phases[0];
    const failed = p.connections.failedByCode.EMFILE;
    expect(failed).toBeGreaterThan(0);
    expect(p.errors.EMFILE).toBe(failed);
    expect(p.requests.completed + p.requests.errors).toBe(2000);
    expect(p.requests.completed).toBe(server.stats().requests);
    expect(p.notes).toContain(
      `the process ran out of file descriptors: ${failed} connections could not be opened (EMFILE); the limit is 100 open files: raise it with \`ulimit -n 400\` before the run. Each open connection holds one.`,
    );
  });
});
