// The connection contract: what the engine sees of a connection, whatever
// protocol runs on it (undici's split: the pool owns sockets, the connection
// speaks the protocol). Protocols implement it; the engine and the recorder read it.
import type { ConnectionTiming, Exchange } from './timing.js';
import type { SecureFacts } from './tls.js';

/** How a connection ended; the recorder counts these. */
export type CloseKind = 'server-fin' | 'server-reset' | 'client' | 'client-reset' | 'timeout' | 'error' | 'stopped';

/** Why the client retires a connection (transport/close-policy.ts says what each does). */
export type RetireReason = 'last' | 'evicted';

export interface ConnectionEvents {
  onConnected(conn: Connection): void;
  /** The connection could not be opened (error code, e.g. ECONNREFUSED, EADDRNOTAVAIL). */
  onConnectFailed(conn: Connection, code: string, message: string): void;
  /** A complete response for `ex`. */
  onResponse(conn: Connection, ex: Exchange): void;
  /** `ex` failed alone while its connection goes on (an HTTP/2 stream reset: RST_STREAM_<name>). */
  onRequestFailed(conn: Connection, ex: Exchange, code: string): void;
  /** The connection is gone; `conn.takeUnanswered()` holds requests that got no complete response,
   *  the first of which failed with `code` when a response was under way. */
  onClosed(conn: Connection, kind: CloseKind, code: string | null): void;
}

export interface Connection {
  readonly id: number;
  readonly timing: ConnectionTiming;
  readonly connected: boolean;
  /** Requests sent and not yet answered. */
  readonly inFlight: number;
  /** Completed responses on this connection. */
  readonly responses: number;
  /** Requests handed to this connection. */
  readonly sent: number;
  /** Last time a response completed or a request was sent (us). */
  readonly lastActiveUs: number;
  /** Server-announced idle timeout (Keep-Alive: timeout=), in us, or 0. */
  readonly idleTimeoutUs: number;
  /** When the oldest unanswered request was sent (us), or 0 when none is. */
  readonly oldestSentUs: number;
  /** Keep-Alive header of the last response (HTTP/1.x), and its max=. */
  readonly keepAliveHeader: string | null;
  readonly keepAliveMax: number | null;
  /** The server said it will close (Connection: close, GOAWAY) before it did. */
  readonly announcedClose?: boolean;
  /** TLS facts once secure, else null. */
  readonly secure: SecureFacts | null;
  /** May another request be sent now? */
  canSend(): boolean;
  /** Sends a request; `last` marks the final request the client will send here. */
  send(ex: Exchange, last: boolean): void;
  /** Requests that got no complete response, oldest first (emptied by the call). */
  takeUnanswered(): Exchange[];
  /** Takes no more requests, and closes after its last response by its close rule: `last` when the
   *  client's last request was sent, `evicted` when the client sets an idle connection aside. */
  retire(reason: RetireReason): void;
  /** Ends it now (timeouts, stop). */
  destroy(kind: CloseKind): void;
}

/** Opens one connection; made once per phase by Strategy.prepare. */
export type ConnectionFactory = (id: number, events: ConnectionEvents, localAddress: string | undefined) => Connection;
