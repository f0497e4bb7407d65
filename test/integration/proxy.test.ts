// Forward proxies: tinyproxy from Debian in front of the built-in server. https targets go
// through a CONNECT tunnel (its round trip kept out of the TLS time), http targets as
// absolute-form requests; the proxy's own log is the ground truth. Credentials never show.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { runCli, runJson } from '../helpers/cli.js';
import { freePort } from '../helpers/listen.js';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startTinyproxy, tinyproxyAvailable, type Tinyproxy } from '../helpers/tinyproxy.js';

let certDir: string;
let certs: TestCertificates;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'connload-proxy-'));
  certs = await makeCertificates(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function origin(tls: boolean): Promise<RunningServer> {
  const s = await startServer(tls ? { tls: { cert: certs.server.cert, key: certs.server.key } } : {});
  cleanups.push(() => s.close());
  return s;
}

async function proxy(auth?: { user: string; password: string }): Promise<Tinyproxy> {
  const p = await startTinyproxy(auth);
  cleanups.push(() => p.stop());
  return p;
}

describe.skipIf(!tinyproxyAvailable() && !process.env.CI)('through tinyproxy', () => {
  it('https: one CONNECT tunnel per connection, persistent inside it; CONNECT time kept apart from TLS', async () => {
    const s = await origin(true);
    const p = await proxy();
    const { code, result, stderr } = await runJson(['run', `${s.url}/`, '--proxy', p.url, '--ca', certs.ca.certPath, '-c', '3', '-n', '300']);
    expect(code, stderr).toBe(0);
    const r = result.phases[0];
    expect(r.requests.completed).toBe(300);
    expect(r.requests.errors).toBe(0);
    expect(r.connections.opened).toBe(3);
    // The origin saw 3 connections (each a tunnel) and every request; the proxy logged 3 CONNECTs.
    expect(s.stats().connections).toBe(3);
    expect(s.stats().requests).toBe(300);
    const logged = await p.requests();
    expect(logged).toEqual(Array(3).fill(`CONNECT 127.0.0.1:${s.port} HTTP/1.1`));
    expect(r.metrics.tunnel!.count).toBe(3);
    expect(r.metrics.tls!.count).toBe(3);
    expect(r.options.proxy).toBe(p.url);
  });

  it('https with multiplex: h2 by ALPN inside the tunnel', async () => {
    const s = await origin(true);
    const p = await proxy();
    const { code, result, stderr } = await runJson([
      'run',
      `${s.url}/`,
      '--proxy',
      p.url,
      '--ca',
      certs.ca.certPath,
      '-s',
      'multiplex',
      '-c',
      '2',
      '--streams',
      '8',
      '-n',
      '400',
    ]);
    expect(code, stderr).toBe(0);
    const r = result.phases[0];
    expect(r.requests.completed).toBe(400);
    expect(r.tls!.alpn).toBe('h2');
    expect(s.stats().requestsByVersion.h2).toBe(400);
    expect(await p.requests()).toEqual(Array(2).fill(`CONNECT 127.0.0.1:${s.port} HTTP/1.1`));
    expect(r.metrics.tunnel!.count).toBe(2);
  });

  it('http: absolute-form requests to the proxy, counted by the proxy', async () => {
    const s = await origin(false);
    const p = await proxy();
    // tinyproxy closes a client connection after each response: a connection per request says so honestly.
    const { code, result } = await runJson(['run', `${s.url}/a?b=1`, '--proxy', p.url, '-s', 'new-connection', '-c', '2', '-n', '40']);
    expect(code).toBe(0);
    expect(result.phases[0].requests.completed).toBe(40);
    expect(s.stats().requests).toBe(40);
    const logged = await p.requests();
    expect(logged).toHaveLength(40);
    expect(new Set(logged)).toEqual(new Set([`GET http://127.0.0.1:${s.port}/a?b=1 HTTP/1.1`]));
  });

  it('HTTPS_PROXY from the environment, and NO_PROXY that names the host bypasses it', async () => {
    const s = await origin(true);
    const p = await proxy();
    const viaEnv = await runJson(['run', `${s.url}/`, '--ca', certs.ca.certPath, '-c', '1', '-n', '10'], { env: { HTTPS_PROXY: p.url } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.result.phases[0].options.proxy).toBe(p.url);
    expect(await p.requests()).toHaveLength(1);
    const bypass = await runJson(['run', `${s.url}/`, '--ca', certs.ca.certPath, '-c', '1', '-n', '10'], {
      env: { HTTPS_PROXY: p.url, NO_PROXY: 'localhost,127.0.0.1' },
    });
    expect(bypass.code).toBe(0);
    expect(bypass.result.phases[0].options.proxy).toBeUndefined();
    expect(await p.requests()).toHaveLength(1);
  });

  it('credentials: sent as Proxy-Authorization, and redacted in every output', async () => {
    const s = await origin(true);
    const p = await proxy({ user: 'alice', password: 'pw-SECRET-42' });
    const withAuth = `http://alice:pw-SECRET-42@127.0.0.1:${p.port}`;
    const ok = await runCli(['run', `${s.url}/`, '--proxy', withAuth, '--ca', certs.ca.certPath, '-c', '1', '-n', '10', '--json', '-']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as ResultDocument).phases[0]!.options.proxy).toBe(`http://alice:redacted@127.0.0.1:${p.port}`);
    expect(ok.stdout + ok.stderr).not.toContain('pw-SECRET-42');
    // Without credentials the proxy answers CONNECT with 407: one line naming the status, exit 3.
    const refused = await runCli(['run', `${s.url}/`, '--proxy', p.url, '--ca', certs.ca.certPath, '-n', '5', '--quiet']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/the proxy answered CONNECT with 407 .*\(proxy-407\)/);
    const wrong = await runCli(['run', `${s.url}/`, '--proxy', `http://alice:wrong-PW@127.0.0.1:${p.port}`, '--ca', certs.ca.certPath, '-n', '5', '--quiet']);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).not.toContain('wrong-PW');
  });
});

describe('a proxy that is down or wrong', () => {
  it('nothing listens at the proxy: one line naming the proxy, exit 3', async () => {
    const closed = await freePort();
    const r = await runCli(['run', 'http://127.0.0.1:9/', '--proxy', `http://127.0.0.1:${closed}`, '-n', '5', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      `connload: cannot reach http://127.0.0.1:9/ through the proxy http://127.0.0.1:${closed} (127.0.0.1:${closed}): ECONNREFUSED (nothing listens on that port)`,
    );
  });

  it('a proxy URL that is not one: exit 2 before anything is sent, naming the option or the variable', async () => {
    const r = await runCli(['run', 'http://127.0.0.1:9/', '--proxy', 'https://127.0.0.1:3128', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--proxy: expected an http:// proxy');
    const env = await runCli(['run', 'http://127.0.0.1:9/', '-n', '1'], { env: { HTTP_PROXY: 'http://127.0.0.1:3128/some/path' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('HTTP_PROXY: expected a proxy URL without a path');
  });

  it('multiplex over h2c cannot go through a proxy: exit 2 with what to do', async () => {
    const r = await runCli(['run', 'http://127.0.0.1:9/', '-s', 'multiplex', '--proxy', 'http://127.0.0.1:3128', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--strategy multiplex sends h2c to the server itself, not through a forward proxy');
  });
});
