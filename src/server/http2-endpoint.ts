// HTTP/2 on connload's own codec (src/http2/server-session.ts): sockets already
// accepted (h2c after sniffing the preface, or TLS after ALPN chose h2) are
// handed in; streams are answered like HTTP/1 requests.
import type { Socket } from 'node:net';
import { INTERNAL_ERROR } from '../http2/error-codes.js';
import { Http2ServerSession, type ServerRequest, type ServerSessionOwner } from '../http2/server-session.js';
import type { BodyPool } from './body-pool.js';
import type { CapacityGate, CapacityTicket } from './capacity.js';
import { closeConnection, resetConnection, type TrackedConnection } from './connections.js';
import type { FaultPicker } from './faults.js';
import { ECHO_HEADERS_PATH, planResponse, statusHasBody, type ResponsePlan } from './request-target.js';
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
  socket: Socket;
  /** streams answered or waiting for their delay, by id: the timer of a delayed one */
  inFlight: Map<number, NodeJS.Timeout | null>;
  /** --capacity: the place in the queue (or the slot) of streams waiting or in service, by id */
  tickets: Map<number, CapacityTicket>;
}

const TEXT_PLAIN = ['content-type', 'text/plain'] as const;

export function createHttp2Endpoint(context: Http2Context): Http2Endpoint {
  const { options, stats } = context;
  const sessions = new Map<Http2ServerSession, SessionState>();

  const finish = (state: SessionState, id: number): void => {
    const timer = state.inFlight.get(id);
    if (timer === undefined) return;
    if (timer !== null) clearTimeout(timer);
    state.inFlight.delete(id);
    state.tickets.get(id)?.cancel();
    state.tickets.delete(id);
    stats.streamFinished();
  };

  const owner = (state: SessionState): ServerSessionOwner => ({
    wantsFields: (path) => path.split('?')[0] === ECHO_HEADERS_PATH,
    onStream: (session, id, request) => answerStream(session, id, request, state, context, finish),
    onStreamGone: (_session, id) => finish(state, id),
  });

  return {
    accept(socket, connection) {
      socket.on('error', () => {});
      const state: SessionState = { connection, socket, inFlight: new Map(), tickets: new Map() };
      // The server's GOAWAY is out and the last stream answered: the server closes (FIN).
      const drained = (): void => closeConnection(connection, socket, 'fin');
      const session = new Http2ServerSession(socket, owner(state), options.maxConcurrentStreams, drained);
      sessions.set(session, state);
      stats.sessionOpened();
      socket.on('end', () => socket.end());
      socket.once('close', () => {
        session.closeAll();
        sessions.delete(session);
      });
      if (options.keepAliveTimeoutMs !== null) {
        socket.setTimeout(options.keepAliveTimeoutMs, () => {
          if (state.inFlight.size > 0 || connection.serverClosing) return;
          if (options.closeStyle === 'rst') resetConnection(connection, socket);
          else {
            connection.serverClosing = true;
            session.goaway();
          }
        });
      }
      connection.shutdown = () => {
        session.goaway();
        if (state.inFlight.size > 0) socket.destroy();
      };
      socket.resume(); // the preface sniffer paused it
    },
    goawayAll() {
      for (const [session, state] of sessions) {
        state.connection.serverClosing = true;
        session.goaway();
      }
    },
  };
}

function answerStream(
  session: Http2ServerSession,
  id: number,
  request: ServerRequest,
  state: SessionState,
  context: Http2Context,
  finish: (state: SessionState, id: number) => void,
): void {
  const { stats, options } = context;
  if (state.inFlight.size >= options.maxConcurrentStreams) {
    // Beyond the SETTINGS_MAX_CONCURRENT_STREAMS we announced (RFC 9113 5.1.2).
    session.refuse(id);
    return;
  }
  state.inFlight.set(id, null);
  stats.streamStarted(state.inFlight.size);

  const planned = planResponse(request.path, options, context.defaultPlan);
  if ('badRequest' in planned) {
    respond(session, id, 400, Buffer.from(`${planned.badRequest}\n`), false);
    stats.answered('h2');
    return finish(state, id);
  }
  const { plan } = planned;
  const fault = context.pickFault();
  if (fault) stats.fault(fault);
  if (fault === 'reset') {
    session.reset(id, INTERNAL_ERROR);
    return finish(state, id);
  }
  const send = (): void => {
    if (!state.inFlight.has(id)) return;
    const body = plan.echoHeaders ? Buffer.from(echoedHeaders(request.fields), 'latin1') : context.bodies.get(plan.bodyBytes);
    if (fault === 'truncate') {
      // Content-Length promises the whole body, END_STREAM comes after half of it.
      session.respond(id, 200, [TEXT_PLAIN, ['content-length', String(body.length)]], body.subarray(0, Math.floor(body.length / 2)));
    } else if (fault === 'malformed') {
      session.respond(id, 200, [TEXT_PLAIN, ['content-length', '2x0']], body);
    } else {
      respond(session, id, plan.status, body, request.method === 'HEAD');
      stats.answered('h2');
    }
    finish(state, id);
  };
  const delayMs = fault === 'stall' ? options.stallMs : plan.latencyMs;
  // With a capacity, the latency runs only once a slot is free (the stream waits its turn).
  const serve = (ticket: CapacityTicket | null): void => {
    const done = (): void => {
      ticket?.cancel();
      send();
    };
    if (!state.inFlight.has(id)) return ticket?.cancel();
    if (delayMs > 0) state.inFlight.set(id, setTimeout(done, delayMs));
    else done();
  };
  if (context.capacity === null) return serve(null);
  const ticket = context.capacity.acquire(serve);
  if (state.inFlight.has(id)) state.tickets.set(id, ticket);
}

function respond(session: Http2ServerSession, id: number, status: number, body: Buffer, headOnly: boolean): void {
  if (!statusHasBody(status)) {
    session.respond(id, status, [TEXT_PLAIN], null);
    return;
  }
  const fields = [TEXT_PLAIN, ['content-length', String(body.length)] as const];
  session.respond(id, status, fields, headOnly || body.length === 0 ? null : body);
}

/** The request headers as "name: value" lines, pseudo-headers left out. */
function echoedHeaders(fields: Array<[string, string]>): string {
  let text = '';
  for (const [name, value] of fields) text += `${name}: ${value}\n`;
  return text;
}
