// Pipelining and retries seen from the server's side of the wire: raw `net`
// servers that record what arrives and misbehave on purpose.
import { afterEach, describe, expect, it } from 'vitest';
import { rawServer, recordsPipelining, scripted, type RawServer } from '../helpers/raw-server.js';
import { runJson } from '../helpers/cli.js';

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ok = (body: string, extra = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('pipeline on the wire', () => {
  it.each([3, 8])('a connection really has --depth %i requests in flight', async (depth) => {
    const s = await recordsPipelining();
    servers.push(s);
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'pipeline', '--depth', String(depth), '-c', '1', '-n', String(depth * 3)]);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(depth * 3);
    expect(s.stats.connections).toBe(1);
    expect(s.stats.maxInFlight).toBe(depth);
  });

  it('persistent sends one request at a time', async () => {
    const s = await recordsPipelining();
    servers.push(s);
    await runJson(['run', `${s.url}/`, '-s', 'persistent', '-c', '1', '-n', '5']);
    expect(s.stats.maxInFlight).toBe(1);
  });

  it('after the server closes mid-pipeline, unanswered idempotent requests are retried once on a new connection', async () => {
    // Each connection answers three requests, the third with Connection: close, and closes;
    // requests pipelined behind them got no answer and go again on a new connection.
    const s = await scripted([ok('a'), ok('b'), ok('c', 'Connection: close\r\n')]);
    servers.push(s);
    const { result } = await runJson(['run', `${s.url}/`, '-s', 'pipeline', '--depth', '4', '-c', '1', '-n', '6']);
    const p = result.phases[0];
    expect(p.requests.completed, JSON.stringify(p.errors)).toBe(6);
    expect(p.requests.errors).toBe(0);
    expect(p.requests.retried).toBeGreaterThanOrEqual(1);
    expect(p.requests.retried).toBeLessThanOrEqual(3);
    expect(p.connections.staleReuse).toBe(0); // the server said it would close: not stale
    expect(p.connections.opened).toBe(2);
    expect(s.stats.connections).toBe(2);
  });

  it('a request retried once is not retried again: it fails with the code of the close', async () => {
    // Every connection answers one request and closes without saying so.
    const s = await scripted([ok('a')]);
    servers.push(s);
    const { result } = await runJson(['run', `${s.url}/`, '-s', 'pipeline', '--depth', '3', '-c', '1', '-n', '6']);
    const p = result.phases[0];
    expect(p.requests.completed + p.requests.errors).toBe(6);
    expect(p.errors['server-closed']).toBe(p.requests.errors);
    expect(p.requests.errors).toBeGreaterThan(0);
    expect(s.stats.requests).toBeLessThanOrEqual(6 * 2); // nothing was sent a third time
  });
});

describe('a server that stops listening mid-run', () => {
  it('counts each request that could not get a connection once, by code', async () => {
    let accepted = 0;
    const s: RawServer = await rawServer((socket, ctx) => {
      ctx.onRequest(() => ctx.answer(ok('x', 'Connection: close\r\n')));
      // After five connections nobody listens any more: the next connects are refused.
      if (++accepted === 5) s.stopListening();
    });
    servers.push(s);
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'new-connection', '-c', '1', '-n', '20']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(5);
    expect(p.errors).toEqual({ ECONNREFUSED: 15 });
    expect(p.requests.errors).toBe(15);
    expect(p.connections.failed).toBe(15);
    expect(p.connections.failedByCode).toEqual({ ECONNREFUSED: 15 });
  });
});
