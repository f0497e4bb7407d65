// One HTTP/1.x connection (TCP or TLS): requests parsed as they arrive,
// answers sent in request order, keep-alive rules, idle timeout and faults.
import type { Socket } from 'node:net';
import type { CapacityGate, CapacityTicket } from './capacity.js';
import { closeConnection, resetConnection, type TrackedConnection } from './connections.js';
import type { FaultPicker } from './faults.js';
import type { Http1Framing, Http1Responses } from './http1-responses.js';
import { Http1RequestParser, type Http1Request, type RequestParseError } from './request-parser.js';
import { planResponse, type ResponsePlan } from './request-target.js';
import type { HttpVersionKey, ServerStatsRecorder } from './stats.js';
import type { ServerOptions } from './types.js';

/**
 * With close style RST, the reset waits this long after the last answer: a RST that
 * reaches the client while the answer is still unread in its kernel buffer shows up
 * there as a plain end of stream, not as ECONNRESET.
 */
const RESET_AFTER_ANSWER_MS = 25;

export interface Http1Context {
  options: ServerOptions;
  stats: ServerStatsRecorder;
  responses: Http1Responses;
  pickFault: FaultPicker;
  defaultPlan: ResponsePlan;
  /** --capacity: at most N requests in service at once, or null for no limit */
  capacity: CapacityGate | null;
}

type AnswerKind = 'respond' | 'truncate' | 'reset' | 'malformed';

interface Answer {
  kind: AnswerKind;
  bytes: Buffer[];
  /** the connection closes after this answer */
  closeAfter: boolean;
  /** counted as answered under this version; null for answers to unparseable input */
  version: HttpVersionKey | null;
  ready: boolean;
  timer: NodeJS.Timeout | null;
  /** its place in the capacity queue, or its slot there while its latency runs */
  ticket: CapacityTicket | null;
}

export function serveHttp1(socket: Socket, connection: TrackedConnection, context: Http1Context): void {
  new Http1Connection(socket, connection, context).start();
}

class Http1Connection {
  private readonly parser: Http1RequestParser;
  /** answers waiting for their delay or for an earlier answer */
  private readonly queue: Answer[] = [];
  private requestsSeen = 0;
  /** an answer that closes the connection has been planned: nothing more is read */
  private closing = false;
  private clientEnded = false;
  private resetTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly connection: TrackedConnection,
    private readonly context: Http1Context,
  ) {
    this.parser = new Http1RequestParser(
      (request) => this.onRequest(request),
      (error) => this.onParseError(error),
    );
  }

  start(): void {
    const { socket } = this;
    socket.on('data', (chunk: Buffer) => {
      if (this.resetTimer) return this.resetNow();
      // Answers to pipelined requests in one chunk leave in one write.
      socket.cork();
      this.parser.push(chunk);
      socket.uncork();
    });
    socket.on('end', () => this.onClientEnd());
    socket.on('error', () => {});
    socket.once('close', () => this.onClose());
    const idleMs = this.context.options.keepAliveTimeoutMs;
    if (idleMs !== null) {
      socket.setTimeout(idleMs);
      socket.on('timeout', () => this.onIdle());
    }
    this.connection.shutdown = () => this.shutdown();
    socket.resume();
  }

  private onRequest(request: Http1Request): void {
    const { options, responses, stats } = this.context;
    const http11 = request.minorVersion === 1;
    this.requestsSeen++;
    let keepAlive = http11 ? !request.connectionClose : options.http10KeepAlive && request.connectionKeepAlive && !request.connectionClose;
    if (options.keepAliveMax !== null && this.requestsSeen >= options.keepAliveMax) keepAlive = false;
    const framing: Http1Framing = { chunked: options.chunked && http11, keepAlive, headOnly: request.method === 'HEAD' };
    const version: HttpVersionKey = http11 ? 'http11' : 'http10';

    const planned = planResponse(request.target, options, this.context.defaultPlan);
    if ('badRequest' in planned) {
      this.plan({ kind: 'respond', bytes: responses.text(400, `${planned.badRequest}\n`, framing), closeAfter: !keepAlive, version }, 0);
      return;
    }
    const { plan } = planned;
    const fault = this.context.pickFault();
    if (fault) stats.fault(fault);
    switch (fault) {
      case 'reset':
        this.plan({ kind: 'reset', bytes: [], closeAfter: true, version }, 0);
        return;
      case 'truncate':
        this.plan({ kind: 'truncate', bytes: responses.truncated(plan.bodyBytes, keepAlive), closeAfter: true, version }, plan.latencyMs);
        return;
      case 'malformed':
        this.plan({ kind: 'malformed', bytes: responses.malformed(plan.bodyBytes), closeAfter: true, version }, plan.latencyMs);
        return;
      case 'stall':
      case null: {
        const bytes = plan.echoHeaders
          ? responses.text(plan.status, `${request.headerLines.join('\n')}\n`, framing)
          : responses.fixed(plan.status, plan.bodyBytes, framing);
        const delayMs = fault === 'stall' ? options.stallMs : plan.latencyMs;
        this.plan({ kind: 'respond', bytes, closeAfter: !keepAlive, version }, delayMs);
        return;
      }
    }
  }

  private onParseError(error: RequestParseError): void {
    const bytes = this.context.responses.text(error.status, `${error.reason}\n`, {
      chunked: false,
      keepAlive: false,
      headOnly: false,
    });
    this.plan({ kind: 'respond', bytes, closeAfter: true, version: null }, 0);
  }

  /** Sends the answer now, or once its delay is over and every earlier answer has left. */
  private plan(answer: Omit<Answer, 'ready' | 'timer' | 'ticket'>, delayMs: number): void {
    if (answer.closeAfter) {
      this.closing = true;
      this.parser.stop();
    }
    const gate = this.context.capacity;
    if (gate === null && delayMs <= 0 && this.queue.length === 0) {
      this.send(answer);
      return;
    }
    const queued: Answer = { ...answer, ready: false, timer: null, ticket: null };
    this.queue.push(queued);
    const served = (ticket: CapacityTicket | null) => {
      ticket?.cancel(); // the slot is free once the answer is ready to leave
      queued.ticket = null;
      queued.ready = true;
      this.flush();
    };
    // With a capacity, the latency runs only once a slot is free (the request waits its turn).
    const serve = (ticket: CapacityTicket | null) => {
      if (delayMs <= 0) return served(ticket);
      queued.timer = setTimeout(() => {
        queued.timer = null;
        served(ticket);
      }, delayMs);
    };
    if (gate === null) serve(null);
    else {
      const ticket = gate.acquire(serve);
      if (!queued.ready) queued.ticket = ticket;
    }
  }

  private flush(): void {
    this.socket.cork();
    while (this.queue.length > 0 && this.queue[0]!.ready) this.send(this.queue.shift()!);
    this.socket.uncork();
  }

  private send(answer: Omit<Answer, 'ready' | 'timer' | 'ticket'>): void {
    const { socket, connection } = this;
    if (socket.destroyed || connection.serverClosing) return;
    switch (answer.kind) {
      case 'reset':
        resetConnection(connection, socket);
        return;
      case 'truncate':
      case 'malformed':
        // A FIN in the middle of a body is what a client recognises as truncation.
        for (const bytes of answer.bytes) socket.write(bytes);
        closeConnection(connection, socket, 'fin');
        return;
      case 'respond':
        break;
    }
    const last = answer.bytes.length - 1;
    const resetAfter = answer.closeAfter && this.context.options.closeStyle === 'rst';
    for (let i = 0; i < last; i++) socket.write(answer.bytes[i]!);
    if (resetAfter) {
      connection.serverClosing = true;
      socket.write(answer.bytes[last]!, () => this.resetSoon());
    } else socket.write(answer.bytes[last]!);
    if (answer.version) this.context.stats.answered(answer.version);
    if (answer.closeAfter) {
      if (!resetAfter) closeConnection(connection, socket, 'fin');
    } else if (this.clientEnded && this.queue.length === 0) socket.end();
  }

  private resetSoon(): void {
    if (this.socket.destroyed) return;
    this.resetTimer = setTimeout(() => this.resetNow(), RESET_AFTER_ANSWER_MS);
  }

  private resetNow(): void {
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = null;
    resetConnection(this.connection, this.socket);
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.resetTimer) return this.resetNow();
    // The client half-closed: answer what it asked for, then close our side too.
    if (this.queue.length === 0 && !this.closing && !this.connection.serverClosing) this.socket.end();
  }

  private onIdle(): void {
    // Still working on a request (latency, stall): not idle.
    if (this.queue.length > 0 || this.closing || this.connection.serverClosing) return;
    this.parser.stop();
    closeConnection(this.connection, this.socket, this.context.options.closeStyle);
  }

  private shutdown(): void {
    const idle = this.queue.length === 0 && !this.parser.midRequest && !this.resetTimer;
    this.parser.stop();
    if (idle) {
      closeConnection(this.connection, this.socket, 'fin');
    } else this.socket.destroy();
  }

  private onClose(): void {
    for (const answer of this.queue) {
      if (answer.timer) clearTimeout(answer.timer);
      answer.ticket?.cancel();
    }
    this.queue.length = 0;
    if (this.resetTimer) clearTimeout(this.resetTimer);
    this.resetTimer = null;
  }
}
