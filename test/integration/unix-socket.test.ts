// --unix-socket: every strategy sends the URL's requests over a local socket (a server behind a
// sidecar or a local reverse proxy). The built-in server listening on a Unix socket counts what it
// answers; bad paths are one line and exit 2, before anything is sent.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';

let dir: string;
let server: RunningServer | null = null;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'connload-unix-'));
});
afterEach(async () => {
  await server?.close();
  server = null;
  await rm(dir, { recursive: true, force: true });
});

describe('--unix-socket', () => {
  it.for([
    ['persistent', []],
    ['new-connection', []],
    ['http10-keepalive', []],
    ['pipeline', ['--depth', '4']],
    ['multiplex', ['--streams', '4']],
  ] as const)('%s sends every request over the socket', async ([strategy, extra]) => {
    const socket = path.join(dir, 'app.sock');
    server = await startServer({ unix: socket, h2c: true });
    const { code, result, stderr } = await runJson(['run', `${server.url}/`, '--unix-socket', socket, '-s', strategy, '-c', '2', '-n', '200', ...extra]);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(200);
    expect(p.requests.errors).toBe(0);
    expect(server.stats().requests).toBe(200);
    expect(p.connections.opened).toBe(server.stats().connections);
    expect(p.options.unixSocket).toBe(socket);
    expect(result.target.address).toBe(socket);
    // No TCP, so no TIME_WAIT and no local ports to count.
    expect(p.ports.supported).toBe(false);
  });

  it('a path that does not exist is one line, exit 2, nothing sent', async () => {
    const missing = path.join(dir, 'missing.sock');
    const r = await runCli(['run', 'http://localhost/', '--unix-socket', missing, '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`connload: --unix-socket: expected a Unix domain socket, ${JSON.stringify(missing)} is no such file`);
  });

  it('a path that is not a socket is one line, exit 2', async () => {
    const file = path.join(dir, 'plain.txt');
    await writeFile(file, 'not a socket');
    const r = await runCli(['run', 'http://localhost/', '--unix-socket', file, '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--unix-socket: expected a Unix domain socket, ${JSON.stringify(file)} is a regular file`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('connload serve --unix listens on the socket and says how to reach it', async () => {
    const socket = path.join(dir, 'serve.sock');
    const r = await runCli(['serve', '--unix', socket], {
      killAfterMs: 20_000,
      onSpawn: (child) => {
        let out = '';
        child.stdout!.on('data', (d: string) => {
          out += d;
          if (out.includes('listening on')) child.kill('SIGINT');
        });
      },
    });
    expect(r.stdout).toContain(`listening on ${socket} (connload run http://localhost/ --unix-socket ${socket})`);
  });
});
