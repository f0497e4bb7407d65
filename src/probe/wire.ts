// Opening one connection to the target: TCP, then TLS with the ALPN list the
// check asks for, bounded by a deadline. Set-up times are measured here.
import net from 'node:net';
import tls from 'node:tls';
import { nowMs, type ProbeContext } from './target.js';

export interface OpenedSocket {
  /** the TLS socket, or the TCP socket in cleartext */
  socket: net.Socket;
  connectMs: number;
  handshakeMs: number | null;
  tls: { version: string | null; cipher: string | null; alpn: string | null; authorized: boolean } | null;
}

/** A connection that could not be opened; `code` is the system or TLS error code, or ETIMEDOUT / EINTERRUPTED. */
export class OpenError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export function openSocket(ctx: ProbeContext, alpn: string[], untilMs: number): Promise<OpenedSocket> {
  const { target, signal } = ctx;
  return new Promise((resolve, reject) => {
    const startMs = nowMs();
    let connectMs = 0;
    const tcp = net.connect({ host: target.address, port: target.port, noDelay: true });
    let socket: net.Socket = tcp;
    let settled = false;
    const fail = (err: OpenError) => {
      if (settled) return;
      settled = true;
      cleanup();
      socket.destroy();
      tcp.destroy();
      reject(err);
    };
    const succeed = (opened: OpenedSocket) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(opened);
    };
    const onError = (err: NodeJS.ErrnoException) => fail(new OpenError(err.message, err.code ?? 'ERR'));
    const onAbort = () => fail(new OpenError('interrupted', 'EINTERRUPTED'));
    const timer = setTimeout(
      () => fail(new OpenError(`no ${connectMs ? 'TLS handshake' : 'connection'} within ${Math.round(untilMs - startMs)}ms`, 'ETIMEDOUT')),
      Math.max(0, untilMs - startMs),
    );
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      tcp.off('error', onError);
      socket.off('error', onError);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    tcp.on('error', onError);
    tcp.once('connect', () => {
      connectMs = nowMs() - startMs;
      if (target.tls === null) return succeed({ socket: tcp, connectMs, handshakeMs: null, tls: null });
      const t = target.tls;
      const secure = tls.connect({
        socket: tcp,
        // host names the certificate must match (an IP literal too); SNI is sent only for names.
        host: t.servername ?? target.host,
        servername: t.servername ?? undefined,
        ALPNProtocols: alpn,
        rejectUnauthorized: !t.insecure,
        ca: t.ca ?? undefined,
      });
      socket = secure;
      secure.on('error', onError);
      secure.once('secureConnect', () => {
        const cipher = secure.getCipher();
        succeed({
          socket: secure,
          connectMs,
          handshakeMs: nowMs() - startMs - connectMs,
          tls: {
            version: secure.getProtocol() ?? null,
            cipher: cipher?.name ?? null,
            alpn: typeof secure.alpnProtocol === 'string' ? secure.alpnProtocol : null,
            authorized: secure.authorized,
          },
        });
      });
    });
  });
}

/** One line for a failed open: "connection refused (ECONNREFUSED)". */
export function describeOpenError(err: unknown): string {
  if (!(err instanceof OpenError)) return (err as Error).message;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: err.message,
    EINTERRUPTED: 'interrupted',
  };
  return `${words[err.code] ?? err.message} (${err.code})`;
}
