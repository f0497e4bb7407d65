// Where the load went: connections and requests per address and per backend, each
// one's share, the skew (the largest share over the mean share: 1 is even), and
// a per-second series, so that a scale-out or a drain shows.
import { addPeers, type PeerCounts } from './merge-kinds.js';

export interface PeerSummary {
  name: string;
  connections: number;
  requests: number;
  /** requests / all requests of the group */
  share: number;
  /** requests per second of the counted phase */
  series: number[];
}

export interface PeersSummary {
  /** `address` (where each connection went), or the response header that named the backend */
  by: string;
  peers: PeerSummary[];
  /** largest share x number of peers (1: even; 3 with three peers: all on one) */
  skew: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The group as the result shows it, peers by name; null when nothing went anywhere. */
export function summarizePeers(by: string, counts: Record<string, PeerCounts>): PeersSummary | null {
  const names = Object.keys(counts).sort();
  if (names.length === 0) return null;
  let total = 0;
  for (const name of names) total += counts[name]!.requests;
  const peers = names.map((name) => {
    const c = counts[name]!;
    return { name, connections: c.connections, requests: c.requests, share: total > 0 ? round3(c.requests / total) : 0, series: c.series };
  });
  const largest = Math.max(...peers.map((p) => p.requests));
  return { by, peers, skew: total > 0 ? round3((largest * peers.length) / total) : 0 };
}

/** Several runners' groups as one (the same `by`): counts added, series second by second. */
export function mergePeers(parts: Array<PeersSummary | null | undefined>): PeersSummary | null {
  const present = parts.filter((p): p is PeersSummary => p !== null && p !== undefined);
  if (present.length === 0) return null;
  const counts = addPeers(
    present.map((p) => Object.fromEntries(p.peers.map((peer) => [peer.name, { connections: peer.connections, requests: peer.requests, series: peer.series }]))),
  );
  return summarizePeers(present[0]!.by, counts);
}
