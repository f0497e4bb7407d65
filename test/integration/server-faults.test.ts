// Faults of the built-in server at rate 1 (every request), HTTP/1.1 and HTTP/2,
// and the reproducibility of seeded rates.
import http2, { type ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import type { FaultName } from '../../src/server/types.js';
import { rawExchange } from '../helpers/raw-server.js';

const servers: RunningServer[] = [];
const sessions: ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serveWithFault(fault: FaultName, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer({ ...options, faults: { truncate: 0, reset: 0, stall: 0, malformed: 0, [fault]: 1 } });
  servers.push(server);
  return server;
}

describe('HTTP/1.1 faults at rate 1', () => {
  it('truncate: head with Content-Length, half the body, FIN', async () => {
    const server = await serveWithFault('truncate', { bodySize: 100 });
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    expect(exchange.responses).toHaveLength(0);
    const [head, body] = exchange.text.split('\r\n\r\n');
    expect(head).toContain('Content-Length: 100');
    expect(body).toHaveLength(50);
    expect(exchange.ending).toBe('fin');
    expect(server.stats()).toMatchObject({ requests: 0, faults: { truncate: 1, reset: 0, stall: 0, malformed: 0 } });
  });

  it('reset: RST after reading the request, nothing sent', async () => {
    const server = await serveWithFault('reset');
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n');
    expect([exchange.text, exchange.ending]).toEqual(['', 'reset']);
    expect(server.stats()).toMatchObject({ requests: 0, faults: { reset: 1 } });
  });

  it('stall: the response comes after stallMs', async () => {
    const server = await serveWithFault('stall', { stallMs: 120 });
    const started = performance.now();
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n', { responses: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(118);
    expect(exchange.responses[0]!.status).toBe(200);
    expect(server.stats()).toMatchObject({ requests: 1, faults: { stall: 1 } });
  });

  it('malformed: a broken status line, then FIN', async () => {
    const server = await serveWithFault('malformed');
    const exchange = await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n');
    expect(exchange.text.startsWith('HTTP/1.1 2x0 OK\r\n')).toBe(true);
    expect(exchange.ending).toBe('fin');
    expect(server.stats()).toMatchObject({ requests: 0, faults: { malformed: 1 } });
  });
});

describe('HTTP/2 faults at rate 1', () => {
  async function h2Request(fault: FaultName, options: Partial<ServerOptions> = {}) {
    const server = await serveWithFault(fault, { ...options, h2c: true });
    const session = http2.connect(server.url);
    session.on('error', () => {});
    sessions.push(session);
    const stream = session.request({ ':path': '/' });
    let body = '';
    let status = 0;
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.setEncoding('latin1').on('data', (d: string) => (body += d));
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      stream.on('error', resolve);
      stream.on('close', () => resolve(null));
    });
    return { server, status, body, error, rstCode: stream.rstCode };
  }

  it('reset: RST_STREAM on the stream, the session lives on', async () => {
    const { server, error, rstCode } = await h2Request('reset');
    expect(error?.code).toBe('ERR_HTTP2_STREAM_ERROR');
    expect(rstCode).toBe(http2.constants.NGHTTP2_INTERNAL_ERROR);
    expect(server.stats()).toMatchObject({ requests: 0, sessions: 1, faults: { reset: 1 }, openConnections: 1 });
  });

  it('truncate: content-length promises more than the stream carries', async () => {
    const { server, error } = await h2Request('truncate', { bodySize: 100 });
    expect(error?.message).toContain('NGHTTP2_PROTOCOL_ERROR');
    expect(server.stats()).toMatchObject({ requests: 0, faults: { truncate: 1 } });
  });

  it('malformed: an invalid content-length header', async () => {
    const { server, error } = await h2Request('malformed');
    expect(error?.message).toContain('NGHTTP2_PROTOCOL_ERROR');
    expect(server.stats()).toMatchObject({ requests: 0, faults: { malformed: 1 } });
  });

  it('stall: the response comes after stallMs', async () => {
    const started = performance.now();
    const { server, status, body, error } = await h2Request('stall', { stallMs: 100 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(98);
    expect([status, body, error]).toEqual([200, 'Hello, world\n', null]);
    expect(server.stats()).toMatchObject({ requests: 1, faults: { stall: 1 } });
  });
});

describe('fault rates', () => {
  it('are reproducible with a seed', async () => {
    const stalledWithSeed = async (seed: number): Promise<number[]> => {
      const server = await startServer({ faults: { truncate: 0, reset: 0, stall: 0.3, malformed: 0 }, stallMs: 0, seed });
      servers.push(server);
      await rawExchange(server.port, 'GET / HTTP/1.1\r\n\r\n'.repeat(200), { responses: 200 });
      return [server.stats().faults.stall, server.stats().requests];
    };
    const [first, second] = [await stalledWithSeed(7), await stalledWithSeed(7)];
    expect(first).toEqual(second);
    expect(first[0]).toBeGreaterThan(30);
    expect(first[0]).toBeLessThan(90);
    expect(first[1]).toBe(200);
  });
});
