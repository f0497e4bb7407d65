// Options a user reaches for, run through the CLI against the built-in server.
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';
import { rawServer, type RawServer } from '../helpers/raw-server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()));
});
async function server(): Promise<RunningServer> {
  const s = await startServer();
  cleanups.push(() => s.close());
  return s;
}
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('request options', () => {
  it('POSTs the bytes of --body-file with a Content-Length, and custom headers', async () => {
    let wire = '';
    const s: RawServer = await rawServer((socket, ctx) => {
      socket.on('data', (d: Buffer) => (wire += d.toString('latin1')));
      ctx.onRequest(() => ctx.answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    });
    cleanups.push(() => s.close());
    const dir = await tempDir();
    const file = path.join(dir, 'body.json');
    await writeFile(file, '{"hello":"world"}');
    const { code, result } = await runJson(['run', `${s.url}/`, '-m', 'POST', '--body-file', file, '-H', 'X-Test: yes', '-c', '1', '-n', '3']);
    expect(code).toBe(0);
    expect(result.phases[0].requests.completed).toBe(3);
    const requests = wire.split('POST / HTTP/1.1\r\n').slice(1);
    expect(requests).toHaveLength(3);
    for (const req of requests) {
      expect(req).toMatch(/\r\nContent-Length: 17\r\n/);
      expect(req).toMatch(/\r\nX-Test: yes\r\n/);
      expect(req.endsWith('\r\n\r\n{"hello":"world"}')).toBe(true);
    }
    expect(result.phases[0].options.bodyBytes).toBe(17);
  });

  it('HEAD responses carry no body and keep the connection', async () => {
    const s = await server();
    const p = (await runJson(['run', `${s.url}/`, '-m', 'HEAD', '-c', '1', '-n', '50'])).result.phases[0];
    expect(p.requests.completed).toBe(50);
    expect(p.requests.errors).toBe(0);
    expect(p.connections.opened).toBe(1);
  });

  it('--max-connection-age retires connections by age', async () => {
    const s = await server();
    const p = (await runJson(['run', `${s.url}/?latency=20`, '-c', '1', '-n', '30', '--max-connection-age', '100ms'])).result.phases[0];
    expect(p.requests.completed).toBe(30);
    // 30 requests of about 20 ms on connections that live 100 ms: several connections, each with a few requests.
    expect(p.connections.opened).toBeGreaterThanOrEqual(3);
    expect(p.connections.requestsPerConnection.max).toBeLessThanOrEqual(7);
    // Each retired connection is closed by the server; the last one may still be open when the budget
    // ends (its age not reached yet): then it is stopped at the end, and counted so.
    expect(p.connections.stoppedAtEnd).toBeLessThanOrEqual(1);
    expect(p.connections.closedByServer + p.connections.stoppedAtEnd!).toBe(p.connections.opened);
  });
});

describe('secrets', () => {
  it('redacts Authorization, Cookie, Proxy-Authorization and token headers in every report', async () => {
    const s = await server();
    const dir = await tempDir();
    const json = path.join(dir, 'r.json');
    const html = path.join(dir, 'r.html');
    const secrets = ['Authorization: Bearer s3cr3t-one', 'Cookie: session=s3cr3t-two', 'Proxy-Authorization: Basic s3cr3t-three', 'X-Api-Token: s3cr3t-four'];
    const r = await runCli(['run', `${s.url}/`, '-n', '5', '-c', '1', '--json', json, '--html', html, ...secrets.flatMap((h) => ['-H', h])]);
    expect(r.code, r.stderr).toBe(0);
    const outputs = [r.stdout, r.stderr, await readFile(json, 'utf8'), await readFile(html, 'utf8')];
    for (const text of outputs) expect(text).not.toMatch(/s3cr3t/);
    const doc = JSON.parse(outputs[2]!) as ResultDocument;
    expect(doc.phases[0]!.options.headers).toEqual({
      Authorization: '[redacted]',
      Cookie: '[redacted]',
      'Proxy-Authorization': '[redacted]',
      'X-Api-Token': '[redacted]',
    });
  });
});

describe('connload demo', () => {
  it('compares every strategy on the built-in server and says what it shows', async () => {
    const r = await runCli(['demo', '-n', '300']);
    expect(r.code, r.stderr).toBe(0);
    for (const s of ['new-connection', 'http10-keepalive', 'persistent', 'pipeline', 'multiplex']) expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/new-connection opened 300 TCP connections for 300 requests/);
    expect(r.stdout).toMatch(/persistent opened 10 for 300/);
    // Pipelining and HTTP/2 at the same concurrency on one connection, compared in words that follow the numbers.
    expect(r.stdout).toMatch(
      /pipeline kept 10 requests in flight on one connection, .*(about the|\d\.\dx the) requests per second of persistent with 10 connections \(ttfb p50 [\d.]+ ms against [\d.]+ ms\), with 9 fewer connections/,
    );
    expect(r.stdout).toMatch(/multiplex ran 10 HTTP\/2 streams on one connection .*persistent with 10 connections/);
    expect(r.stdout).toMatch(/scenarios\/lab-page-load\.json/);
    expect(r.stdout).toMatch(/The server accepted \d+ connections and answered 1500 requests/);
  });
});

describe('where the TIME_WAIT counts come from', () => {
  // 40 connections closed by the client first: 40 local ports in TIME_WAIT, counted by the sample at the end.
  const args = (url: string) => ['run', `${url}/`, '-s', 'new-connection', '--close', 'client', '-c', '2', '-n', '40'];

  it.runIf(process.platform === 'linux')('asks ss, and reads /proc/net/tcp where ss is not on the PATH', async () => {
    const s = await server();
    const withSs = await runJson(args(s.url));
    expect(withSs.code).toBe(0);
    expect(withSs.result.phases[0].ports).toMatchObject({ supported: true, source: 'ss' });
    expect(withSs.result.phases[0].ports.timeWaitPeak).toBeGreaterThanOrEqual(40);

    // The same run without ss: a PATH that holds node and nothing else.
    const bin = await tempDir();
    await symlink(process.execPath, path.join(bin, 'node'));
    const withoutSs = await runJson(args(s.url), { env: { PATH: bin } });
    expect(withoutSs.code).toBe(0);
    expect(withoutSs.result.phases[0].ports).toMatchObject({ supported: true, source: 'proc' });
    expect(withoutSs.result.phases[0].ports.timeWaitPeak).toBeGreaterThanOrEqual(40);
  });
});
