// The built-in target server's public types: options, counters, handle.

export type FaultName = 'truncate' | 'reset' | 'stall' | 'malformed';
export const FAULT_NAMES: readonly FaultName[] = ['truncate', 'reset', 'stall', 'malformed'];

export type FaultRates = Record<FaultName, number>;
export type FaultCounts = Record<FaultName, number>;

export type CloseStyle = 'fin' | 'rst';

export interface ServerOptions {
  host: string;
  /** 0 picks a free port */
  port: number;
  /** listen on this Unix domain socket instead of host and port, or null */
  unix: string | null;
  /** sent as X-Served-By on every response (a backend naming itself behind a balancer), or null */
  name: string | null;
  /** delay before each response is sent; pipelined responses still leave in order */
  latencyMs: number;
  /** response body bytes */
  bodySize: number;
  /** close idle keep-alive connections after this; null = never */
  keepAliveTimeoutMs: number | null;
  /** send `Keep-Alive: timeout=T, max=N` and close after N responses on a connection; null = no limit */
  keepAliveMax: number | null;
  /** how the server closes (idle timeout, keepAliveMax, Connection: close): FIN or RST */
  closeStyle: CloseStyle;
  /** chunked responses instead of Content-Length (HTTP/1.1 requests only) */
  chunked: boolean;
  /** answer HTTP/1.0 `Connection: keep-alive` requests with keep-alive; false: always close HTTP/1.0 */
  http10KeepAlive: boolean;
  /** cleartext HTTP/2 with prior knowledge; HTTP/1.x is still served on the same port */
  h2c: boolean;
  /** TLS with ALPN h2 + http/1.1 */
  tls: { cert: string | Buffer; key: string | Buffer } | null;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS */
  maxConcurrentStreams: number;
  /** rates 0..1 per request; at most one fault per request */
  faults: FaultRates;
  /** how long a 'stall' fault holds the response */
  stallMs: number;
  /** fault randomness seed; null = Math.random */
  seed: number | null;
  /** at most this many requests in service (latency running) at once, the rest wait in arrival order; null = no limit */
  capacity: number | null;
}

export interface ServerStats {
  /** TCP (or TLS) connections accepted */
  connections: number;
  openConnections: number;
  peakOpenConnections: number;
  /** requests answered with a complete, well-formed response (all protocols); faults are counted apart */
  requests: number;
  requestsByVersion: { http10: number; http11: number; h2: number };
  /** HTTP/2 sessions */
  sessions: number;
  /** highest number of HTTP/2 streams in flight at once, over all sessions */
  peakConcurrentStreams: number;
  /** highest number of HTTP/2 streams in flight at once in one session */
  peakStreamsPerSession: number;
  /** connections whose close the server started (FIN or RST), including at shutdown */
  closedByServer: number;
  /** connections the client closed (FIN or RST) before the server did */
  closedByClient: number;
  faults: FaultCounts;
  /** TLS sessions resumed (tickets) */
  tlsResumed: number;
  /** queueing under --capacity (all zero without it) */
  capacity: {
    limit: number | null;
    /** requests in service at once, at most */
    peakInService: number;
    /** requests waiting for a slot at once, at most */
    peakQueue: number;
    /** requests that waited for a slot */
    waited: number;
    /** their waits summed, and the mean over them */
    waitTotalMs: number;
    waitMeanMs: number;
    /** requests served through a slot, and the mean time each held it (the latency plus the timer's lateness) */
    served: number;
    serviceMeanMs: number;
  };
}

export interface RunningServer {
  host: string;
  port: number;
  /** the Unix domain socket it listens on, or null */
  unix: string | null;
  /** e.g. http://127.0.0.1:PORT (https:// with TLS); with a Unix socket, the URL to give with --unix-socket */
  url: string;
  stats(): ServerStats;
  /** stops listening, closes every connection, resolves when all are closed */
  close(): Promise<void>;
  /** sends GOAWAY to every HTTP/2 session (they close once their streams are done) */
  goawayAll(): void;
}
