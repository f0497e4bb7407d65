// Misbehaving HTTP/1 servers on raw sockets (127.0.0.1, port 0) for engine tests.
// Each counts accepted connections, complete requests and bytes received.
import net, { type AddressInfo, type Socket } from 'node:net';
import { Http1RequestParser, type Http1Request } from '../../src/server/request-parser.js';

export interface RawServerStats {
  connections: number;
  /** complete requests received (head and body) */
  requests: number;
  /** most requests received on one connection and not yet answered, at any moment */
  maxInFlight: number;
  bytesReceived: number;
}

export interface RawServer {
  port: number;
  url: string;
  stats: RawServerStats;
  /** Stops accepting (new connects are refused); open connections go on. */
  stopListening(): void;
  close(): Promise<void>;
}

export interface RawConnectionContext {
  /** 0 for the first connection accepted, 1 for the next... */
  connectionIndex: number;
  stats: RawServerStats;
  /** Calls `handler` for each complete request on this connection (counted), with its index on the connection. */
  onRequest(handler: (request: Http1Request, indexOnConnection: number) => void): void;
  /** Writes an answer and counts the oldest unanswered request as answered. */
  answer(bytes: string | Buffer): void;
}

export type RawConnectionHandler = (socket: Socket, context: RawConnectionContext) => void;

export interface RawServerOptions {
  /** keep our side open after the client's FIN (default false: it closes with it) */
  allowHalfOpen?: boolean;
}

/** A server running `onConnection` on every accepted socket. */
export async function rawServer(onConnection: RawConnectionHandler, options: RawServerOptions = {}): Promise<RawServer> {
  const stats: RawServerStats = { connections: 0, requests: 0, maxInFlight: 0, bytesReceived: 0 };
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => (stats.bytesReceived += chunk.length));
    const connectionIndex = stats.connections++;
    let received = 0;
    let answered = 0;
    const context: RawConnectionContext = {
      connectionIndex,
      stats,
      onRequest(handler) {
        const parser = new Http1RequestParser(
          (request) => {
            stats.requests++;
            received++;
            stats.maxInFlight = Math.max(stats.maxInFlight, received - answered);
            handler(request, received - 1);
          },
          () => socket.destroy(),
        );
        socket.on('data', (chunk: Buffer) => parser.push(chunk));
      },
      answer(bytes) {
        answered++;
        if (!socket.destroyed) socket.write(bytes);
      },
    };
    onConnection(socket, context);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stats,
    stopListening: () => {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
    },
    close: () => {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return stopped;
    },
  };
}

/** `HTTP/1.1 200 OK` with a Content-Length body; `extraHeaders` are full lines without CRLF. */
export function okResponse(body = 'ok', extraHeaders: string[] = []): string {
  const headers = [`Content-Length: ${Buffer.byteLength(body)}`, ...extraHeaders].map((h) => `${h}\r\n`).join('');
  return `HTTP/1.1 200 OK\r\n${headers}\r\n${body}`;
}

/** Reads requests and never writes a byte. */
export function neverReplies(): Promise<RawServer> {
  return rawServer((_socket, ctx) => ctx.onRequest(() => {}));
}

/** Resets the connection (RST) as soon as a complete request arrived. */
export function resetsAfterRequest(): Promise<RawServer> {
  return rawServer((socket, ctx) => ctx.onRequest(() => socket.resetAndDestroy()));
}

/** Announces Content-Length: 100, sends 50 bytes of it, then closes (FIN). */
export function truncatesBody(): Promise<RawServer> {
  return rawServer((socket, ctx) =>
    ctx.onRequest(() => {
      ctx.answer(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(50)}`);
      socket.end();
    }),
  );
}

/** Answers with a status line no parser accepts (`HTTP/1.1 2x0 OK`), then closes (FIN). */
export function malformedStatus(): Promise<RawServer> {
  return rawServer((socket, ctx) =>
    ctx.onRequest(() => {
      ctx.answer('HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok');
      socket.end();
    }),
  );
}

/**
 * Answers the Nth request on each connection with `responses[N]`, bytes as given.
 * After an answer with a `Connection: close` header, and after the last scripted
 * answer, the server closes its side (FIN); later requests stay unanswered.
 */
export function scripted(responses: Array<string | Buffer>): Promise<RawServer> {
  return rawServer((socket, ctx) =>
    ctx.onRequest((_request, index) => {
      const response = responses[index];
      if (response === undefined) return;
      ctx.answer(response);
      const head = Buffer.from(response).toString('latin1').split('\r\n\r\n')[0]!;
      if (/^connection:[^\r]*\bclose\b/im.test(head) || index === responses.length - 1) socket.end();
    }),
  );
}

/** How long recordsPipelining() holds each answer, so the client can fill its pipeline. */
export const PIPELINE_HOLD_MS = 50;

/**
 * Answers requests in order, each one PIPELINE_HOLD_MS after it reached the front,
 * with its index on the connection as the body ("0", "1", ...). `stats.maxInFlight`
 * is the most requests a client had in flight on one connection.
 */
export function recordsPipelining(): Promise<RawServer> {
  return rawServer((socket, ctx) => {
    const waiting: number[] = [];
    let timer: NodeJS.Timeout | null = null;
    const answerNext = () => {
      timer = null;
      const index = waiting.shift();
      if (index === undefined) return;
      ctx.answer(okResponse(String(index)));
      if (waiting.length > 0) timer = setTimeout(answerNext, PIPELINE_HOLD_MS);
    };
    socket.once('close', () => timer && clearTimeout(timer));
    ctx.onRequest((_request, index) => {
      waiting.push(index);
      timer ??= setTimeout(answerNext, PIPELINE_HOLD_MS);
    });
  });
}

// A raw client, to see exactly what a server sends and how it closes.

export interface RawResponse {
  statusLine: string;
  status: number;
  /** lower-case names; repeated headers joined with ", " */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** every byte received, as latin1 text */
  text: string;
  /** the complete responses found in `text` */
  responses: RawResponse[];
  /** how the connection ended: server FIN, server RST, or still open when we stopped */
  ending: 'fin' | 'reset' | 'open';
}

/**
 * Connects to 127.0.0.1:`port`, writes `request` (pieces written separately), and
 * reads until the server closes, or until `responses` complete responses arrived.
 */
export function rawExchange(
  port: number,
  request: string | Buffer | Array<string | Buffer>,
  options: { responses?: number; halfClose?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let ending: RawExchange['ending'] = 'open';
    const finish = () => resolve({ text, responses: splitResponses(text), ending });
    socket.on('connect', () => {
      for (const piece of Array.isArray(request) ? request : [request]) socket.write(piece);
      if (options.halfClose) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (options.responses !== undefined && splitResponses(text).length >= options.responses) {
        socket.destroy();
        finish();
      }
    });
    socket.on('end', () => (ending = 'fin'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') ending = 'reset';
      else reject(err);
    });
    socket.on('close', finish);
  });
}

/** Splits HTTP/1.x responses (Content-Length or chunked bodies); a partial last response is left out. */
export function splitResponses(text: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  while (offset < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = text.slice(offset, headEnd).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const status = Number(statusLine!.split(' ')[1]);
    let at = headEnd + 4;
    let body = '';
    if (headers['transfer-encoding']?.includes('chunked')) {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', at);
        if (lineEnd < 0) return responses;
        const size = parseInt(text.slice(at, lineEnd), 16);
        if (size === 0) {
          const trailersEnd = text.indexOf('\r\n', lineEnd + 2);
          if (trailersEnd < 0) return responses;
          at = trailersEnd + 2;
          break;
        }
        if (lineEnd + 2 + size + 2 > text.length) return responses;
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (at + length > text.length) break;
      body = text.slice(at, at + length);
      at += length;
    }
    responses.push({ statusLine: statusLine!, status, headers, body });
    offset = at;
  }
  return responses;
}
