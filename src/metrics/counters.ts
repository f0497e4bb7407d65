// The plain counters a worker keeps and sends, and how each merges (merge-kinds.ts).
import { addCounts, addPeers, first, max, maxOrNull, mergeWith, minByKey, minOrNull, sum, type MergeSpec, type PeerCounts } from './merge-kinds.js';

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
  /** connections the client closed because of what the server sent (parse-error, unsolicited bytes, an HTTP/2
   *  connection error), by code: part of closedByClient */
  closedOnError?: Record<string, number>;
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
  /** the server's SETTINGS as first received, by name */
  serverSettings: Record<string, number>;
  /** the highest last-stream-id of the GOAWAYs received, or null */
  goawayLastStreamId: number | null;
  /** header blocks: HPACK bytes against plain text bytes, a session's first and its later ones, each way */
  headerBytes: Record<HeaderBlockKind, HeaderBytes>;
}

export type HeaderBlockKind = 'sentFirst' | 'sentLater' | 'receivedFirst' | 'receivedLater';

export interface HeaderBytes {
  blocks: number;
  encoded: number;
  plain: number;
}

const newHeaderBytes = (): Record<HeaderBlockKind, HeaderBytes> => ({
  sentFirst: { blocks: 0, encoded: 0, plain: 0 },
  sentLater: { blocks: 0, encoded: 0, plain: 0 },
  receivedFirst: { blocks: 0, encoded: 0, plain: 0 },
  receivedLater: { blocks: 0, encoded: 0, plain: 0 },
});

const HEADER_BYTES_MERGE: MergeSpec<HeaderBytes> = { blocks: sum, encoded: sum, plain: sum };
const addHeaderBytes = (parts: Array<Record<HeaderBlockKind, HeaderBytes>>): Record<HeaderBlockKind, HeaderBytes> => {
  const out = newHeaderBytes();
  for (const kind of Object.keys(out) as HeaderBlockKind[])
    out[kind] = mergeWith(
      parts.map((p) => p[kind]),
      HEADER_BYTES_MERGE,
    );
  return out;
};

/** What the held summary (--interval) reads; kept in every run, it costs nothing per request. */
export interface HeldCounters {
  /** requests sent after their slot, because the previous response came later (--interval) */
  late: number;
  /** slots that passed wholly while a lane waited for a response: no request went on them (--interval) */
  skipped: number;
  /** connections open when the run stopped, those opened in the warmup included */
  openAtEnd: number;
  /** by connect error code: the second of the counted phase in which the first one failed */
  failedFirstSecond: Record<string, number>;
}

export interface TlsCounters {
  version: string | null;
  cipher: string | null;
  alpn: string | null;
  resumed: number;
  handshakes: number;
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
  tls: TlsCounters;
  /** seconds into the counted phase of the first EADDRNOTAVAIL, or null */
  exhaustedAtSeconds: number | null;
  http2: Http2Counters;
  /** by the address each connection went to (--dns spreads them; a proxy's or a Unix socket's path otherwise) */
  addresses: Record<string, PeerCounts>;
  /** by the value of --backend-header in each response (empty without it) */
  backends: Record<string, PeerCounts>;
  held: HeldCounters;
}

export function newCounters(): Counters {
  return {
    completed: 0,
    reused: 0,
    retried: 0,
    dropped: 0,
    sent: 0,
    unfinished: 0,
    errors: {},
    byStatus: {},
    connections: {
      opened: 0,
      failed: 0,
      failedByCode: {},
      closedByServer: 0,
      closedByClient: 0,
      resetByServer: 0,
      resetByClient: 0,
      closedByTimeout: 0,
      stoppedAtEnd: 0,
      peakOpen: 0,
      keepAliveHeader: null,
      keepAliveMaxObserved: null,
      staleReuse: 0,
      closedOnError: {},
    },
    tls: { version: null, cipher: null, alpn: null, resumed: 0, handshakes: 0 },
    exhaustedAtSeconds: null,
    http2: {
      serverMaxStreams: null,
      peakConcurrentStreams: 0,
      goaway: {},
      resetStreams: {},
      streamsPerSession: {},
      serverSettings: {},
      goawayLastStreamId: null,
      headerBytes: newHeaderBytes(),
    },
    addresses: {},
    backends: {},
    held: { late: 0, skipped: 0, openAtEnd: 0, failedFirstSecond: {} },
  };
}

/** Connections: counted ones add; peaks add too (workers and runners hold disjoint connections at the same time). */
export const CONNECTION_COUNTERS_MERGE: MergeSpec<ConnectionCounters> = {
  opened: sum,
  failed: sum,
  failedByCode: addCounts,
  closedByServer: sum,
  closedByClient: sum,
  resetByServer: sum,
  resetByClient: sum,
  closedByTimeout: sum,
  stoppedAtEnd: sum,
  peakOpen: sum,
  keepAliveHeader: first,
  keepAliveMaxObserved: maxOrNull,
  staleReuse: sum,
  closedOnError: (parts) => addCounts(parts.map((p) => p ?? {})),
};

export const TLS_COUNTERS_MERGE: MergeSpec<TlsCounters> = { version: first, cipher: first, alpn: first, resumed: sum, handshakes: sum };

export const HTTP2_COUNTERS_MERGE: MergeSpec<Http2Counters> = {
  serverMaxStreams: minOrNull,
  // a per-session peak: the largest of the parts', not their sum
  peakConcurrentStreams: max,
  goaway: addCounts,
  resetStreams: addCounts,
  streamsPerSession: addCounts,
  // the same server's facts wherever seen: the first part's
  serverSettings: (parts) => parts.find((p) => Object.keys(p).length > 0) ?? {},
  goawayLastStreamId: maxOrNull,
  headerBytes: addHeaderBytes,
};

/** Open connections add (workers and runners hold disjoint ones); a first second is the earliest. */
export const HELD_COUNTERS_MERGE: MergeSpec<HeldCounters> = { late: sum, skipped: sum, openAtEnd: sum, failedFirstSecond: minByKey };

export const COUNTERS_MERGE: MergeSpec<Counters> = {
  completed: sum,
  reused: sum,
  retried: sum,
  dropped: sum,
  sent: sum,
  unfinished: sum,
  errors: addCounts,
  byStatus: addCounts,
  connections: (parts) => mergeWith(parts, CONNECTION_COUNTERS_MERGE),
  tls: (parts) => mergeWith(parts, TLS_COUNTERS_MERGE),
  exhaustedAtSeconds: minOrNull,
  http2: (parts) => mergeWith(parts, HTTP2_COUNTERS_MERGE),
  addresses: addPeers,
  backends: addPeers,
  held: (parts) => mergeWith(parts, HELD_COUNTERS_MERGE),
};

/** The workers' counters as one (newCounters() when there are none). */
export function mergeCounters(parts: Counters[]): Counters {
  return mergeWith(parts, COUNTERS_MERGE);
}

/** The errors of requests: every code but port-exhausted, which counts failed connects while their
 *  requests wait for a port (they are not failed), so that sent = completed + errors + dropped + unfinished. */
export function requestErrors(errors: Record<string, number>): number {
  return sumErrors(errors) - (errors['port-exhausted'] ?? 0);
}

export function sumErrors(errors: Record<string, number>): number {
  let n = 0;
  for (const v of Object.values(errors)) n += v;
  return n;
}
