// A connection per request stays a new TCP connection per request although connload
// connects a closed socket object again instead of building a new one. A raw server
// counts what arrives on each accepted connection; some connections fail on purpose,
// so sockets that ended in an error are seen not to come back.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runJson } from '../helpers/cli.js';

interface Counting {
  url: string;
  /** requests seen on each accepted connection, in accept order */
  perConnection: number[];
  close(): Promise<void>;
}

const RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n';

/** Answers every request; closes when the request says `Connection: close`. Every `resetEvery`-th
 *  connection is reset before it answers (0: never). */
async function countingServer(resetEvery = 0): Promise<Counting> {
  const perConnection: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const index = perConnection.push(0) - 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end).toLowerCase();
        buffered = buffered.slice(end + 4);
        perConnection[index]!++;
        if (resetEvery > 0 && (index + 1) % resetEvery === 0) {
          socket.resetAndDestroy();
          return;
        }
        const close = head.includes('\r\nconnection: close');
        socket.write(`${RESPONSE}${close ? 'Connection: close\r\n' : ''}\r\nok`);
        if (close) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    perConnection,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const servers: Counting[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(resetEvery = 0): Promise<Counting> {
  const s = await countingServer(resetEvery);
  servers.push(s);
  return s;
}

describe('new-connection: one TCP connection per request', () => {
  it.each([
    ['server', 'closedByServer'],
    ['client', 'closedByClient'],
    ['reset', 'resetByClient'],
  ] as const)('--close %s: every request on a connection of its own, each closed as asked', async (close, counter) => {
    const s = await start();
    const { code, result } = await runJson(['run', s.url, '-s', 'new-connection', '--close', close, '-c', '3', '-n', '150']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(150);
    expect(p.connections.opened).toBe(150);
    expect(p.connections[counter]).toBe(150);
    expect(p.metrics.connect!.count).toBe(150);
    expect(s.perConnection).toHaveLength(150);
    expect(s.perConnection.every((n) => n === 1)).toBe(true);
  });

  it('connections that fail between clean ones are counted once each, and the next ones still work', async () => {
    const s = await start(4); // every 4th connection is reset before its answer
    const { code, result } = await runJson(['run', s.url, '-s', 'new-connection', '-c', '2', '-n', '200']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed + p.requests.errors).toBe(200);
    expect(p.errors.ECONNRESET).toBe(50);
    expect(p.requests.completed).toBe(150);
    expect(p.connections.opened).toBe(200);
    expect(p.connections.resetByServer).toBe(50);
    expect(p.connections.closedByServer).toBe(150);
    expect(s.perConnection).toHaveLength(200);
    expect(s.perConnection.every((n) => n === 1)).toBe(true);
  });

  it('a host name is looked up for every connection, also on a socket connected again', async () => {
    const s = await start();
    const url = s.url.replace('127.0.0.1', 'localhost');
    const { code, result } = await runJson(['run', url, '-s', 'new-connection', '-c', '2', '-n', '40']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(40);
    expect(p.metrics.dns!.count).toBe(40);
    expect(p.metrics.connect!.count).toBe(40);
    expect(s.perConnection).toHaveLength(40);
  });
});
