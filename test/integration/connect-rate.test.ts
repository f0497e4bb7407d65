// --connect-rate: new connections per second as a knob of their own. A server that notes when it
// accepts each connection (and answers after 200 ms, so a pool stays busy) is the ground truth.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runJson } from '../helpers/cli.js';

interface Accepting {
  url: string;
  /** ms since the first accept, of each accepted connection */
  acceptedMs: number[];
  close(): Promise<void>;
}

async function slowServer(): Promise<Accepting> {
  const acceptedMs: number[] = [];
  let firstMs = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const now = performance.now();
    if (acceptedMs.length === 0) firstMs = now;
    acceptedMs.push(now - firstMs);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        buffered = buffered.slice(end + 4);
        setTimeout(() => socket.destroyed || socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 200);
      }
    });
  });
  server.maxConnections = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    acceptedMs,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const servers: Accepting[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('--connect-rate', () => {
  it('--connect-rate 100 -c 500 -s persistent: the pool reaches 500 open connections at 5 s', async () => {
    const s = await slowServer();
    servers.push(s);
    const { code, result } = await runJson(['run', s.url, '-s', 'persistent', '-c', '500', '--connect-rate', '100', '-d', '6s']);
    expect(code).toBe(0);
    expect(s.acceptedMs).toHaveLength(500);
    // Connection k opens at k / 100 s: the 500th at 4.99 s after the first.
    expect(Math.abs(s.acceptedMs[499]! - 4990)).toBeLessThan(300);
    // Evenly: about 100 in each second.
    for (let second = 0; second < 4; second++) {
      const inSecond = s.acceptedMs.filter((ms) => ms >= second * 1000 && ms < (second + 1) * 1000).length;
      expect(Math.abs(inSecond - 100)).toBeLessThanOrEqual(10);
    }
    expect(result.phases[0].options.connectRate).toBe(100);
    expect(result.phases[0].connections.opened).toBe(500);
  });

  it('paces new-connection too', async () => {
    const s = await slowServer();
    servers.push(s);
    const { code } = await runJson(['run', s.url, '-s', 'new-connection', '-c', '20', '--connect-rate', '50', '-n', '100']);
    expect(code).toBe(0);
    expect(s.acceptedMs).toHaveLength(100);
    expect(Math.abs(s.acceptedMs[99]! - 1980)).toBeLessThan(300);
  });

  it('a rate that is not a positive number is refused: one line, exit 2', async () => {
    const r = await runCli(['run', 'http://127.0.0.1:9/', '--connect-rate', '0', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--connect-rate: expected a number of new connections per second > 0, got 0');
  });
});
