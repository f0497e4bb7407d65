// Opening one connection to the target for a check: through the transport
// layer (TCP, then TLS with the ALPN list the check asks for), bounded by a
// deadline. Set-up times are measured there.
import type net from 'node:net';
import { OpenError, openStream } from '../transport/open-stream.js';
import { nowMs, type ProbeContext } from './target.js';

export { OpenError } from '../transport/open-stream.js';

export interface OpenedSocket {
  /** the TLS socket, or the TCP socket in cleartext */
  socket: net.Socket;
  connectMs: number;
  handshakeMs: number | null;
  tls: { version: string | null; cipher: string | null; alpn: string | null; authorized: boolean } | null;
}

export async function openSocket(ctx: ProbeContext, alpn: string[], untilMs: number): Promise<OpenedSocket> {
  const { target, signal } = ctx;
  const t = target.tls;
  const opened = await openStream(
    {
      host: target.address,
      port: target.port,
      // the name the certificate must match (an IP literal too); SNI is sent only for names.
      tls: t === null ? null : { servername: t.servername ?? target.host, ca: t.ca, insecure: t.insecure, sessions: null },
    },
    { alpn, timeoutMs: untilMs - nowMs(), signal },
  );
  return { socket: opened.stream, connectMs: opened.connectMs, handshakeMs: opened.handshakeMs, tls: opened.tls };
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
