// One merge per kind of value, used for both merges: the workers' finals of a
// phase (run/coordinator.ts -> aggregate.ts) and several runners' result files
// (`connload merge`, merge.ts). Histograms add bucket by bucket (exact), counters
// add, peaks take the largest or add (see each field), series add second by second.
import { decodeHistogram, encodeHistogram, newTotalHistogram, type Histogram } from './histogram.js';

/** Merges the values one field had in each part. */
export type Merge<T> = (values: T[]) => T;
/** How each field of a record merges: a record merges field by field. */
export type MergeSpec<T> = { [K in keyof T]-?: Merge<T[K]> };

const nonNull = <T>(xs: Array<T | null>): T[] => xs.filter((x): x is T => x !== null);

/** Counters: added. */
export const sum: Merge<number> = (xs) => {
  let n = 0;
  for (const x of xs) n += x;
  return n;
};
/** Counters some part may lack (null): added, null when every part lacks it. */
export const sumOrNull: Merge<number | null> = (xs) => (xs.some((x) => x !== null) ? sum(nonNull(xs)) : null);
/** Peaks of one thing that the parts share (one session, one runner's duration): the largest, 0 when none. */
export const max: Merge<number> = (xs) => xs.reduce((a, b) => (b > a ? b : a), 0);
export const maxOrNull: Merge<number | null> = (xs) => nonNull(xs).reduce<number | null>((a, b) => (a === null || b > a ? b : a), null);
/** Limits and first occurrences (a server's stream limit, when the ports first ran out): the smallest. */
export const minOrNull: Merge<number | null> = (xs) => nonNull(xs).reduce<number | null>((a, b) => (a === null || b < a ? b : a), null);
/** Facts that are the same wherever seen (a server's Keep-Alive header, the TLS version): the first one seen. */
export const first = <T>(xs: Array<T | null>): T | null => xs.find((x): x is T => x !== null) ?? null;
export const any: Merge<boolean> = (xs) => xs.some(Boolean);
export const all: Merge<boolean> = (xs) => xs.every(Boolean);

/** Counts by key (`{"200": 3}` + `{"200": 1, "503": 2}`), keys in the order first seen. */
export const addCounts: Merge<Record<string, number>> = (parts) => {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [key, n] of Object.entries(part)) out[key] = (out[key] ?? 0) + n;
  return out;
};

/** First occurrences by key (`{"ECONNREFUSED": 3}` with `{"ECONNREFUSED": 1}`): the smallest of each key. */
export const minByKey: Merge<Record<string, number>> = (parts) => {
  const out: Record<string, number> = {};
  for (const part of parts) for (const [key, n] of Object.entries(part)) out[key] = Math.min(out[key] ?? n, n);
  return out;
};

/** Per-second series: index t of each part is the same second of the phase. */
export const addBySecond: Merge<number[]> = (parts) => {
  const out: number[] = [];
  for (const part of parts) for (let t = 0; t < part.length; t++) out[t] = (out[t] ?? 0) + part[t]!;
  return out;
};

/** Connections and requests that went to one peer (an address, or a backend named by a response header). */
export interface PeerCounts {
  connections: number;
  requests: number;
  /** requests per second of the counted phase */
  series: number[];
}

/** Peers by name: each one's counts added, its series second by second. */
export const addPeers: Merge<Record<string, PeerCounts>> = (parts) => {
  const out: Record<string, PeerCounts> = {};
  for (const part of parts) {
    for (const [name, p] of Object.entries(part)) {
      const into = (out[name] ??= { connections: 0, requests: 0, series: [] });
      into.connections += p.connections;
      into.requests += p.requests;
      into.series = addBySecond([into.series, p.series]);
    }
  }
  return out;
};

/** A record merged field by field, fields in the order of `spec`. */
export function mergeWith<T>(parts: T[], spec: MergeSpec<T>): T {
  const out = {} as T;
  for (const key of Object.keys(spec) as Array<keyof T>) out[key] = spec[key](parts.map((p) => p[key]));
  return out;
}

/** Histograms: decoded and added bucket by bucket (exact). 64-bit buckets, so that many parts' counts cannot overflow. */
export function addHistograms(encoded: string[]): Histogram {
  const total = newTotalHistogram();
  for (const e of encoded) {
    const part = decodeHistogram(e, 64);
    total.add(part);
    part.destroy();
  }
  return total;
}

/** A distribution of counts (requests per connection, streams per session) as the result shows it. */
export interface Distribution {
  mean: number;
  max: number;
  hdr: string;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function summarizeDistribution(h: Histogram): Distribution {
  return { mean: round3(h.totalCount > 0 ? h.mean : 0), max: h.totalCount > 0 ? h.maxValue : 0, hdr: encodeHistogram(h) };
}

/** Distributions merge through their histograms; the inputs know their maxima exactly. */
export const mergeDistribution: Merge<Distribution> = (parts) => {
  const h = addHistograms(parts.map((p) => p.hdr));
  return { ...summarizeDistribution(h), max: max(parts.map((p) => p.max)) };
};
