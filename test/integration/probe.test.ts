// `connload probe` against real servers on loopback: the built-in server with
// different connection behaviour, raw servers that misbehave on pipelining and
// half-close, nginx (as a target and as a proxy), TLS, and the CLI's exit codes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.js';
import { runProbe, type ProbeOptions } from '../../src/probe/probe.js';
import type { ProbeResult } from '../../src/probe/types.js';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import type { Http1Request } from '../../src/server/request-parser.js';
import { makeCertificates, type TestCertificates } from '../helpers/certs.js';
import { runCli, runJson } from '../helpers/cli.js';
import { freePort } from '../helpers/listen.js';
import { nginxAvailable, startNginx } from '../helpers/nginx.js';
import { okResponse, rawServer, type RawConnectionContext } from '../helpers/raw-server.js';

const cleanups: Array<() => Promise<void>> = [];
let certDir: string;
let certs: TestCertificates;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'connload-probe-'));
  certs = await makeCertificates(certDir);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function server(options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  // A short idle timeout keeps every probe short: the idle check waits for it.
  const s = await startServer({ keepAliveTimeoutMs: 1000, ...options });
  cleanups.push(() => s.close());
  return s;
}

function probe(url: string, options: Partial<ProbeOptions> = {}): Promise<ProbeResult> {
  return runProbe({ url, timeoutMs: 5000, idleMaxMs: 3000, insecure: false, caPem: null, servername: null, signal: new AbortController().signal, ...options });
}

describe('probe against the built-in server', () => {
  it('measures the Keep-Alive max and shows the Keep-Alive header', async () => {
    const s = await server({ keepAliveMax: 5 });
    const r = await probe(`${s.url}/`);
    expect(r.schema).toBe('connload/probe@1');
    expect(r.dns).toMatchObject({ verdict: 'n/a', evidence: 'address given', lookupMs: null });
    expect(r.connect.connectMs).toBeGreaterThan(0);
    expect(r.tls).toBeNull();
    expect(r.checks.maxRequests).toMatchObject({ verdict: 'yes', requests: 5, limitFound: true, closedBy: 'announced' });
    expect(r.checks.maxRequests.evidence).toMatch(/^5 \(server closed after the 5th, Connection: close\)/);
    expect(r.checks.keepAliveHeader).toMatchObject({ verdict: 'yes', value: 'timeout=1, max=5', maxRequests: 5, timeoutS: 1 });
    expect(r.checks.persistent.verdict).toBe('yes');
    expect(r.checks.http11).toMatchObject({ verdict: 'yes', statusCode: 200, answeredAs: 'HTTP/1.1' });
    expect(r.checks.http10).toMatchObject({ verdict: 'yes', statusCode: 200 });
    expect(r.checks.halfClose.verdict).toBe('yes');
    expect(r.checks.h2).toMatchObject({ verdict: 'n/a' });
    expect(r.checks.h2c.verdict).toBe('no');
    expect(r.interrupted).toBe(false);
  });

  it('reports "at least" the cap when the server never limits a connection', async () => {
    const s = await server();
    // A generous check time: 1000 round trips must fit in it even on a busy machine.
    const r = await probe(`${s.url}/`, { timeoutMs: 30_000 });
    expect(r.checks.maxRequests).toMatchObject({ verdict: 'no', requests: 1000, limitFound: false, cap: 1000 });
    expect(r.checks.maxRequests.evidence).toMatch(/^at least 1000/);
    expect(s.stats().requestsByVersion.http11).toBeGreaterThanOrEqual(1000);
  });

  it.each(['fin', 'rst'] as const)('measures a 1 s idle timeout closed by %s', async (closeStyle) => {
    const s = await server({ closeStyle });
    const r = await probe(`${s.url}/`);
    const idle = r.checks.idleTimeout;
    expect(idle).toMatchObject({ verdict: 'yes', close: closeStyle, waitedUpToMs: 3000 });
    expect(idle.idleMs!).toBeGreaterThanOrEqual(900);
    expect(idle.idleMs!).toBeLessThan(3000);
    expect(idle.evidence).toContain(closeStyle === 'fin' ? 'by FIN' : 'by RST');
  });

  it('says "unknown" when the idle connection outlives --idle-max', async () => {
    const s = await server({ keepAliveTimeoutMs: null });
    const r = await probe(`${s.url}/`, { idleMaxMs: 300 });
    expect(r.checks.idleTimeout).toMatchObject({ verdict: 'unknown', idleMs: null, close: null, waitedUpToMs: 300 });
    expect(r.checks.idleTimeout.evidence).toMatch(/still open at --idle-max/);
  });

  it('sees HTTP/1.0 Keep-Alive refused when the server closes HTTP/1.0 connections', async () => {
    const s = await server({ http10KeepAlive: false });
    const r = await probe(`${s.url}/`);
    expect(r.checks.http10KeepAlive.verdict).toBe('no');
    expect(r.checks.http10KeepAlive.evidence).toMatch(/Connection: close/);
    expect(r.checks.http10.verdict).toBe('yes');
    expect(r.checks.persistent.verdict).toBe('yes');
  });

  it('honours HTTP/1.0 Keep-Alive by default', async () => {
    const s = await server();
    const r = await probe(`${s.url}/`);
    expect(r.checks.http10KeepAlive.verdict).toBe('yes');
  });

  it('finds h2c with prior knowledge', async () => {
    const s = await server({ h2c: true });
    const r = await probe(`${s.url}/`);
    expect(r.checks.h2c).toMatchObject({ verdict: 'yes', statusCode: 200, answeredAs: 'h2' });
    expect(s.stats().requestsByVersion.h2).toBe(1);
  });

  it('pipelines three requests in order: by framing on /, by the echo on /echo-headers', async () => {
    const s = await server();
    const plain = await probe(`${s.url}/`);
    expect(plain.checks.pipelining).toMatchObject({ verdict: 'yes', sent: 3, answered: 3, orderCheckedBy: 'framing' });
    const echo = await probe(`${s.url}/echo-headers`);
    expect(echo.checks.pipelining).toMatchObject({ verdict: 'yes', answered: 3, orderCheckedBy: 'echo' });
    expect(echo.checks.pipelining.evidence).toContain('X-Connload-Seq 1, 2, -');
  });

  it('shows which hop-by-hop headers reached an echoing target, and says when there is no echo', async () => {
    const s = await server();
    const echo = await probe(`${s.url}/echo-headers`);
    expect(echo.checks.hopByHop).toMatchObject({ verdict: 'no', echo: true });
    expect(echo.checks.hopByHop.arrived.sort()).toEqual(['Connection', 'Keep-Alive', 'TE', 'X-Connload-Hop']);
    const plain = await probe(`${s.url}/`);
    expect(plain.checks.hopByHop).toMatchObject({ verdict: 'unknown', echo: false, arrived: [] });
    expect(plain.checks.hopByHop.evidence).toMatch(/^no echo endpoint/);
  });
});

describe('probe over TLS', () => {
  const tlsServer = (options: Partial<ServerOptions> = {}) => server({ tls: { cert: certs.server.cert, key: certs.server.key }, ...options });

  it('reports the TLS version, cipher and ALPN h2, and h2 support', async () => {
    const s = await tlsServer({ keepAliveMax: 3 });
    const r = await probe(`${s.url}/`, { caPem: certs.ca.cert });
    expect(r.tls).toMatchObject({ verdict: 'yes', version: 'TLSv1.3', alpn: 'h2', authorized: true });
    expect(r.tls!.cipher).toMatch(/^TLS_/);
    expect(r.tls!.handshakeMs!).toBeGreaterThan(0);
    expect(r.checks.h2).toMatchObject({ verdict: 'yes', statusCode: 200, answeredAs: 'h2' });
    expect(r.checks.h2c.verdict).toBe('n/a');
    expect(r.checks.http11.verdict).toBe('yes');
    expect(r.checks.maxRequests).toMatchObject({ verdict: 'yes', requests: 3 });
    expect(r.checks.pipelining.verdict).toBe('yes');
    expect(r.checks.idleTimeout).toMatchObject({ verdict: 'yes', close: 'fin' });
  });

  it('refuses an unverified certificate (RunError, exit 3) and accepts it with --insecure', async () => {
    const s = await tlsServer();
    const refused = await probe(`${s.url}/`).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RunError);
    expect((refused as RunError).message).toMatch(/cannot connect to 127\.0\.0\.1 port \d+: .*--ca.*--insecure/);
    const r = await probe(`${s.url}/`, { insecure: true });
    expect(r.tls).toMatchObject({ authorized: false, alpn: 'h2' });
    expect(r.checks.http11.verdict).toBe('yes');
  });

  it('checks the certificate against --servername', async () => {
    const s = await tlsServer();
    const r = await probe(`https://127.0.0.1:${s.port}/`, { caPem: certs.ca.cert, servername: 'localhost' });
    expect(r.tls!.authorized).toBe(true);
    const wrong = await probe(`https://127.0.0.1:${s.port}/`, { caPem: certs.ca.cert, servername: 'other.example' }).catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(RunError);
  });
});

/** Answers every request with its own header lines as the body (an echo); HEAD gets the head only. */
function echoAnswer(request: Http1Request): string {
  const body = `${request.headerLines.join('\n')}\n`;
  const head = `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return request.method === 'HEAD' ? head : head + body;
}

/** Answers the requests that came in one read (pipelined) in the order `reorder` gives; a request alone at once. */
function reordersPipelined(reorder: (held: Http1Request[]) => Http1Request[], answer: (request: Http1Request) => string) {
  return (socket: Socket, ctx: RawConnectionContext) => {
    const held: Http1Request[] = [];
    ctx.onRequest((request) => held.push(request));
    // Runs after the parser's own 'data' listener: every request of this read is held by now.
    socket.on('data', () => {
      for (const r of reorder(held.splice(0))) ctx.answer(answer(r));
    });
  };
}

const swapFirstTwo = (held: Http1Request[]) => (held.length < 2 ? held : [held[1]!, held[0]!, ...held.slice(2)]);
const reverse = (held: Http1Request[]) => held.reverse();

describe('probe against misbehaving servers', () => {
  it('sees pipelined answers out of order through the echo', async () => {
    const raw = await rawServer(reordersPipelined(swapFirstTwo, echoAnswer));
    cleanups.push(() => raw.close());
    const r = await probe(`${raw.url}/echo`, { timeoutMs: 2000, idleMaxMs: 300 });
    expect(r.checks.pipelining).toMatchObject({ verdict: 'no', sent: 3, answered: 3, orderCheckedBy: 'echo' });
    expect(r.checks.pipelining.evidence).toBe('out of order: echoed X-Connload-Seq 2, 1, -');
  });

  it('sees pipelined answers out of order through the framing, without an echo', async () => {
    const plain = (request: Http1Request) => (request.method === 'HEAD' ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n' : okResponse('ok'));
    const raw = await rawServer(reordersPipelined(reverse, plain));
    cleanups.push(() => raw.close());
    const r = await probe(`${raw.url}/`, { timeoutMs: 2000, idleMaxMs: 300 });
    expect(r.checks.pipelining).toMatchObject({ verdict: 'no', orderCheckedBy: 'framing' });
    expect(r.checks.pipelining.evidence).toMatch(/does not fit its request|out of order or merged/);
  });

  it('sees pipelined requests merged into one answer', async () => {
    // Takes the first request of a read for the whole read, answers once and closes.
    const raw = await rawServer((socket) => {
      socket.once('data', () => {
        socket.write(okResponse('merged', ['Connection: close']));
        socket.end();
      });
    });
    cleanups.push(() => raw.close());
    const r = await probe(`${raw.url}/`, { timeoutMs: 2000, idleMaxMs: 300 });
    expect(r.checks.pipelining).toMatchObject({ verdict: 'no', answered: 1 });
    expect(r.checks.pipelining.evidence).toMatch(/^1 of 3 answered, then the server closed \(FIN\)/);
  });

  it('sees a server that drops the request when the client half-closes', async () => {
    const raw = await rawServer(
      (socket, ctx) => {
        // Answers on the next tick, unless the client's FIN came first: then it hangs up.
        let ended = false;
        socket.on('end', () => (ended = true));
        ctx.onRequest(() => setTimeout(() => (ended ? socket.destroy() : ctx.answer(okResponse())), 20));
      },
      { allowHalfOpen: true },
    );
    cleanups.push(() => raw.close());
    const r = await probe(`${raw.url}/`, { timeoutMs: 2000, idleMaxMs: 300 });
    expect(r.checks.halfClose.verdict).toBe('no');
    expect(r.checks.halfClose.evidence).toMatch(/^no answer: the server closed \(FIN\) after the client's FIN/);
    expect(r.checks.persistent.verdict).toBe('yes');
  });

  it('counts the requests of a server that closes without announcing it', async () => {
    const raw = await rawServer((socket, ctx) => {
      ctx.onRequest((_request, index) => {
        ctx.answer(okResponse());
        if (index === 3) socket.end();
      });
    });
    cleanups.push(() => raw.close());
    const r = await probe(`${raw.url}/`, { timeoutMs: 2000, idleMaxMs: 300 });
    expect(r.checks.maxRequests).toMatchObject({ verdict: 'yes', requests: 4, closedBy: 'fin' });
    expect(r.checks.maxRequests.evidence).toMatch(/after the 4th without Connection: close/);
  });
});

describe.skipIf(!nginxAvailable() && !process.env.CI)('probe against nginx', () => {
  it('finds persistent connections, keepalive_requests and in-order pipelining', async () => {
    const nginx = await startNginx({ keepaliveRequests: 7 });
    cleanups.push(() => nginx.stop());
    const r = await probe(`${nginx.url}/`, { idleMaxMs: 500 });
    expect(r.checks.persistent.verdict).toBe('yes');
    expect(r.checks.pipelining).toMatchObject({ verdict: 'yes', answered: 3 });
    expect(r.checks.maxRequests).toMatchObject({ verdict: 'yes', requests: 7, closedBy: 'announced' });
    expect(r.checks.http10KeepAlive.verdict).toBe('yes');
    expect(r.checks.halfClose.verdict).toBe('yes');
    expect(r.checks.h2c.verdict).toBe('no');
    // keepalive_timeout 30s: longer than this probe waits.
    expect(r.checks.idleTimeout.verdict).toBe('unknown');
    expect(r.checks.hopByHop.verdict).toBe('unknown');
  });

  it('as a proxy to an echo, strips Connection, Keep-Alive and TE but forwards the header Connection named', async () => {
    const origin = await server();
    const nginx = await startNginx({ serverDirectives: `location /echo-headers { proxy_pass http://127.0.0.1:${origin.port}; }` });
    cleanups.push(() => nginx.stop());
    const r = await probe(`${nginx.url}/echo-headers`, { idleMaxMs: 500 });
    expect(r.checks.hopByHop).toMatchObject({ verdict: 'no', echo: true, arrived: ['X-Connload-Hop'] });
  });
});

describe('connload probe (CLI)', () => {
  it('prints the table, and the result as JSON with --json -', async () => {
    const s = await server({ keepAliveMax: 4 });
    const table = await runCli(['probe', `${s.url}/`, '--idle-max', '3s', '--quiet']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/max requests per connection\s+│ 4\s+│ 4 \(server closed after the 4th/);
    expect(table.stdout).toContain('timeout=1, max=4');
    expect(table.stderr).toBe('');
    const { code, result } = await runJson(['probe', `${s.url}/`, '--idle-max', '3s']);
    expect(code).toBe(0);
    expect(result.schema).toBe('connload/probe@1');
    expect(result.checks.maxRequests.requests).toBe(4);
    expect(result.checks.idleTimeout.close).toBe('fin');
  });

  it('writes --json to a file and says the bound when not quiet', async () => {
    const s = await server();
    const file = path.join(certDir, 'probe.json');
    const r = await runCli(['probe', `${s.url}/`, '--idle-max', '2s', '--timeout', '2s', '--json', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/13 checks, at most 26s/);
    expect(r.stdout).toContain('pipelining: 3 back to back');
    expect(JSON.parse(readFileSync(file, 'utf8')).checks.pipelining.verdict).toBe('yes');
  });

  it('exits 3 with one line when the target is unreachable', async () => {
    const port = await freePort();
    const r = await runCli(['probe', `http://127.0.0.1:${port}/`]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([`connload: cannot connect to 127.0.0.1 port ${port}: connection refused (ECONNREFUSED)`]);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on a bad URL or a bad duration, sending nothing', async () => {
    const url = await runCli(['probe', 'ftp://127.0.0.1/']);
    expect(url.code).toBe(2);
    expect(url.stderr.trim()).toBe('connload: url: "ftp://127.0.0.1/" uses ftp: expected http or https');
    const timeout = await runCli(['probe', 'http://127.0.0.1:1/', '--timeout', 'soon']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--timeout: expected a duration > 0 like 5s or 500ms, got "soon"');
  });

  it('says the total bound in --help', async () => {
    const r = await runCli(['probe', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ends within .*--idle-max.*65s with the defaults/s);
  });
});
