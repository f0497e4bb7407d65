// Every HTTP/1.x strategy against the built-in server, whose counts are the
// ground truth. Runs are bounded by request count.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const HTTP1 = ['new-connection', 'http10-keepalive', 'persistent', 'pipeline'] as const;
const servers: RunningServer[] = [];

async function server(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(HTTP1)('%s', (strategy) => {
  it('opens exactly the connections the server accepted, and sends exactly the requests it answered', async () => {
    const s = await server();
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '4', '-n', '400']);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.strategy).toBe(strategy);
    expect(p.requests.completed).toBe(400);
    expect(p.requests.errors).toBe(0);
    expect(p.requests.byStatus).toEqual({ '200': 400 });
    expect(p.connections.opened).toBe(s.stats().connections);
    expect(s.stats().requests).toBe(400);
    if (strategy === 'new-connection') {
      expect(p.connections.opened).toBe(400);
      expect(p.connections.reuseRatio).toBe(0);
      expect(p.connections.closedByServer).toBe(400);
      expect(p.metrics.connect!.count).toBe(400);
    } else {
      expect(p.connections.opened).toBe(4);
      expect(p.connections.reuseRatio).toBe(0.99);
      expect(p.metrics.connect!.count).toBe(4);
    }
    for (const m of ['connect', 'wait', 'ttfb', 'download', 'latency'] as const) expect(p.metrics[m]!.count).toBeGreaterThan(0);
    expect(p.metrics.ttfb!.count).toBe(400);
    expect(p.metrics.ttfbNew!.count + (p.metrics.ttfbReused?.count ?? 0)).toBe(400);
    expect(p.metrics.tls).toBeUndefined();
    expect(p.metrics.dns).toBeUndefined(); // the target is an address: no lookup
  });

  it('counts a malformed status line as parse-error, a cut body as truncated and a reset as ECONNRESET', async () => {
    for (const [fault, code] of [
      ['malformed', 'parse-error'],
      ['truncate', 'truncated'],
      ['reset', 'ECONNRESET'],
    ] as const) {
      const s = await server({ faults: { truncate: 0, reset: 0, stall: 0, malformed: 0, [fault]: 1 } });
      const { code: exit, result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '2', '-n', '20']);
      expect(exit, fault).toBe(0);
      const p = result.phases[0];
      expect(p.requests.completed, fault).toBe(0);
      expect(p.errors[code], `${fault}: ${JSON.stringify(p.errors)}`).toBe(20);
      expect(p.requests.errors).toBe(20);
    }
  });
});

describe('connection reuse rules', () => {
  it('with --keepalive-max 5 on the server, 200 persistent requests take exactly 40 connections (reuse 0.8)', async () => {
    // One connection per worker, so no connection is cut short by the end of the budget.
    for (const workers of ['1', '2']) {
      const s = await server({ keepAliveMax: 5 });
      const { result } = await runJson(['run', `${s.url}/`, '-c', workers, '-n', '200', '--workers', workers]);
      const p = result.phases[0];
      expect(p.requests.completed).toBe(200);
      expect(p.connections.opened).toBe(40);
      expect(s.stats().connections).toBe(40);
      expect(p.connections.reuseRatio).toBe(0.8);
      expect(p.connections.requestsPerConnection.max).toBe(5);
      expect(p.connections.requestsPerConnection.mean).toBe(5);
      expect(p.connections.keepAliveHeader).toMatch(/max=5/);
      expect(p.connections.closedByServer).toBe(40);
      expect(p.requests.retried).toBe(0);
    }
  });

  it('HTTP/1.0 Keep-Alive is reused only when the server answers Keep-Alive', async () => {
    const honours = await server({ http10KeepAlive: true });
    const yes = (await runJson(['run', `${honours.url}/`, '-s', 'http10-keepalive', '-c', '2', '-n', '100'])).result.phases[0];
    expect(yes.connections.opened).toBe(2);
    expect(yes.connections.reuseRatio).toBe(0.98);
    const ignores = await server({ http10KeepAlive: false });
    const no = (await runJson(['run', `${ignores.url}/`, '-s', 'http10-keepalive', '-c', '2', '-n', '100'])).result.phases[0];
    expect(no.requests.completed).toBe(100);
    expect(no.connections.opened).toBe(100);
    expect(ignores.stats().connections).toBe(100);
    expect(no.connections.reuseRatio).toBe(0);
  });

  it('--max-requests-per-connection retires connections by the close policy', async () => {
    for (const [close, field] of [
      ['server', 'closedByServer'],
      ['client', 'closedByClient'],
      ['reset', 'resetByClient'],
    ] as const) {
      const s = await server();
      const p = (await runJson(['run', `${s.url}/`, '-c', '1', '-n', '60', '--max-requests-per-connection', '10', '--close', close])).result.phases[0];
      expect(p.requests.completed, close).toBe(60);
      expect(p.connections.opened, close).toBe(6);
      expect(p.connections[field], `${close}: ${JSON.stringify(p.connections)}`).toBe(6);
    }
  });

  it('results with one and with several workers agree', async () => {
    const runs = [];
    for (const workers of ['1', '3']) {
      const s = await server();
      const p = (await runJson(['run', `${s.url}/`, '-c', '3', '-n', '600', '-w', workers, '--max-requests-per-connection', '10'])).result.phases[0];
      expect(p.connections.opened).toBe(s.stats().connections);
      runs.push(p);
    }
    const [one, three] = runs;
    expect(three.requests.completed).toBe(600);
    expect(one.requests.completed).toBe(600);
    expect(three.metrics.ttfb!.count).toBe(one.metrics.ttfb!.count);
    expect(three.metrics.latency!.count).toBe(600);
    // 60 connections of 10 requests; a lane may end with a part-used connection.
    for (const p of runs) {
      expect(p.connections.opened).toBeGreaterThanOrEqual(60);
      expect(p.connections.opened).toBeLessThanOrEqual(63);
      expect(p.metrics.connect!.count).toBe(p.connections.opened);
      expect(p.connections.requestsPerConnection.max).toBe(10);
    }
  });
});

describe('timing', () => {
  it('ttfb against a server with 20 ms of latency has a median within 2 ms of 20 ms', async () => {
    const s = await server({ latencyMs: 20 });
    const p = (await runJson(['run', `${s.url}/`, '-c', '2', '-n', '60'])).result.phases[0];
    expect(p.metrics.ttfb!.p50).toBeGreaterThanOrEqual(19.5);
    expect(p.metrics.ttfb!.p50).toBeLessThanOrEqual(22);
    expect(p.metrics.wait!.p50).toBeGreaterThanOrEqual(19.5);
    expect(p.metrics.latency!.p50).toBeGreaterThanOrEqual(p.metrics.ttfb!.p50);
  });

  it('counts a response that never comes as a timeout', async () => {
    const s = await server({ faults: { truncate: 0, reset: 0, stall: 1, malformed: 0 }, stallMs: 60_000 });
    const p = (await runJson(['run', `${s.url}/`, '-c', '2', '-n', '4', '--timeout', '300ms', '-s', 'new-connection'])).result.phases[0];
    expect(p.errors.timeout).toBe(4);
    expect(p.connections.closedByTimeout).toBe(4);
  });
});
