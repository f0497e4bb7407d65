// h2 (TLS, ALPN) and h2c (cleartext, prior knowledge): one GET stream on a new
// connection through node:http2. Each applies to one kind of target only.
import http2 from 'node:http2';
import type net from 'node:net';
import { USER_AGENT } from '../version.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { VersionCheck } from './types.js';
import { openSocket } from './wire.js';

type Result = Omit<VersionCheck, 'durationMs'>;

export async function checkH2(ctx: ProbeContext): Promise<Result> {
  if (ctx.target.tls === null) return notApplicable('cleartext target: h2 is negotiated over TLS (see h2c)');
  const untilMs = nowMs() + ctx.timeoutMs;
  const opened = await openSocket(ctx, ['h2', 'http/1.1'], untilMs);
  const alpn = opened.tls?.alpn ?? null;
  if (alpn !== 'h2') {
    opened.socket.destroy();
    return { verdict: 'no', evidence: alpn === null ? 'the server chose no protocol by ALPN' : `ALPN chose ${alpn}, not h2`, statusCode: null, answeredAs: null };
  }
  return streamResult(await getOneStream(ctx, opened.socket, untilMs), 'ALPN h2');
}

export async function checkH2c(ctx: ProbeContext): Promise<Result> {
  if (ctx.target.tls !== null) return notApplicable('TLS target: h2c is HTTP/2 in cleartext (see h2)');
  const untilMs = nowMs() + ctx.timeoutMs;
  const opened = await openSocket(ctx, [], untilMs);
  return streamResult(await getOneStream(ctx, opened.socket, untilMs), 'prior knowledge');
}

function notApplicable(evidence: string): Result {
  return { verdict: 'n/a', evidence, statusCode: null, answeredAs: null };
}

function streamResult(outcome: StreamOutcome, how: string): Result {
  if ('status' in outcome) return { verdict: 'yes', evidence: `answered ${outcome.status} over h2 (${how})`, statusCode: outcome.status, answeredAs: 'h2' };
  return { verdict: outcome.timedOut ? 'unknown' : 'no', evidence: `${how}: ${outcome.why}`, statusCode: null, answeredAs: null };
}

type StreamOutcome = { status: number } | { why: string; timedOut: boolean };

/** GET on one stream of a session over `socket`; the session and socket are closed after. */
function getOneStream(ctx: ProbeContext, socket: net.Socket, untilMs: number): Promise<StreamOutcome> {
  const { target, signal } = ctx;
  return new Promise((resolve) => {
    let status = 0;
    let done = false;
    const session = http2.connect(`${target.tls ? 'https' : 'http'}://${target.hostHeader}`, { createConnection: () => socket });
    const finish = (outcome: StreamOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      session.destroy();
      socket.destroy();
      resolve(outcome);
    };
    const notHttp2 = (detail: string) => {
      // Bytes that were no SETTINGS frame: most likely an HTTP/1.x answer to the preface.
      const why =
        socket.bytesRead > 0 ? `the server answered with something other than HTTP/2 (${detail})` : `the server closed without an HTTP/2 SETTINGS frame (${detail})`;
      finish({ why, timedOut: false });
    };
    const onAbort = () => finish({ why: 'interrupted', timedOut: true });
    const timer = setTimeout(() => finish({ why: `no HTTP/2 answer within ${showMs(ctx.timeoutMs)}`, timedOut: true }), Math.max(0, untilMs - nowMs()));
    signal.addEventListener('abort', onAbort, { once: true });
    session.on('error', (err: NodeJS.ErrnoException) => notHttp2(err.code ?? err.message));
    session.on('close', () => notHttp2('connection closed'));
    const stream = session.request({ ':method': 'GET', ':path': target.path, 'user-agent': USER_AGENT });
    // A response head is proof enough: the body is not read.
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
      finish({ status });
    });
    stream.on('error', (err: NodeJS.ErrnoException) => notHttp2(err.code ?? err.message));
  });
}
