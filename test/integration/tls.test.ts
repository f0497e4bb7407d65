// TLS for every strategy against the built-in server with certificates made
// by openssl (test/helpers/certs.ts): verification by default, --ca, --insecure, --servername,
// clear one-line certificate errors (exit 3), session resumption, and h2 by
// ALPN (also against nghttpd). Runs are bounded by request count.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { runCli, runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';
import { freePort, waitForListener } from '../helpers/listen.js';

const STRATEGIES = ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex'] as const;

let certDir: string;
let certs: TestCertificates;
const servers: RunningServer[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'connload-tls-'));
  certs = await makeCertificates(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function server(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer({ tls: { cert: certs.server.cert, key: certs.server.key }, ...options });
  servers.push(s);
  return s;
}

/** stderr of a failed run: exactly one line, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe.each(STRATEGIES)('%s over TLS', (strategy) => {
  it('verifies the certificate against --ca, times the handshakes and reports version, cipher and ALPN', async () => {
    const s = await server();
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '2', '-n', '40', '--ca', certs.ca.certPath]);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(40);
    expect(p.requests.errors).toBe(0);
    expect(p.connections.opened).toBe(s.stats().connections);
    expect(p.metrics.tls!.count).toBe(p.connections.opened);
    expect(p.metrics.tls!.max).toBeGreaterThan(0);
    expect(p.tls!.handshakes).toBe(p.connections.opened);
    expect(p.tls!.version).toBe('TLSv1.3');
    expect(p.tls!.cipher).toMatch(/^TLS_/);
    expect(p.tls!.alpn).toBe(strategy === 'multiplex' ? 'h2' : 'http/1.1');
    expect(p.tls!.resumed).toBe(0);
    if (strategy === 'multiplex') expect(s.stats().requestsByVersion.h2).toBe(40);
  });

  it('refuses a self-signed certificate with one clear line (exit 3), and accepts it with --ca or --insecure', async () => {
    const s = await server({ tls: { cert: certs.selfSigned.cert, key: certs.selfSigned.key } });
    const refused = await runCli(['run', `${s.url}/`, '-s', strategy, '-n', '5', '--quiet']);
    expect(refused.code).toBe(3);
    const line = oneLine(refused.stderr);
    expect(line).toMatch(/127\.0\.0\.1/);
    expect(line).toMatch(/self-signed/);
    expect(line).toMatch(/--ca/);
    expect(line).toMatch(/--insecure/);
    for (const trust of [['--ca', certs.selfSigned.certPath], ['--insecure']]) {
      const { code, result } = await runJson(['run', `${s.url}/`, '-s', strategy, '-c', '1', '-n', '5', ...trust]);
      expect(code, trust.join(' ')).toBe(0);
      expect(result.phases[0].requests.completed).toBe(5);
    }
  });
});

describe('certificate errors', () => {
  it('names a certificate signed by an unknown CA, an expired one and a wrong name, one line each, exit 3', async () => {
    const signed = await server();
    const expired = await server({ tls: { cert: certs.expired.cert, key: certs.expired.key } });
    const cases: Array<[string[], RegExp]> = [
      [[`${signed.url}/`], /signed by a CA that is not trusted.*--ca <file>/],
      [[`${expired.url}/`, '--ca', certs.ca.certPath], /it has expired \(CERT_HAS_EXPIRED\)/],
      [[`${signed.url}/`, '--ca', certs.ca.certPath, '--servername', 'wrong.example'], /wrong\.example.*not issued for that name.*DNS:localhost.*--servername/],
    ];
    for (const strategy of ['persistent', 'multiplex']) {
      for (const [args, expected] of cases) {
        const r = await runCli(['run', ...args, '-s', strategy, '-n', '5', '--quiet']);
        expect(r.code, `${strategy} ${args.join(' ')}`).toBe(3);
        expect(oneLine(r.stderr)).toMatch(expected);
      }
    }
  });

  it('--servername sets the name that is verified (SNI)', async () => {
    const s = await server();
    const { code, result } = await runJson(['run', `${s.url}/`, '-n', '5', '-c', '1', '--ca', certs.ca.certPath, '--servername', 'localhost']);
    expect(code).toBe(0);
    expect(result.phases[0].requests.completed).toBe(5);
  });

  it('a missing --ca file is one clear line, exit 2, and nothing is sent', async () => {
    const s = await server();
    const r = await runCli(['run', `${s.url}/`, '-n', '5', '--ca', path.join(certDir, 'no-such-ca.pem'), '--quiet']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/--ca: cannot read ".*no-such-ca\.pem": no such file/);
    expect(s.stats().connections).toBe(0);
  });
});

describe('TLS session resumption (--tls-session-reuse)', () => {
  it.each(['persistent', 'multiplex'])('%s: new connections resume the session and the resumed handshakes are counted', async (strategy) => {
    // -c 1 and 5 requests per connection: 10 connections one after another, the first one full, 9 resumed.
    const args = ['-s', strategy, '-c', '1', '--streams', '5', '-n', '50', '--max-requests-per-connection', '5', '--ca', certs.ca.certPath];
    const s = await server();
    const { code, result } = await runJson(['run', `${s.url}/`, ...args, '--tls-session-reuse']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(50);
    expect(p.connections.opened).toBe(10);
    expect(p.tls!.handshakes).toBe(10);
    expect(p.tls!.resumed).toBe(9);
    expect(s.stats().tlsResumed).toBe(9);

    const fresh = await server();
    const without = (await runJson(['run', `${fresh.url}/`, ...args])).result.phases[0];
    expect(without.tls!.handshakes).toBe(10);
    expect(without.tls!.resumed).toBe(0);
    expect(fresh.stats().tlsResumed).toBe(0);
  });
});

describe('closing TLS connections', () => {
  it.each(['persistent', 'multiplex'])('%s: --close reset aborts TLS connections with RST too', async (strategy) => {
    const s = await server();
    // -c 1: connections one after another, each retired after 10 requests (the last one may close as the run stops).
    const { code, result } = await runJson([
      'run',
      `${s.url}/`,
      '-s',
      strategy,
      '-c',
      '1',
      '-n',
      '40',
      '--max-requests-per-connection',
      '10',
      '--close',
      'reset',
      '--ca',
      certs.ca.certPath,
    ]);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(40);
    expect(p.requests.errors).toBe(0);
    expect(p.connections.opened).toBe(4);
    expect(p.connections.resetByClient).toBeGreaterThanOrEqual(3);
    expect(p.connections.closedByClient).toBe(0);
  });
});

describe('TLS and cleartext', () => {
  it('has tls times for a TLS run and none for cleartext', async () => {
    const secure = await server();
    const clear = await startServer({});
    servers.push(clear);
    const tls = (await runJson(['run', `${secure.url}/`, '-c', '2', '-n', '20', '--ca', certs.ca.certPath])).result.phases[0];
    const plain = (await runJson(['run', `${clear.url}/`, '-c', '2', '-n', '20'])).result.phases[0];
    expect(tls.metrics.tls!.count).toBe(2);
    expect(tls.tls).not.toBeNull();
    expect(plain.metrics.tls).toBeUndefined();
    expect(plain.tls).toBeNull();
  });
});

describe('h2 by ALPN', () => {
  it('multiplex against an HTTPS server without h2 is one clear line, exit 3', async () => {
    const h1 = https.createServer({ cert: certs.server.cert, key: certs.server.key, ALPNProtocols: ['http/1.1'] }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          h1.closeAllConnections();
          h1.close(() => resolve());
        }),
    );
    const { port } = h1.address() as net.AddressInfo;
    const r = await runCli(['run', `https://127.0.0.1:${port}/`, '-s', 'multiplex', '-n', '5', '--ca', certs.ca.certPath, '--quiet']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toMatch(/chose http\/1\.1 by ALPN.*does not speak HTTP\/2.*EHTTP1/);
  });

  it('multiplex runs over TLS against nghttpd, a real HTTP/2 server', async () => {
    const port = await nghttpdTls();
    const { code, result } = await runJson([
      'run',
      `https://127.0.0.1:${port}/index.html`,
      '-s',
      'multiplex',
      '-c',
      '2',
      '--streams',
      '10',
      '-n',
      '1000',
      '--ca',
      certs.ca.certPath,
    ]);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(1000);
    expect(p.requests.byStatus).toEqual({ '200': 1000 });
    expect(p.connections.opened).toBe(2);
    expect(p.tls!.alpn).toBe('h2');
    expect(p.metrics.tls!.count).toBe(2);
    expect(p.http2!.peakConcurrentStreams).toBe(10);
  });
});

/** nghttpd (Debian nghttp2-server) over TLS with the CA-signed server certificate, serving /index.html. */
async function nghttpdTls(): Promise<number> {
  const docroot = mkdtempSync(path.join(os.tmpdir(), 'connload-nghttpd-'));
  writeFileSync(path.join(docroot, 'index.html'), 'hello from nghttpd\n');
  const port = await freePort();
  const child = spawn('nghttpd', ['-a', '127.0.0.1', '-d', docroot, String(port), certs.server.keyPath, certs.server.certPath], { stdio: 'ignore' });
  cleanups.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(docroot, { recursive: true, force: true });
  });
  await waitForListener(port, child, 'nghttpd');
  return port;
}
