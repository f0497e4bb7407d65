// Issue 19: every request handed out and every connection opened ends exactly
// one way, for every strategy, whether the run stops at its request budget, at
// its duration (requests in flight: unfinished; connections open: stoppedAtEnd)
// or at the end of an open-model schedule, and with a server that resets.
import { afterEach, describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../src/metrics/result.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const STRATEGIES = ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'] as const;
const servers: RunningServer[] = [];

async function server(strategy: string, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer({ h2c: strategy === 'multiplex', ...options });
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function expectAccounted(p: PhaseResult, what: string): void {
  const r = p.requests;
  const c = p.connections;
  expect(r.sent, `${what}: sent ${JSON.stringify(r)}`).toBe(r.completed + r.errors + r.dropped + (r.unfinished ?? 0));
  const ends = c.closedByServer + c.closedByClient + c.resetByServer + c.resetByClient + c.closedByTimeout + (c.stoppedAtEnd ?? 0);
  expect(ends, `${what}: opened ${JSON.stringify(c)}`).toBe(c.opened);
}

describe.each(STRATEGIES)('%s: sent and opened add up', (strategy) => {
  it('at the request budget', async () => {
    const s = await server(strategy);
    const { result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '3', '-n', '300']);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests).toMatchObject({ sent: 300, completed: 300, unfinished: 0 });
    expectAccounted(p, 'budget');
  });

  it('at the duration, with requests in flight on slow responses', async () => {
    // Responses take 50 ms: the duration ends with requests in flight on every connection.
    const s = await server(strategy, { latencyMs: 50 });
    const { result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '3', '-n', '100000', '-d', '300ms']);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.unfinished).toBeGreaterThan(0);
    expect(p.requests.completed).toBeLessThan(100000);
    expectAccounted(p, 'duration');
  });

  it('at the end of an open-model schedule, and with a server that resets', async () => {
    const s = await server(strategy, { faults: { truncate: 0, reset: 0.2, stall: 0, malformed: 0 } });
    const { result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '3', '--rate', '400', '-n', '100', '-d', '2s']);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.sent).toBe(100);
    // Resets on a reused connection are retried (4.7.3) and may then succeed: some were met either way.
    expect(p.requests.errors + p.requests.retried).toBeGreaterThan(0);
    expectAccounted(p, 'open model');
  });
});

describe('byStatus', () => {
  it('sums to completed, statuses of 600 and above included', async () => {
    const { rawServer } = await import('../helpers/raw-server.js');
    let n = 0;
    const s = await rawServer((_socket, ctx) => {
      ctx.onRequest(() => ctx.answer(`HTTP/1.1 ${[200, 404, 799][n++ % 3]} X\r\nContent-Length: 2\r\n\r\nok`));
    });
    try {
      const { result } = await runJson(['run', s.url, '-c', '1', '-n', '30']);
      const p = result.phases[0]!;
      expect(p.requests.byStatus).toEqual({ '200': 10, '404': 10, '799': 10 });
      expectAccounted(p, 'statuses');
    } finally {
      await s.close();
    }
  });
});

describe('bytes nobody asked for', () => {
  it('on an idle connection: the client closes it and says why (closedOnError), no request is failed', async () => {
    const { rawServer, okResponse } = await import('../helpers/raw-server.js');
    const s = await rawServer((socket, ctx) => {
      ctx.onRequest(() => {
        ctx.answer(okResponse('ok', ['Connection: keep-alive']));
        setTimeout(() => socket.destroyed || socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno'), 30);
      });
    });
    try {
      const { result } = await runJson(['run', s.url, '-s', 'persistent', '--rate', '5', '--max-connections', '1', '-n', '3']);
      const p = result.phases[0]!;
      expect(p.requests.completed).toBe(3);
      expect(p.requests.errors).toBe(0);
      // The last connection may end with the run before its unasked bytes come.
      const closed = p.connections.closedOnError?.['parse-error'] ?? 0;
      expect(closed).toBeGreaterThanOrEqual(2);
      expect(p.connections.closedByClient).toBe(closed);
      expectAccounted(p, 'unsolicited');
    } finally {
      await s.close();
    }
  });
});
