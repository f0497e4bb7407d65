// --strategy multiplex (HTTP/2, h2c by prior knowledge) against the built-in
// server, whose session and stream counts are the ground truth, and against
// nghttpd from Debian. Runs are bounded by request count.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';
import { freePort, waitForListener } from '../helpers/listen.js';

const servers: RunningServer[] = [];
const others: Array<() => Promise<void>> = [];

async function h2c(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const s = await startServer({ h2c: true, ...options });
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(others.splice(0).map((close) => close()));
});

/** nghttpd (Debian nghttp2-server) in cleartext, serving /index.html from a directory of its own. */
async function nghttpd(maxStreams: number): Promise<number> {
  const docroot = await mkdtemp(path.join(os.tmpdir(), 'connload-nghttpd-'));
  await writeFile(path.join(docroot, 'index.html'), 'hello from nghttpd\n');
  const port = await freePort();
  const child = spawn('nghttpd', ['--no-tls', '-a', '127.0.0.1', '-d', docroot, '-m', String(maxStreams), String(port)], { stdio: 'ignore' });
  others.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(docroot, { recursive: true, force: true });
  });
  await waitForListener(port, child, 'nghttpd');
  return port;
}

describe('multiplex over h2c', () => {
  it('reports the round trip of PINGs on each session under load (rtt): one as it opens, then about one a second', async () => {
    const s = await h2c({ latencyMs: 5 });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '2', '--streams', '4', '--rate', '200', '-d', '2500ms']);
    expect(code).toBe(0);
    const rtt = result.phases[0].metrics.rtt;
    // Each session (the open model opens as many as the rate needs) had its opening PING and at least
    // one more during 2.5 s.
    expect(rtt!.count).toBeGreaterThanOrEqual(2 * result.phases[0].connections.opened);
    expect(rtt!.min).toBeGreaterThan(0);
    expect(rtt!.max).toBeLessThan(result.phases[0].metrics.latency!.max + 1000);
  });

  it('-c 2 --streams 10 opens exactly 2 sessions with at most 10 streams in flight on each, and close to 10 under load', async () => {
    const s = await h2c({ latencyMs: 5 });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '2', '--streams', '10', '-n', '2000']);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    const stats = s.stats();
    expect(p.strategy).toBe('multiplex');
    expect(p.requests.completed).toBe(2000);
    expect(p.requests.errors).toBe(0);
    expect(p.requests.byStatus).toEqual({ '200': 2000 });
    expect(stats.sessions).toBe(2);
    expect(stats.connections).toBe(2);
    expect(stats.requestsByVersion.h2).toBe(2000);
    expect(p.connections.opened).toBe(2);
    expect(stats.peakStreamsPerSession).toBeLessThanOrEqual(10);
    expect(stats.peakStreamsPerSession).toBeGreaterThanOrEqual(8);
    expect(p.http2!.streamsAsked).toBe(10);
    expect(p.http2!.peakConcurrentStreams).toBe(10);
    expect(p.http2!.limitedByServer).toBe(false);
    expect(p.http2!.streamsPerSession.mean).toBeCloseTo(1000, -1);
    expect(p.http2!.goaway).toEqual({});
    expect(p.http2!.resetStreams).toEqual({});
    for (const m of ['connect', 'wait', 'ttfb', 'download', 'latency'] as const) expect(p.metrics[m]!.count, m).toBeGreaterThan(0);
    expect(p.metrics.connect!.count).toBe(2);
    expect(p.metrics.ttfb!.count).toBe(2000);
    // cleartext: no TLS time, no TLS facts
    expect(p.metrics.tls).toBeUndefined();
    expect(p.tls).toBeNull();
  });

  it("caps the streams at the server's SETTINGS_MAX_CONCURRENT_STREAMS and says so", async () => {
    const s = await h2c({ latencyMs: 5, maxConcurrentStreams: 4 });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '2', '--streams', '10', '-n', '400']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(400);
    expect(p.requests.errors).toBe(0);
    expect(s.stats().peakStreamsPerSession).toBeLessThanOrEqual(4);
    expect(p.http2!.serverMaxStreams).toBe(4);
    expect(p.http2!.limitedByServer).toBe(true);
    expect(p.http2!.peakConcurrentStreams).toBe(4);
    expect(p.notes.join('\n')).toMatch(/allows 4 concurrent streams.*fewer than --streams 10/);
  });

  it('counts a GOAWAY from the server mid-run and goes on over new sessions', async () => {
    const s = await h2c({ latencyMs: 2 });
    const run = runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '2', '--streams', '10', '-n', '3000']);
    // Once the run is well under way, the server says GOAWAY to both sessions.
    for (let i = 0; i < 2000 && s.stats().requests < 500; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.stats().requests).toBeGreaterThanOrEqual(500);
    s.goawayAll();
    const { code, result } = await run;
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    const stats = s.stats();
    expect(p.requests.completed).toBe(3000);
    expect(p.requests.errors).toBe(0);
    expect(stats.requests).toBe(3000);
    expect(stats.sessions).toBe(4);
    expect(p.connections.opened).toBe(4);
    expect(p.http2!.goaway).toEqual({ NO_ERROR: 2 });
    expect(p.connections.closedByServer).toBe(2);
    expect(p.notes.join('\n')).toMatch(/GOAWAY/);
  });

  it('counts streams the server resets by error code, and the session goes on', async () => {
    const s = await h2c({ faults: { truncate: 0, reset: 1, stall: 0, malformed: 0 } });
    const { code, result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '2', '--streams', '5', '-n', '40']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(0);
    expect(p.errors).toEqual({ RST_STREAM_INTERNAL_ERROR: 40 });
    expect(p.http2!.resetStreams).toEqual({ INTERNAL_ERROR: 40 });
    expect(s.stats().sessions).toBe(2);
  });

  it('agrees with one and with two workers', async () => {
    const runs = [];
    for (const workers of ['1', '2']) {
      const s = await h2c({ latencyMs: 2 });
      const { result } = await runJson(['run', `${s.url}/`, '-s', 'multiplex', '-c', '4', '--streams', '5', '-n', '800', '-w', workers]);
      runs.push(result.phases[0]);
      expect(s.stats().sessions, `workers ${workers}`).toBe(4);
      expect(s.stats().peakStreamsPerSession).toBeLessThanOrEqual(5);
    }
    for (const p of runs) {
      expect(p.requests.completed).toBe(800);
      expect(p.connections.opened).toBe(4);
      expect(p.http2!.peakConcurrentStreams).toBe(5);
      expect(p.http2!.streamsPerSession.mean).toBeCloseTo(200, -1);
    }
  });

  it('runs against nghttpd, a real HTTP/2 server, within its stream limit', async () => {
    const port = await nghttpd(8);
    const { code, result } = await runJson(['run', `http://127.0.0.1:${port}/index.html`, '-s', 'multiplex', '-c', '2', '--streams', '10', '-n', '2000']);
    expect(code).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(2000);
    expect(p.requests.byStatus).toEqual({ '200': 2000 });
    expect(p.connections.opened).toBe(2);
    expect(p.http2!.serverMaxStreams).toBe(8);
    expect(p.http2!.limitedByServer).toBe(true);
    expect(p.http2!.peakConcurrentStreams).toBeLessThanOrEqual(8);
    expect(p.metrics.download!.count).toBe(2000);
  });

  it("against nghttpd: its SETTINGS as received, HPACK's dynamic table shrinking later response headers, and bodies waiting for window", async () => {
    const port = await nghttpd(100);
    const get = await runJson(['run', `http://127.0.0.1:${port}/index.html`, '-s', 'multiplex', '-c', '1', '--streams', '4', '-n', '200']);
    expect(get.code).toBe(0);
    assertValidResult(get.result);
    const h2 = get.result.phases[0].http2;
    expect(h2!.serverSettings!.maxConcurrentStreams).toBe(100);
    const b = h2!.headerBytes;
    expect(b!.sentFirst.blocks).toBe(1);
    expect(b!.sentLater.blocks).toBe(199);
    expect(b!.receivedFirst.blocks).toBe(1);
    expect(b!.receivedLater.blocks).toBeGreaterThanOrEqual(199);
    // Our request blocks are stateless (the same bytes on every stream); nghttpd indexes its response
    // headers, so its later blocks are a fraction of its first.
    expect(b!.sentLater.encoded / b!.sentLater.plain).toBeCloseTo(b!.sentFirst.encoded / b!.sentFirst.plain, 2);
    expect(b!.receivedLater.encoded / b!.receivedLater.plain).toBeLessThan(b!.receivedFirst.encoded / b!.receivedFirst.plain / 2);
    // 200 KB bodies against nghttpd's 64 KB initial windows: every body waited for WINDOW_UPDATE.
    const bodyDir = await mkdtemp(path.join(os.tmpdir(), 'connload-body-'));
    others.push(() => rm(bodyDir, { recursive: true, force: true }));
    await writeFile(path.join(bodyDir, 'body'), 'x'.repeat(200_000));
    const post = await runJson([
      'run',
      `http://127.0.0.1:${port}/index.html`,
      '-s',
      'multiplex',
      '-c',
      '1',
      '--streams',
      '2',
      '-n',
      '20',
      '-m',
      'POST',
      '--body-file',
      path.join(bodyDir, 'body'),
    ]);
    expect(post.code).toBe(0);
    expect(post.result.phases[0].requests.completed).toBe(20);
    expect(post.result.phases[0].metrics.flowControlWait!.count).toBe(20);
  });
});

describe('multiplex: bad input and servers without HTTP/2', () => {
  it('--streams 0 is refused before anything is sent (exit 2)', async () => {
    const s = await h2c();
    const r = await runCli(['run', `${s.url}/`, '-s', 'multiplex', '--streams', '0', '-n', '10', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--streams.*positive integer/);
    expect(s.stats().connections).toBe(0);
  });

  it('a server that answers the h2c preface with HTTP/1.x is one clear line, exit 3', async () => {
    const s = await startServer({ h2c: false });
    servers.push(s);
    const r = await runCli(['run', `${s.url}/`, '-s', 'multiplex', '-n', '10', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/answered with HTTP\/1\.x.*does not speak HTTP\/2.*EHTTP1/);
  });

  it('a server that answers the h2c preface with bytes of no protocol is not called HTTP/1.x: one line with its first bytes, exit 3', async () => {
    const sockets = new Set<net.Socket>();
    const garbage = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.end(Buffer.from([0x01, 0x02, 0x03, 0xff, 0xfe, 0x00, 0x42, 0x43, 0x44]));
    });
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    others.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => garbage.close(() => resolve()));
    });
    const { port } = garbage.address() as net.AddressInfo;
    const r = await runCli(['run', `http://127.0.0.1:${port}/`, '-s', 'multiplex', '-n', '10', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('HTTP/1.x;');
    expect(r.stderr).toContain('neither HTTP/2 nor HTTP/1.x (first bytes 01 02 03 ff fe 00 42 43)');
    expect(r.stderr).toContain('ENOH2');
  });

  it('a server that closes without HTTP/2 SETTINGS is one clear line, exit 3', async () => {
    // Reads (and drops) the preface, so that the client's FIN is seen and the socket closes.
    const silent = net.createServer((socket) => socket.resume().end());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    others.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const { port } = silent.address() as net.AddressInfo;
    const r = await runCli(['run', `http://127.0.0.1:${port}/`, '-s', 'multiplex', '-n', '10', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/without an HTTP\/2 SETTINGS frame.*ENOH2/);
  });
});
