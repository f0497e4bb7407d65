// --close is one table per protocol (src/transport/close-policy.ts). These runs check what each
// policy does on the wire, counted by the server: the header of the last request, who closes first
// and how (FIN or RST), and what an eviction does (the client sets an idle connection aside before
// the server's Keep-Alive timeout: no request is left to ask the server to close, so `server` and
// `client` close it with FIN, and `reset` resets it).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';

interface Ending {
  url: string;
  /** how each accepted connection ended on the server's side: the client's FIN or its RST */
  ends: Array<'fin' | 'rst' | 'open'>;
  /** Connection header of every request, in arrival order ('' when absent) */
  connectionHeaders: string[];
  close(): Promise<void>;
}

/** Answers every request with `Keep-Alive: timeout=1`, and never closes a connection itself. */
async function keepAliveServer(): Promise<Ending> {
  const ends: Ending['ends'] = [];
  const connectionHeaders: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const index = ends.push('open') - 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') ends[index] = 'rst';
    });
    socket.on('end', () => {
      if (ends[index] === 'open') ends[index] = 'fin';
      socket.end();
    });
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        connectionHeaders.push(/\r\nconnection: *([^\r]*)/i.exec(head)?.[1] ?? '');
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=1\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    ends,
    connectionHeaders,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

describe('an evicted idle connection is closed by the close policy', () => {
  // One request every 1.2 s on one connection: each finds its connection idle for longer than 0.9 x the
  // server's announced timeout (1 s), so the client evicts it and opens the next.
  const args = ['--rate', String(1 / 1.2), '--max-connections', '1', '-n', '3', '--timeout', '3s'];

  it.for([
    ['server', 'fin'],
    ['client', 'fin'],
    ['reset', 'rst'],
  ] as const)('--close %s: evicted with %s', async ([policy, how]) => {
    const s = await keepAliveServer();
    cleanups.push(() => s.close());
    const { code, result } = await runJson(['run', s.url, '-s', 'persistent', '--close', policy, ...args]);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(3);
    expect(p.requests.errors).toBe(0);
    // Three connections, one per request; the first two were evicted, the last one stopped at the end.
    expect(s.ends.length).toBe(3);
    expect(s.ends.slice(0, 2)).toEqual([how, how]);
    if (how === 'rst') {
      expect(p.connections.resetByClient).toBe(2);
      expect(p.connections.closedByClient).toBe(0);
    } else {
      expect(p.connections.closedByClient).toBe(2);
      expect(p.connections.resetByClient).toBe(0);
    }
    // An eviction happens between requests: no request asked the server to close.
    expect(s.connectionHeaders).toEqual(['', '', '']);
  });
});

describe('multiplex and --close', () => {
  let server: RunningServer;
  afterEach(async () => {
    await server.close();
  });

  it.for([
    ['client', 'closedByClient'],
    ['reset', 'resetByClient'],
  ] as const)('--close %s: sessions retired after 5 requests are counted as %s', async ([policy, counter]) => {
    server = await startServer({ h2c: true });
    const { code, result } = await runJson([
      'run',
      `${server.url}/`,
      '-s',
      'multiplex',
      '-c',
      '1',
      '--streams',
      '1',
      '--max-requests-per-connection',
      '5',
      '-n',
      '20',
      '--close',
      policy,
    ]);
    expect(code).toBe(0);
    const c = result.phases[0].connections;
    expect(result.phases[0].requests.completed).toBe(20);
    // Four sessions of five requests; each retired one ended as the policy says (the last one may end
    // so or be stopped at the end of the run).
    expect(c.opened).toBe(4);
    expect(c[counter]).toBeGreaterThanOrEqual(3);
    for (const k of (['closedByServer', 'closedByClient', 'resetByClient'] as const).filter((k) => k !== counter)) expect(c[k]).toBe(0);
    expect(server.stats().sessions).toBe(4);
  });

  it('without --close, multiplex closes retired sessions itself (client)', async () => {
    server = await startServer({ h2c: true });
    const { code, result } = await runJson(['run', `${server.url}/`, '-s', 'multiplex', '-c', '1', '--streams', '1', '--max-requests-per-connection', '5', '-n', '10']);
    expect(code).toBe(0);
    expect(result.phases[0].options.close).toBe('client');
    expect(result.phases[0].connections.closedByClient).toBeGreaterThanOrEqual(1);
    expect(result.phases[0].connections.closedByServer).toBe(0);
  });

  it('--close server is refused before anything is sent: one line, exit 2', async () => {
    server = await startServer({ h2c: true });
    const r = await runCli(['run', `${server.url}/`, '-s', 'multiplex', '--close', 'server', '-n', '10']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--close server cannot be honoured by --strategy multiplex (h2): use one of client, reset');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(server.stats().connections).toBe(0);
  });
});
