// The misbehaving raw servers and the test certificates do what engine tests rely on.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type CertificatePair, type TestCertificates } from '../helpers/certs.js';
import {
  malformedStatus,
  neverReplies,
  okResponse,
  rawExchange,
  recordsPipelining,
  resetsAfterRequest,
  scripted,
  truncatesBody,
  type RawServer,
} from '../helpers/raw-server.js';

const servers: RawServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function started(server: Promise<RawServer>): Promise<RawServer> {
  servers.push(await server);
  return servers.at(-1)!;
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

describe('raw misbehaving servers', () => {
  it('neverReplies reads requests and sends nothing', async () => {
    const server = await started(neverReplies());
    const socket = net.connect(server.port, '127.0.0.1');
    socket.write(GET + GET);
    await expect.poll(() => server.stats.requests).toBe(2);
    socket.destroy();
    expect(server.stats).toMatchObject({ connections: 1, maxInFlight: 2, bytesReceived: GET.length * 2 });
  });

  it('resetsAfterRequest answers with RST', async () => {
    const server = await started(resetsAfterRequest());
    expect((await rawExchange(server.port, GET)).ending).toBe('reset');
  });

  it('truncatesBody sends half of what Content-Length promised, then FIN', async () => {
    const server = await started(truncatesBody());
    const exchange = await rawExchange(server.port, GET);
    expect([exchange.responses.length, exchange.ending]).toEqual([0, 'fin']);
    expect(exchange.text.endsWith('x'.repeat(50))).toBe(true);
  });

  it('malformedStatus sends a broken status line', async () => {
    const server = await started(malformedStatus());
    expect((await rawExchange(server.port, GET)).text.startsWith('HTTP/1.1 2x0 OK\r\n')).toBe(true);
  });

  it('scripted answers the Nth request with the Nth bytes and closes after the last', async () => {
    const server = await started(scripted([okResponse('first'), okResponse('second', ['Keep-Alive: max=2'])]));
    const exchange = await rawExchange(server.port, GET.repeat(3));
    expect(exchange.responses.map((r) => [r.body, r.headers['keep-alive']])).toEqual([
      ['first', undefined],
      ['second', 'max=2'],
    ]);
    expect(exchange.ending).toBe('fin');
    expect(server.stats.requests).toBe(3);
  });

  it('scripted closes after an answer saying Connection: close', async () => {
    const server = await started(scripted([okResponse('bye', ['Connection: close']), okResponse('never')]));
    const exchange = await rawExchange(server.port, GET.repeat(2));
    expect(exchange.responses.map((r) => r.body)).toEqual(['bye']);
    expect(exchange.ending).toBe('fin');
  });

  it('recordsPipelining sees how many requests a client keeps in flight, and answers in order', async () => {
    const server = await started(recordsPipelining());
    const exchange = await rawExchange(server.port, GET.repeat(4), { responses: 4 });
    expect(exchange.responses.map((r) => r.body)).toEqual(['0', '1', '2', '3']);
    expect(server.stats.maxInFlight).toBe(4);
  });
});

describe('test certificates', () => {
  let dir: string;
  let certs: TestCertificates;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'connload-certs-'));
    certs = await makeCertificates(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Handshake with a server using `pair`; resolves with the client's verification error code, or 'ok'. */
  async function handshake(pair: CertificatePair, host: string, servername?: string): Promise<string> {
    const server = tls.createServer({ cert: pair.cert, key: pair.key }, (socket) => socket.end());
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      return await new Promise<string>((resolve) => {
        const socket = tls.connect({ port, host, servername, ca: certs.ca.cert }, () => {
          resolve('ok');
          socket.destroy();
        });
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
      });
    } finally {
      server.close();
    }
  }

  it('the CA-signed server certificate verifies for localhost and 127.0.0.1', async () => {
    expect(await handshake(certs.server, '127.0.0.1', 'localhost')).toBe('ok');
    expect(await handshake(certs.server, '127.0.0.1')).toBe('ok');
  });

  it('the self-signed certificate is refused', async () => {
    expect(await handshake(certs.selfSigned, '127.0.0.1', 'localhost')).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('the expired certificate is refused as expired', async () => {
    expect(await handshake(certs.expired, '127.0.0.1', 'localhost')).toBe('CERT_HAS_EXPIRED');
  });

  it('returns paths and PEM text', () => {
    expect(certs.server.cert).toContain('BEGIN CERTIFICATE');
    expect(certs.server.key).toContain('PRIVATE KEY');
    expect(path.dirname(certs.ca.certPath)).toBe(dir);
  });
});
