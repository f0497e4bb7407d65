// multiplex against real HTTP/2 servers from Debian, over TLS with ALPN h2 and over h2c with
// prior knowledge where the server offers it: nginx and h2o (nghttpd is in http2.test.ts and
// tls.test.ts). Each server's own answers are the check: every request completed with 200 on
// exactly -c sessions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { runJson } from '../helpers/cli.js';
import { freePort, stopChild, waitForListener } from '../helpers/listen.js';
import { nginxAvailable, startNginx } from '../helpers/nginx.js';
import { assertValidResult } from '../helpers/schema.js';

const H2O_BIN = '/usr/bin/h2o';
let certDir: string;
let certs: TestCertificates;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'connload-interop-'));
  certs = await makeCertificates(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function multiplex(url: string, tls: boolean): Promise<void> {
  const { code, result, stderr } = await runJson([
    'run',
    url,
    '-s',
    'multiplex',
    '-c',
    '2',
    '--streams',
    '10',
    '-n',
    '1000',
    ...(tls ? ['--ca', certs.ca.certPath] : []),
  ]);
  expect(code, stderr).toBe(0);
  assertValidResult(result);
  const p = result.phases[0];
  expect(p.requests.completed).toBe(1000);
  expect(p.requests.byStatus).toEqual({ '200': 1000 });
  expect(p.connections.opened).toBe(2);
  if (tls) expect(p.tls!.alpn).toBe('h2');
  expect(p.http2!.peakConcurrentStreams).toBeGreaterThan(1);
}

describe.skipIf(!nginxAvailable() && !process.env.CI)('multiplex against nginx', () => {
  it('h2 over TLS by ALPN', async () => {
    const n = await startNginx({
      listenFlags: 'ssl http2',
      serverDirectives: `ssl_certificate ${certs.server.certPath}; ssl_certificate_key ${certs.server.keyPath};`,
    });
    cleanups.push(() => n.stop());
    await multiplex(`https://127.0.0.1:${n.port}/`, true);
  });

  it('h2c with prior knowledge', async () => {
    const n = await startNginx({ listenFlags: 'http2' });
    cleanups.push(() => n.stop());
    await multiplex(`http://127.0.0.1:${n.port}/`, false);
  });
});

/** h2o with one file to serve, on TLS or in cleartext. */
async function startH2o(tls: boolean): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'connload-h2o-'));
  await writeFile(path.join(dir, 'index.html'), 'hello from h2o\n');
  const port = await freePort();
  const listen = tls
    ? `listen:\n  port: ${port}\n  host: 127.0.0.1\n  ssl:\n    certificate-file: ${certs.server.certPath}\n    key-file: ${certs.server.keyPath}\n`
    : `listen:\n  port: ${port}\n  host: 127.0.0.1\n`;
  // As root h2o would switch to nobody, who cannot read the test's files: it stays the test's user.
  const conf = `user: ${os.userInfo().username}\n${listen}error-log: ${dir}/error.log\nhosts:\n  default:\n    paths:\n      /:\n        file.dir: ${dir}\n`;
  await writeFile(path.join(dir, 'h2o.conf'), conf);
  const child: ChildProcess = spawn(H2O_BIN, ['-c', path.join(dir, 'h2o.conf')], { stdio: 'ignore' });
  cleanups.push(() => stopChild(child, dir));
  await waitForListener(port, child, 'h2o');
  return port;
}

describe.skipIf(!existsSync(H2O_BIN) && !process.env.CI)('multiplex against h2o', () => {
  it('h2 over TLS by ALPN', async () => {
    const port = await startH2o(true);
    await multiplex(`https://127.0.0.1:${port}/index.html`, true);
  });

  it('h2c with prior knowledge', async () => {
    const port = await startH2o(false);
    await multiplex(`http://127.0.0.1:${port}/index.html`, false);
  });
});
