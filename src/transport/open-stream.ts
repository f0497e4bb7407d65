// Opening one connection as a stream for a caller that then reads and writes
// it itself (the probe's conversations, a proxy's CONNECT): dialled like every
// other connection (socket.ts), bounded by a deadline and an abort signal, with
// the set-up times measured here.
import type net from 'node:net';
import type tls from 'node:tls';
import { dial, type SocketTarget } from './socket.js';
import { nowUs } from './timing.js';
import { secureFacts, type SecureFacts } from './tls.js';

export interface OpenedStream {
  /** the TLS socket, or the TCP socket in cleartext */
  stream: net.Socket;
  connectMs: number;
  /** TLS handshake time, or null in cleartext */
  handshakeMs: number | null;
  tls: (SecureFacts & { authorized: boolean }) | null;
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

export interface OpenStreamOptions {
  alpn: readonly string[];
  /** how long the open may take, in ms */
  timeoutMs: number;
  signal: AbortSignal;
  nodelay?: boolean;
}

export function openStream(target: SocketTarget, options: OpenStreamOptions): Promise<OpenedStream> {
  return new Promise((resolve, reject) => {
    const startUs = nowUs();
    let connectMs = 0;
    const { tcp, stream } = dial(target, { nodelay: options.nodelay ?? true, alpn: options.alpn, localAddress: undefined });
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      stream.off('error', onError);
      tcp.off('error', onError);
      return true;
    };
    const fail = (err: OpenError): void => {
      if (!settle()) return;
      stream.destroy();
      tcp.destroy();
      reject(err);
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(new OpenError(err.message, err.code ?? 'ERR'));
    const onAbort = (): void => fail(new OpenError('interrupted', 'EINTERRUPTED'));
    const timer = setTimeout(
      () => fail(new OpenError(`no ${connectMs ? 'TLS handshake' : 'connection'} within ${Math.round(options.timeoutMs)}ms`, 'ETIMEDOUT')),
      Math.max(0, options.timeoutMs),
    );
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    stream.on('error', onError);
    if (stream !== tcp) tcp.on('error', onError);
    tcp.once('connect', () => {
      connectMs = (nowUs() - startUs) / 1000;
      if (stream === tcp && settle()) resolve({ stream, connectMs, handshakeMs: null, tls: null });
    });
    if (stream !== tcp) {
      stream.once('secureConnect', () => {
        const secure = stream as tls.TLSSocket;
        if (!settle()) return;
        resolve({
          stream,
          connectMs,
          handshakeMs: (nowUs() - startUs) / 1000 - connectMs,
          tls: { ...secureFacts(secure, null), authorized: secure.authorized },
        });
      });
    }
  });
}
