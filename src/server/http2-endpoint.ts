// HTTP/2 on node:http2: sockets already accepted (h2c after sniffing the preface,
// or TLS after ALPN chose h2) are handed in; streams are answered like HTTP/1 requests.
import http2, { type Http2Server, type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { BodyPool } from './body-pool.js';
import type { CapacityGate, CapacityTicket } from './capacity.js';
import { resetConnection, type TrackedConnection } from './connections.js';
import type { FaultPicker } from './faults.js';
import { planResponse, statusHasBody, type ResponsePlan } from './request-target.js';
import type { ServerStatsRecorder } from './stats.js';
import type { ServerOptions } from './types.js';

export interface Http2Context {
  options: ServerOptions;
  stats: ServerStatsRecorder;
  bodies: BodyPool;
  pickFault: FaultPicker;
  defaultPlan: ResponsePlan;
  /** --capacity: at most N requests in service at once, or null for no limit */
  capacity: CapacityGate | null;
}

export interface Http2Endpoint {
  /** runs HTTP/2 on a socket the server accepted */
  accept(socket: Socket, connection: TrackedConnection): void;
  /** GOAWAY to every session; each closes once its streams are done */
  goawayAll(): void;
}

interface SessionState {
  connection: TrackedConnection;
  streamsInFlight: number;
}

const { NGHTTP2_INTERNAL_ERROR } = http2.constants;

export function createHttp2Endpoint(context: Http2Context): Http2Endpoint {
  const { options } = context;
  const server: Http2Server = http2.createServer({
    settings: { maxConcurrentStreams: options.maxConcurrentStreams },
    maxSessionMemory: 64,
  });
  const sessions = new Map<ServerHttp2Session, SessionState>();
  // 'session' is emitted synchronously inside emit('connection'), so this names its connection.
  let accepting: TrackedConnection | null = null;

  server.on('session', (session: ServerHttp2Session) => {
    const state: SessionState = { connection: accepting!, streamsInFlight: 0 };
    sessions.set(session, state);
    context.stats.sessionOpened();
    session.on('error', () => {});
    session.once('close', () => sessions.delete(session));
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) =>
      answerStream(stream, headers, rawHeaders, state, context),
    );
    if (options.keepAliveTimeoutMs !== null) {
      session.setTimeout(options.keepAliveTimeoutMs, () => {
        if (state.streamsInFlight > 0 || state.connection.serverClosing) return;
        if (options.closeStyle === 'rst') resetConnection(state.connection, state.connection.raw);
        else {
          state.connection.serverClosing = true;
          session.close();
        }
      });
    }
    state.connection.shutdown = () => {
      session.close();
      if (state.streamsInFlight > 0) session.destroy();
    };
  });

  return {
    accept(socket, connection) {
      socket.on('error', () => {});
      accepting = connection;
      try {
        server.emit('connection', socket);
      } finally {
        accepting = null;
      }
    },
    goawayAll() {
      for (const [session, state] of sessions) {
        state.connection.serverClosing = true;
        session.close();
      }
    },
  };
}

function answerStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  rawHeaders: string[],
  session: SessionState,
  context: Http2Context,
): void {
  const { stats, options } = context;
  session.streamsInFlight++;
  stats.streamStarted(session.streamsInFlight);
  let finished = false;
  let timer: NodeJS.Timeout | null = null;
  let ticket: CapacityTicket | null = null;
  const finish = () => {
    if (finished) return;
    finished = true;
    session.streamsInFlight--;
    stats.streamFinished();
  };
  stream.on('error', () => {});
  stream.once('close', () => {
    if (timer) clearTimeout(timer);
    ticket?.cancel();
    finish();
  });
  stream.resume(); // a request body is read and discarded

  const planned = planResponse(String(headers[':path'] ?? '/'), options, context.defaultPlan);
  if ('badRequest' in planned) {
    respond(stream, 400, Buffer.from(`${planned.badRequest}\n`), false);
    stats.answered('h2');
    return finish();
  }
  const { plan } = planned;
  const fault = context.pickFault();
  if (fault) stats.fault(fault);
  if (fault === 'reset') {
    stream.close(NGHTTP2_INTERNAL_ERROR);
    return finish();
  }
  const send = () => {
    timer = null;
    if (stream.destroyed || stream.closed) return;
    const body = plan.echoHeaders ? Buffer.from(echoedHeaders(rawHeaders), 'latin1') : context.bodies.get(plan.bodyBytes);
    if (fault === 'truncate') {
      // Content-Length promises the whole body, END_STREAM comes after half of it.
      stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': body.length });
      stream.end(body.subarray(0, Math.floor(body.length / 2)));
    } else if (fault === 'malformed') {
      stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': '2x0' });
      stream.end(body);
    } else {
      respond(stream, plan.status, body, headers[':method'] === 'HEAD');
      stats.answered('h2');
    }
    finish();
  };
  const delayMs = fault === 'stall' ? options.stallMs : plan.latencyMs;
  // With a capacity, the latency runs only once a slot is free (the stream waits its turn).
  const serve = (held: CapacityTicket | null) => {
    const done = () => {
      held?.cancel();
      send();
    };
    if (delayMs > 0) timer = setTimeout(done, delayMs);
    else done();
  };
  if (context.capacity === null) serve(null);
  else ticket = context.capacity.acquire(serve);
}

function respond(stream: ServerHttp2Stream, status: number, body: Buffer, headOnly: boolean): void {
  if (!statusHasBody(status)) {
    stream.respond({ ':status': status, 'content-type': 'text/plain' }, { endStream: true });
    return;
  }
  const headers = { ':status': status, 'content-type': 'text/plain', 'content-length': body.length };
  if (headOnly || body.length === 0) stream.respond(headers, { endStream: true });
  else {
    stream.respond(headers);
    stream.end(body);
  }
}

/** The request headers as "name: value" lines, pseudo-headers left out. */
function echoedHeaders(rawHeaders: string[]): string {
  let text = '';
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!rawHeaders[i]!.startsWith(':')) text += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\n`;
  }
  return text;
}
