// What the engine sees of a connection, whatever protocol runs on it
// (undici's split: the pool owns sockets, the connection speaks the protocol).
import type { ClosePolicy, PhasePlan, StrategyName } from '../plan/types.js';
import type { ConnectionTiming, Exchange } from '../metrics/timing.js';

/** How a connection ended; the recorder counts these. */
export type CloseKind = 'server-fin' | 'server-reset' | 'client' | 'client-reset' | 'timeout' | 'error' | 'stopped';

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
  readonly secure: { version: string | null; cipher: string | null; alpn: string | null; resumed: boolean } | null;
  /** May another request be sent now? */
  canSend(): boolean;
  /** Sends a request; `last` marks the final request the client will send here. */
  send(ex: Exchange, last: boolean): void;
  /** Requests that got no complete response, oldest first (emptied by the call). */
  takeUnanswered(): Exchange[];
  /** Retire the connection after its last response, by the close policy. */
  retire(policy: ClosePolicy): void;
  /** Ends it now (timeouts, stop). */
  destroy(kind: CloseKind): void;
}

/** Opens one connection; made once per phase by Strategy.prepare. */
export type ConnectionFactory = (id: number, events: ConnectionEvents, localAddress: string | undefined) => Connection;

/** Worker-wide state a strategy may share between its connections. */
export interface WorkerShared {
  /** TLS session tickets, when --tls-session-reuse */
  tlsSessions: import('../http1/tls-session.js').TlsSessionCache | null;
  /** where HTTP/2 sessions report SETTINGS, GOAWAY, resets and streams (the worker's Recorder) */
  http2?: import('../http2/observer.js').Http2Observer;
}

export interface Strategy {
  name: StrategyName;
  /** Requests in flight on one connection. */
  capacity(plan: PhasePlan): number;
  /** Requests after which the client retires a connection, or null. */
  requestsPerConnection(plan: PhasePlan): number | null;
  /** Input problems specific to this strategy (e.g. a POST cannot be pipelined). */
  validate(plan: PhasePlan): string[];
  /** Builds what its connections share (request bytes, TLS options) and returns the opener. */
  prepare(plan: PhasePlan, shared: WorkerShared): ConnectionFactory;
}
