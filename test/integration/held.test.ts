// --interval (held connections), end to end on loopback: every keep-alive strategy sends one request
// per interval on each connection, as the server counts them; a server that closes some connections
// and then stops listening shows up in the held summary as closed and refused, and when.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';
import { okResponse, rawServer, type RawServer } from '../helpers/raw-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

describe('--interval: held connections', () => {
  // 4 connections, a request every 250 ms for 1.15 s: slots at 0, 250, 500, 750 and 1000 ms, five each.
  for (const strategy of ['persistent', 'http10-keepalive', 'pipeline', 'multiplex'] as const) {
    it(`${strategy}: each connection sends one request per interval, and no more, as the server counts them`, async () => {
      const server: RunningServer = await startServer({ h2c: true, keepAliveTimeoutMs: null });
      cleanups.push(() => server.close());
      const { code, result } = await runJson([
        'run',
        `${server.url}/`,
        '-s',
        strategy,
        '-c',
        '4',
        '--interval',
        '250ms',
        '-d',
        '1.15s',
        '--depth',
        '4',
        '--streams',
        '4',
      ]);
      expect(code).toBe(0);
      const p = result.phases[0]!;
      const stats = server.stats();
      expect(stats.connections).toBe(4);
      expect(p.connections.opened).toBe(4);
      expect(p.requests.completed).toBe(stats.requests);
      // Never more than one per slot; the last slot may be cut off on a slow machine.
      expect(p.requests.sent).toBeLessThanOrEqual(20);
      expect(p.requests.sent).toBeGreaterThanOrEqual(16);
      expect(p.connections.requestsPerConnection.max).toBeLessThanOrEqual(5);
      if (strategy === 'multiplex') expect(stats.peakStreamsPerSession).toBe(1);
      expect(p.held).toMatchObject({ intervalMs: 250, connections: 4, peakOpen: 4, openAtEnd: 4, closedByServer: 0, failed: {} });
      expect(p.options.intervalMs).toBe(250);
    });
  }

  it('counts the connections the server closed and the connects it refused, and when', async () => {
    // Every 10th connection is closed after its first answer; at 1.3 s the server stops listening and
    // closes 5 more (a server going away): their lanes try again at each slot and are refused.
    const open = new Set<Socket>();
    let closedByServer = 0;
    let drain: NodeJS.Timeout | undefined;
    const server: RawServer = await rawServer((socket, ctx) => {
      // 1.3 s after the first connection (connload's start-up is not the phase).
      drain ??= setTimeout(() => {
        server.stopListening();
        for (const s of [...open].filter((s) => !s.writableEnded).slice(0, 5)) {
          closedByServer++;
          s.end();
        }
      }, 1300);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      ctx.onRequest(() => {
        ctx.answer(okResponse());
        if (ctx.connectionIndex % 10 === 9 && open.has(socket) && !socket.writableEnded) {
          closedByServer++;
          socket.end();
        }
      });
    });
    cleanups.push(() => {
      clearTimeout(drain);
      return server.close();
    });
    const { code, result } = await runJson(['run', `${server.url}/`, '-c', '30', '--interval', '300ms', '-d', '2.5s', '-t', 'held.openAtEnd >= 30']);
    const p = result.phases[0]!;
    // A C10K gate: the server did not keep them all.
    expect(code).toBe(1);
    expect(p.thresholds).toEqual([{ expression: 'held.openAtEnd >= 30', ok: false, actual: 25 }]);
    const held = p.held!;
    // What the server did, as it counted it.
    expect(server.stats.connections).toBe(33); // 30, and 3 replacing the ones closed after their first answer
    expect(p.connections.opened).toBe(server.stats.connections);
    expect(closedByServer).toBe(8);
    expect(held.closedByServer).toBe(closedByServer);
    expect(held.resetByServer).toBe(0);
    expect(held.closedFirstSecond).toBe(0);
    expect(held.closedLastSecond).toBe(1);
    expect(held.peakOpen).toBe(30);
    expect(held.openAtEnd).toBe(25);
    // Each of the 5 lanes tries once per slot after 1.3 s (1.5, 1.8, 2.1, 2.4 s), never more often.
    const refused = held.failed.ECONNREFUSED!;
    expect(refused.count).toBeGreaterThanOrEqual(5);
    expect(refused.count).toBeLessThanOrEqual(20);
    expect(refused.firstSecond).toBe(1);
    expect(p.connections.failedByCode).toEqual({ ECONNREFUSED: refused.count });
    expect(p.errors.ECONNREFUSED).toBe(refused.count);
    // The series says when, second by second.
    expect(p.series.map((s) => s.closedByServer ?? 0).reduce((a, b) => a + b, 0)).toBe(8);
    expect(p.series.map((s) => s.connectFailed ?? 0).reduce((a, b) => a + b, 0)).toBe(refused.count);
    expect(p.series[0]!.connectFailed).toBe(0);
  });

  it('refuses what cannot hold connections, in one line, exit 2', async () => {
    const r = await runCli(['run', 'http://127.0.0.1:9/', '-s', 'new-connection', '--interval', '1s', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--interval: new-connection opens a connection per request, so none is held');
    expect(r.stderr).toContain('pace new connections with --connect-rate');
    const open = await runCli(['run', 'http://127.0.0.1:9/', '--interval', '1s', '--rate', '100', '-n', '1']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--interval: held connections run in the closed model (each sends a request every interval); drop --rate or --interval');
  });
});
