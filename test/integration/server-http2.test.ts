// The built-in server's HTTP/2 (h2c, TLS + ALPN) and HTTP/1.1 over TLS.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import http2, { type ClientHttp2Session } from 'node:http2';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';

let certDir: string;
let certs: TestCertificates;
beforeAll(async () => {
  certDir = await mkdtemp(path.join(tmpdir(), 'connload-certs-'));
  certs = await makeCertificates(certDir);
});
afterAll(() => rm(certDir, { recursive: true, force: true }));

const servers: RunningServer[] = [];
const sessions: ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

function connect(url: string, options: http2.SecureClientSessionOptions = {}): ClientHttp2Session {
  const session = http2.connect(url, options);
  session.on('error', () => {});
  sessions.push(session);
  return session;
}

interface StreamReply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: string;
}

function get(session: ClientHttp2Session, requestPath: string, headers: http2.OutgoingHttpHeaders = {}): Promise<StreamReply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': requestPath, ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let body = '';
    stream.on('response', (h) => (responseHeaders = h));
    stream.setEncoding('latin1').on('data', (d: string) => (body += d));
    stream.on('end', () => resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body }));
    stream.on('error', reject);
  });
}

describe('built-in server, h2c', () => {
  it('speaks HTTP/2 with prior knowledge and HTTP/1.1 on the same port', async () => {
    const server = await serve({ h2c: true, bodySize: 100 });
    const session = connect(server.url);
    const reply = await get(session, '/');
    expect([reply.status, reply.headers['content-length'], reply.body.length]).toEqual([200, '100', 100]);
    expect((await get(session, '/?size=5&status=201')).body).toBe('Hello');
    const echoed = await get(session, '/echo-headers', { 'x-test': 'yes' });
    expect(echoed.body.split('\n')).toContain('x-test: yes');
    const h1 = await new Promise<number>((resolve, reject) => {
      http.get(server.url, (res) => resolve(res.resume().statusCode!)).on('error', reject);
    });
    expect(h1).toBe(200);
    expect(server.stats()).toMatchObject({ connections: 2, sessions: 1, requests: 4, requestsByVersion: { http10: 0, http11: 1, h2: 3 } });
  });

  it('counts the peak of concurrent streams, in total and per session', async () => {
    const server = await serve({ h2c: true, latencyMs: 150 });
    const first = connect(server.url);
    const second = connect(server.url);
    await Promise.all([...Array.from({ length: 6 }, () => get(first, '/')), ...Array.from({ length: 4 }, () => get(second, '/'))]);
    expect(server.stats()).toMatchObject({ sessions: 2, requests: 10, peakConcurrentStreams: 10, peakStreamsPerSession: 6 });
  });

  it('announces SETTINGS_MAX_CONCURRENT_STREAMS and never runs more at once', async () => {
    const server = await serve({ h2c: true, latencyMs: 50, maxConcurrentStreams: 3 });
    const session = connect(server.url);
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(3);
    const replies = await Promise.all(Array.from({ length: 9 }, () => get(session, '/')));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(server.stats().peakConcurrentStreams).toBe(3);
  });

  it('sends GOAWAY to every session on goawayAll()', async () => {
    const server = await serve({ h2c: true });
    const session = connect(server.url);
    await get(session, '/');
    const goaway = new Promise<number>((resolve) => session.once('goaway', (code: number) => resolve(code)));
    server.goawayAll();
    expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats().closedByServer).toBe(1);
  });

  it('closes an idle session after keepAliveTimeoutMs', async () => {
    const server = await serve({ h2c: true, keepAliveTimeoutMs: 100 });
    const session = connect(server.url);
    await get(session, '/');
    await new Promise((resolve) => session.once('close', resolve));
    await expect.poll(() => server.stats().openConnections).toBe(0);
    expect(server.stats().closedByServer).toBe(1);
  });
});

describe('built-in server, TLS', () => {
  it('offers h2 by ALPN', async () => {
    const server = await serve({ tls: { cert: certs.server.cert, key: certs.server.key } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const session = connect(`https://localhost:${server.port}`, { ca: certs.ca.cert });
    const reply = await get(session, '/?size=20');
    expect(reply.body).toHaveLength(20);
    expect(session.alpnProtocol).toBe('h2');
    expect(server.stats()).toMatchObject({ sessions: 1, requestsByVersion: { h2: 1 } });
  });

  it('serves http/1.1 by ALPN, and without ALPN, on the same raw HTTP/1 handler', async () => {
    const server = await serve({ tls: { cert: certs.server.cert, key: certs.server.key }, keepAliveMax: 2 });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: certs.ca.cert });
    const alpn: Array<string | false | null> = [];
    const connectionHeaders: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const reply = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = https.get(`https://localhost:${server.port}/`, { agent, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (res) => {
          alpn.push((res.socket as tls.TLSSocket).alpnProtocol);
          res.resume().on('end', () => resolve(res));
        });
        req.on('error', reject);
      });
      connectionHeaders.push([reply.headers.connection, reply.headers['keep-alive']]);
    }
    agent.destroy();
    expect(alpn).toEqual(['http/1.1', 'http/1.1', 'http/1.1', 'http/1.1']);
    const keptThenClosed = [
      ['keep-alive', 'timeout=5, max=2'],
      ['close', undefined],
    ];
    expect(connectionHeaders).toEqual([...keptThenClosed, ...keptThenClosed]);
    const plain = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca.cert }, () => socket.write('GET / HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.setEncoding('latin1').on('data', (d: string) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(plain).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nHello, world\n$/);
    expect(server.stats()).toMatchObject({ connections: 3, requests: 5, requestsByVersion: { http10: 1, http11: 4, h2: 0 } });
  });

  it('resumes TLS sessions from tickets and counts them', async () => {
    const server = await serve({ tls: { cert: certs.server.cert, key: certs.server.key } });
    let ticket: Buffer | undefined;
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = tls.connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca.cert, session: ticket });
        socket.on('session', (session: Buffer) => (ticket = session));
        socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nConnection: close\r\n\r\n'));
        socket.on('data', () => {});
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }
    expect(server.stats()).toMatchObject({ connections: 3, requests: 3, tlsResumed: 2 });
  });

  it('resets a TLS connection in close style rst', async () => {
    const server = await serve({ tls: { cert: certs.server.cert, key: certs.server.key }, keepAliveTimeoutMs: 100, closeStyle: 'rst' });
    const code = await new Promise<string | undefined>((resolve) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', ca: certs.ca.cert });
      socket.on('data', () => {});
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
      socket.on('close', () => resolve(undefined));
    });
    expect(code).toBe('ECONNRESET');
  });
});
