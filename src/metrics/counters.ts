// The plain counters a worker keeps and sends; merged by adding.

export interface ConnectionCounters {
  opened: number;
  failed: number;
  failedByCode: Record<string, number>;
  closedByServer: number;
  closedByClient: number;
  resetByServer: number;
  resetByClient: number;
  closedByTimeout: number;
  /** still open when the run ended (closed by the client at the stop) */
  stoppedAtEnd: number;
  peakOpen: number;
  keepAliveHeader: string | null;
  keepAliveMaxObserved: number | null;
  staleReuse: number;
}

/** HTTP/2 sessions (multiplex): what the servers announced and did. */
export interface Http2Counters {
  /** lowest SETTINGS_MAX_CONCURRENT_STREAMS a server announced, or null (none came, or unlimited) */
  serverMaxStreams: number | null;
  /** most streams in flight at once on one session */
  peakConcurrentStreams: number;
  /** GOAWAY frames received, by error code name */
  goaway: Record<string, number>;
  /** streams reset (RST_STREAM), by error code name */
  resetStreams: Record<string, number>;
  /** sessions by the number of streams they carried ("10": 2 means two sessions carried 10) */
  streamsPerSession: Record<string, number>;
}

export interface Counters {
  completed: number;
  /** requests sent on a connection opened earlier */
  reused: number;
  retried: number;
  dropped: number;
  /** counted requests handed out (dropped ones included), and those still without an outcome when the run ended */
  sent: number;
  unfinished: number;
  errors: Record<string, number>;
  byStatus: Record<string, number>;
  connections: ConnectionCounters;
  tls: { version: string | null; cipher: string | null; alpn: string | null; resumed: number; handshakes: number };
  /** seconds into the counted phase of the first EADDRNOTAVAIL, or null */
  exhaustedAtSeconds: number | null;
  http2: Http2Counters;
}

export function newCounters(): Counters {
  return {
    completed: 0, reused: 0, retried: 0, dropped: 0, sent: 0, unfinished: 0, errors: {}, byStatus: {},
    connections: {
      opened: 0, failed: 0, failedByCode: {}, closedByServer: 0, closedByClient: 0, resetByServer: 0,
      resetByClient: 0, closedByTimeout: 0, stoppedAtEnd: 0, peakOpen: 0, keepAliveHeader: null, keepAliveMaxObserved: null, staleReuse: 0,
    },
    tls: { version: null, cipher: null, alpn: null, resumed: 0, handshakes: 0 },
    exhaustedAtSeconds: null,
    http2: { serverMaxStreams: null, peakConcurrentStreams: 0, goaway: {}, resetStreams: {}, streamsPerSession: {} },
  };
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

/** Adds `b` into `a`. Peaks add too: workers hold disjoint connections at the same time. */
export function addCounters(a: Counters, b: Counters): Counters {
  a.completed += b.completed;
  a.reused += b.reused;
  a.retried += b.retried;
  a.dropped += b.dropped;
  a.sent += b.sent;
  a.unfinished += b.unfinished;
  addInto(a.errors, b.errors);
  addInto(a.byStatus, b.byStatus);
  const c = a.connections;
  const d = b.connections;
  c.opened += d.opened;
  c.failed += d.failed;
  addInto(c.failedByCode, d.failedByCode);
  c.closedByServer += d.closedByServer;
  c.closedByClient += d.closedByClient;
  c.resetByServer += d.resetByServer;
  c.resetByClient += d.resetByClient;
  c.closedByTimeout += d.closedByTimeout;
  c.stoppedAtEnd += d.stoppedAtEnd;
  c.peakOpen += d.peakOpen;
  c.keepAliveHeader ??= d.keepAliveHeader;
  c.keepAliveMaxObserved = maxOf(c.keepAliveMaxObserved, d.keepAliveMaxObserved);
  c.staleReuse += d.staleReuse;
  a.tls.version ??= b.tls.version;
  a.tls.cipher ??= b.tls.cipher;
  a.tls.alpn ??= b.tls.alpn;
  a.tls.resumed += b.tls.resumed;
  a.tls.handshakes += b.tls.handshakes;
  a.exhaustedAtSeconds = minOf(a.exhaustedAtSeconds, b.exhaustedAtSeconds);
  const h = a.http2;
  h.serverMaxStreams = minOf(h.serverMaxStreams, b.http2.serverMaxStreams);
  // a per-session peak: the largest of the workers', not their sum
  h.peakConcurrentStreams = Math.max(h.peakConcurrentStreams, b.http2.peakConcurrentStreams);
  addInto(h.goaway, b.http2.goaway);
  addInto(h.resetStreams, b.http2.resetStreams);
  addInto(h.streamsPerSession, b.http2.streamsPerSession);
  return a;
}

export function sumErrors(errors: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(errors)) n += v;
  return n;
}
