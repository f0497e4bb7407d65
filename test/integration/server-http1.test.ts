// The built-in server's HTTP/1.x behaviour, seen by node's http client and raw sockets.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { rawExchange } from '../helpers/raw-server.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, options: http.RequestOptions = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, options, (res) => {
      let text = '';
      res.setEncoding('latin1').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('built-in server, HTTP/1.1', () => {
  it('answers with Content-Length and the configured body size', async () => {
    const server = await serve({ bodySize: 1000 });
    const reply = await request(`${server.url}/`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-length']).toBe('1000');
    expect(reply.headers['content-type']).toBe('text/plain');
    expect(reply.body).toHaveLength(1000);
    expect(reply.body.startsWith('Hello, world\n')).toBe(true);
  });

  it('answers chunked to HTTP/1.1 and with Content-Length to HTTP/1.0', async () => {
    const server = await serve({ chunked: true, bodySize: 100 });
    const [r11] = (await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n', { responses: 1 })).responses;
    expect(r11!.headers['transfer-encoding']).toBe('chunked');
    expect(r11!.headers['content-length']).toBeUndefined();
    expect(r11!.body).toHaveLength(100);
    const [r10] = (await rawExchange(server.port, 'GET / HTTP/1.0\r\n\r\n')).responses;
    expect(r10!.headers['content-length']).toBe('100');
    expect(r10!.body).toHaveLength(100);
  });

  it('takes size, status and latency from the query', async () => {
    const server = await serve();
    expect((await request(`${server.url}/big?size=64k`)).body).toHaveLength(65536);
    const notFound = await request(`${server.url}/?status=404&size=3`);
    expect([notFound.status, notFound.body]).toEqual([404, 'Hel']);
    const noContent = await request(`${server.url}/?status=204`);
    expect([noContent.status, noContent.body, noContent.headers['content-length']]).toEqual([204, '', undefined]);
    const bad = await request(`${server.url}/?size=lots`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('size: expected bytes');
    const started = performance.now();
    await request(`${server.url}/?latency=60`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(58);
  });

  it('holds each response for latencyMs', async () => {
    const server = await serve({ latencyMs: 80 });
    const started = performance.now();
    await request(server.url);
    expect(performance.now() - started).toBeGreaterThanOrEqual(78);
  });

  it('echoes request headers at /echo-headers, hop-by-hop ones included', async () => {
    const server = await serve();
    const reply = await request(`${server.url}/echo-headers`, { headers: { 'X-Test': 'one', Connection: 'keep-alive, X-Hop', 'X-Hop': 'secret' } });
    const lines = reply.body.trim().split('\n');
    expect(lines).toContain('X-Test: one');
    expect(lines).toContain('X-Hop: secret');
    expect(lines).toContain('Connection: keep-alive, X-Hop');
  });

  it('reads and discards request bodies of any method, Content-Length or chunked', async () => {
    const server = await serve();
    const big = 'x'.repeat(200_000);
    expect((await request(`${server.url}/upload`, { method: 'POST' }, big)).status).toBe(200);
    const exchange = await rawExchange(server.port, [
      'PUT /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n',
      '3\r\nefg\r\n0\r\n\r\nDELETE /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiOPTIONS / HTTP/1.1\r\nConnection: close\r\n\r\n',
    ]);
    expect(exchange.responses.map((r) => [r.status, r.body])).toEqual([
      [200, 'Hello, world\n'],
      [200, 'Hello, world\n'],
      [200, 'Hello, world\n'],
    ]);
    expect(exchange.ending).toBe('fin');
    const head = await request(server.url, { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, '13', '']);
    expect(server.stats().requests).toBe(5);
  });

  it('answers pipelined requests in order, whatever their latency', async () => {
    const server = await serve();
    const pipeline = ['/?size=1&latency=150', '/?size=2&latency=50', '/?size=3', '/?size=4&latency=20']
      .map((target) => `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)
      .join('');
    const exchange = await rawExchange(server.port, pipeline, { responses: 4 });
    expect(exchange.responses.map((r) => r.body)).toEqual(['H', 'He', 'Hel', 'Hell']);
    expect(server.stats()).toMatchObject({ connections: 1, requests: 4 });
  });

  it('closes after exactly keepAliveMax responses and says so in Keep-Alive', async () => {
    const server = await serve({ keepAliveMax: 3 });
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n'.repeat(5));
    expect(exchange.responses).toHaveLength(3);
    expect(exchange.responses.slice(0, 2).map((r) => [r.headers.connection, r.headers['keep-alive']])).toEqual([
      ['keep-alive', 'timeout=5, max=3'],
      ['keep-alive', 'timeout=5, max=3'],
    ]);
    expect(exchange.responses[2]!.headers.connection).toBe('close');
    expect(exchange.ending).toBe('fin');
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats()).toMatchObject({ connections: 1, requests: 3, closedByServer: 1 });
  });

  it('spreads sequential keep-alive requests over ceil(n / keepAliveMax) connections', async () => {
    const server = await serve({ keepAliveMax: 4 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 10; i++) expect((await request(server.url, { agent })).status).toBe(200);
    agent.destroy();
    expect(server.stats()).toMatchObject({ connections: 3, requests: 10 });
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs with FIN', async () => {
    const server = await serve({ keepAliveTimeoutMs: 150 });
    const started = performance.now();
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(exchange.responses).toHaveLength(1);
    expect(exchange.ending).toBe('fin');
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats()).toMatchObject({ closedByServer: 1, closedByClient: 0 });
  });

  it('closes with RST in close style rst: a client read gets ECONNRESET', async () => {
    const server = await serve({ keepAliveTimeoutMs: 100, closeStyle: 'rst' });
    const idle = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n');
    expect([idle.responses.length, idle.ending]).toEqual([1, 'reset']);
    const closeRequested = await rawExchange(server.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect([closeRequested.responses.length, closeRequested.ending]).toEqual([1, 'reset']);
    const socket = net.connect(server.port, '127.0.0.1');
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => socket.on('error', resolve));
    expect(error.code).toBe('ECONNRESET');
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats().closedByServer).toBe(3);
  });

  it('resets after the last of keepAliveMax responses in close style rst', async () => {
    const server = await serve({ keepAliveMax: 2, closeStyle: 'rst' });
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n'.repeat(2));
    expect(exchange.responses.map((r) => r.headers.connection)).toEqual(['keep-alive', 'close']);
    expect(exchange.ending).toBe('reset');
  });

  it('answers after the client half-closes, then closes', async () => {
    const server = await serve({ latencyMs: 30 });
    const exchange = await rawExchange(server.port, 'GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n', { halfClose: true });
    expect(exchange.responses).toHaveLength(2);
    expect(exchange.ending).toBe('fin');
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats()).toMatchObject({ requests: 2, closedByClient: 1, closedByServer: 0 });
  });

  it('answers unparseable input with 400 and closes', async () => {
    const server = await serve();
    const exchange = await rawExchange(server.port, 'HELLO\r\n\r\n');
    expect(exchange.responses.map((r) => [r.status, r.headers.connection])).toEqual([[400, 'close']]);
    expect(exchange.ending).toBe('fin');
    expect(server.stats().requests).toBe(0);
  });
});

describe('built-in server, HTTP/1.0 keep-alive', () => {
  const keepAliveRequest = 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';

  it('keeps the connection when asked with Connection: keep-alive', async () => {
    const server = await serve();
    const exchange = await rawExchange(server.port, keepAliveRequest.repeat(2), { responses: 2 });
    expect(exchange.responses.map((r) => [r.headers.connection, r.headers['keep-alive']])).toEqual([
      ['keep-alive', 'timeout=5'],
      ['keep-alive', 'timeout=5'],
    ]);
    expect(exchange.ending).toBe('open');
    expect(server.stats()).toMatchObject({ connections: 1, requests: 2, requestsByVersion: { http10: 2, http11: 0, h2: 0 } });
  });

  it('closes an HTTP/1.0 connection that did not ask for keep-alive', async () => {
    const server = await serve();
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n');
    expect(exchange.responses.map((r) => r.headers.connection)).toEqual(['close']);
    expect(exchange.ending).toBe('fin');
  });

  it('always closes HTTP/1.0 with http10KeepAlive off', async () => {
    const server = await serve({ http10KeepAlive: false });
    const exchange = await rawExchange(server.port, keepAliveRequest.repeat(2));
    expect(exchange.responses.map((r) => r.headers.connection)).toEqual(['close']);
    expect(exchange.ending).toBe('fin');
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats()).toMatchObject({ requests: 1, closedByServer: 1 });
  });
});

describe('built-in server counters', () => {
  it('counts connections, requests and who closed, exactly', async () => {
    const server = await serve();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    await Promise.all(Array.from({ length: 40 }, () => request(server.url, { agent })));
    const during = server.stats();
    expect(during).toMatchObject({ connections: 4, openConnections: 4, peakOpenConnections: 4, requests: 40 });
    agent.destroy();
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats()).toMatchObject({ closedByClient: 4, closedByServer: 0, requestsByVersion: { http10: 0, http11: 40, h2: 0 } });
  });

  it('closes open connections on close() and counts them as closed by the server', async () => {
    const server = await startServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    await Promise.all([request(server.url, { agent }), request(server.url, { agent })]);
    await server.close();
    agent.destroy();
    expect(server.stats()).toMatchObject({ openConnections: 0, closedByServer: 2 });
  });
});
