// The built-in target server: HTTP/1.x on raw sockets, HTTP/2 on node:http2,
// cleartext (h2c by prior knowledge) or TLS (ALPN h2 / http/1.1), with exact counters.
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { RunError } from '../errors.js';
import { BodyPool } from './body-pool.js';
import { CapacityGate } from './capacity.js';
import { closeConnection, ConnectionRegistry, type TrackedConnection } from './connections.js';
import { createFaultPicker } from './faults.js';
import { serveHttp1, type Http1Context } from './http1-connection.js';
import { Http1Responses, keepAliveHeaderValue } from './http1-responses.js';
import { createHttp2Endpoint, type Http2Endpoint } from './http2-endpoint.js';
import { resolveServerOptions } from './options.js';
import type { ResponsePlan } from './request-target.js';
import { ServerStatsRecorder } from './stats.js';
import type { RunningServer, ServerOptions } from './types.js';

export type { CloseStyle, FaultName, FaultRates, RunningServer, ServerOptions, ServerStats } from './types.js';
export { DEFAULT_SERVER_OPTIONS } from './options.js';

/** The client connection preface of HTTP/2 (RFC 9113 3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
const ALPN_PROTOCOLS = ['h2', 'http/1.1'];

type SocketHandler = (raw: Socket, connection: TrackedConnection) => void;

export async function startServer(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveServerOptions(input);
  const capacity = options.capacity === null ? null : new CapacityGate(options.capacity);
  const stats = new ServerStatsRecorder(capacity);
  const connections = new ConnectionRegistry(stats);
  const bodies = new BodyPool();
  const pickFault = createFaultPicker(options.faults, options.seed);
  const defaultPlan: ResponsePlan = { status: 200, bodyBytes: options.bodySize, latencyMs: options.latencyMs, echoHeaders: false };
  const http1: Http1Context = {
    options,
    stats,
    responses: new Http1Responses(keepAliveHeaderValue(options.keepAliveTimeoutMs, options.keepAliveMax), bodies, options.name),
    pickFault,
    defaultPlan,
    capacity,
  };
  const http2 = options.h2c || options.tls ? createHttp2Endpoint({ options, stats, bodies, pickFault, defaultPlan, capacity }) : null;

  let listener: net.Server;
  if (options.tls) listener = tlsListener(options, connections, http1, http2!, stats);
  else {
    const handle: SocketHandler = http2
      ? (raw, connection) => sniffPreface(raw, connection, options, http1, http2)
      : (raw, connection) => serveHttp1(raw, connection, http1);
    listener = net.createServer({ allowHalfOpen: true, noDelay: true }, (raw) => handle(raw, connections.accept(raw)));
  }
  await listen(listener, options);
  // A Unix socket has no port; its URL names the host only for the Host header and TLS.
  const port = options.unix !== null ? 0 : (listener.address() as net.AddressInfo).port;
  const urlHost = options.unix !== null ? 'localhost' : net.isIPv6(options.host) ? `[${options.host}]` : options.host;

  let closing: Promise<void> | null = null;
  return {
    host: options.host,
    port,
    unix: options.unix,
    url: `${options.tls ? 'https' : 'http'}://${urlHost}${port === 0 ? '' : `:${port}`}`,
    stats: () => stats.snapshot(),
    goawayAll: () => http2?.goawayAll(),
    close() {
      closing ??= (async () => {
        const listenerClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
        await connections.shutdownAll();
        await listenerClosed;
      })();
      return closing;
    },
  };
}

function listen(listener: net.Server, options: ServerOptions): Promise<void> {
  const where = options.unix ?? `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    listener.once('error', (err: NodeJS.ErrnoException) => {
      reject(new RunError(`cannot listen on ${where}: ${err.message}`, err.code ?? 'ERUN'));
    });
    if (options.unix !== null) listener.listen(options.unix, () => resolve());
    else listener.listen(options.port, options.host, () => resolve());
  });
}

/**
 * TLS with ALPN: h2 goes to node:http2, http/1.1 (or no ALPN) to our own HTTP/1
 * handler over the TLS socket. The TCP socket under each TLS socket is found by
 * the client's address and port, which are unique among open connections.
 */
function tlsListener(options: ServerOptions, connections: ConnectionRegistry, http1: Http1Context, http2: Http2Endpoint, stats: ServerStatsRecorder): tls.Server {
  const byPeer = new Map<string, TrackedConnection>();
  const peerOf = (socket: Socket) => `${socket.remoteAddress}|${socket.remotePort}`;
  const server = tls.createServer({
    cert: options.tls!.cert,
    key: options.tls!.key,
    ALPNProtocols: ALPN_PROTOCOLS,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
    allowHalfOpen: true,
    noDelay: true,
  });
  server.on('connection', (raw: Socket) => {
    const peer = peerOf(raw);
    const connection = connections.accept(raw);
    byPeer.set(peer, connection);
    raw.once('close', () => byPeer.delete(peer));
  });
  server.on('tlsClientError', () => {}); // a failed handshake is counted when its socket closes
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const connection = byPeer.get(peerOf(socket));
    if (!connection) return socket.destroy();
    socket.on('error', () => {});
    if (socket.isSessionReused()) stats.tlsResumed();
    if (socket.alpnProtocol === 'h2') http2.accept(socket, connection);
    else serveHttp1(socket, connection, http1);
  });
  return server;
}

/**
 * h2c by prior knowledge beside HTTP/1.x on one port: the first bytes decide. The
 * bytes read are put back (unshift) for whichever protocol takes the socket.
 */
function sniffPreface(raw: Socket, connection: TrackedConnection, options: ServerOptions, http1: Http1Context, http2: Http2Endpoint): void {
  let seen: Buffer | null = null;
  const onData = (chunk: Buffer) => {
    seen = seen ? Buffer.concat([seen, chunk]) : chunk;
    const compared = Math.min(seen.length, H2_PREFACE.length);
    const isH2 = seen.compare(H2_PREFACE, 0, compared, 0, compared) === 0;
    if (isH2 && seen.length < H2_PREFACE.length) return;
    raw.off('data', onData).off('end', onEnd).off('timeout', onIdle);
    raw.setTimeout(0);
    raw.pause();
    raw.unshift(seen);
    if (isH2) http2.accept(raw, connection);
    else serveHttp1(raw, connection, http1);
  };
  const onEnd = () => raw.destroy();
  const onIdle = () => closeConnection(connection, raw, options.closeStyle);
  raw.on('data', onData).on('end', onEnd).on('timeout', onIdle);
  if (options.keepAliveTimeoutMs !== null) raw.setTimeout(options.keepAliveTimeoutMs);
  connection.shutdown = () => raw.destroy();
}
