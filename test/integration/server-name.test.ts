// connload serve --name: a backend names itself in X-Served-By on every HTTP/1 response, so a
// test behind a balancer knows which backend answered; a name that is no header value is refused.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function get(port: number, requests: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if ((text.match(/HTTP\/1\.1 200/g) ?? []).length === requests && text.endsWith('\r\n\r\n') === false) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
    socket.write('GET /?size=0 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(requests - 1) + 'GET /?size=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  });
}

describe('serve --name', () => {
  it('sends X-Served-By on every response', async () => {
    server = await startServer({ name: 'backend-b' });
    const text = await get(server.port, 3);
    expect(text.match(/\r\nX-Served-By: backend-b\r\n/g)).toHaveLength(3);
  });

  it('refuses a name that cannot be a header value: one line, exit 2', async () => {
    const r = await runCli(['serve', '--port', '0', '--name', 'a\r\nInjected: 1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--name: expected 1-64 letters, digits or . _ - (a header value)');
  });
});
