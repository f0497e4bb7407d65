// The held summary (--interval): how many connections the server kept, closed and
// refused, and when, from the counters and the per-second series of a phase, and
// the same for several runners' results (`connload merge`).
import type { Counters } from './counters.js';
import { sum } from './merge-kinds.js';
import type { HeldSummary } from './result.js';

/** What the plan asked of held connections. */
export interface HeldAsked {
  intervalMs: number;
  connections: number;
}

/** The held summary of a phase: `closedByServer` is the series of server closes, a count per second. */
export function summarizeHeld(asked: HeldAsked, c: Counters, closedByServer: readonly number[]): HeldSummary {
  const k = c.connections;
  const seconds = closedByServer.flatMap((n, t) => (n > 0 ? [t] : []));
  const failed: HeldSummary['failed'] = {};
  for (const [code, count] of Object.entries(k.failedByCode)) failed[code] = { count, firstSecond: c.held.failedFirstSecond[code] ?? null };
  return {
    intervalMs: asked.intervalMs,
    connections: asked.connections,
    peakOpen: k.peakOpen,
    openAtEnd: c.held.openAtEnd,
    closedByServer: k.closedByServer + k.resetByServer,
    resetByServer: k.resetByServer,
    closedFirstSecond: seconds[0] ?? null,
    closedLastSecond: seconds.at(-1) ?? null,
    failed,
    late: c.held.late,
    skipped: c.held.skipped,
  };
}

const earliest = (xs: Array<number | null>): number | null => xs.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.min(a, b)), null);
const latest = (xs: Array<number | null>): number | null => xs.reduce<number | null>((a, b) => (b === null ? a : a === null ? b : Math.max(a, b)), null);

/**
 * Runners' held summaries as one: counts add (runners hold disjoint connections), first seconds
 * are the earliest and last seconds the latest, each in its runner's own phase time. Null when
 * no part has one.
 */
export function mergeHeld(parts: Array<HeldSummary | null | undefined>): HeldSummary | null {
  const present = parts.filter((p): p is HeldSummary => p !== null && p !== undefined);
  const head = present[0];
  if (head === undefined) return null;
  const failed: HeldSummary['failed'] = {};
  for (const part of present) {
    for (const [code, f] of Object.entries(part.failed)) {
      const into = failed[code];
      failed[code] = into === undefined ? { ...f } : { count: into.count + f.count, firstSecond: earliest([into.firstSecond, f.firstSecond]) };
    }
  }
  const add = (key: 'connections' | 'peakOpen' | 'openAtEnd' | 'closedByServer' | 'resetByServer' | 'late' | 'skipped'): number => sum(present.map((p) => p[key]));
  return {
    intervalMs: head.intervalMs,
    connections: add('connections'),
    peakOpen: add('peakOpen'),
    openAtEnd: add('openAtEnd'),
    closedByServer: add('closedByServer'),
    resetByServer: add('resetByServer'),
    closedFirstSecond: earliest(present.map((p) => p.closedFirstSecond)),
    closedLastSecond: latest(present.map((p) => p.closedLastSecond)),
    failed,
    late: add('late'),
    skipped: add('skipped'),
  };
}

/** "3s", "250ms": the interval as given. */
export function formatIntervalMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** "the server closed 12 (3 reset), seconds 2-9" and the like, for the table and the notes. */
export function describeHeldCloses(h: HeldSummary): string {
  if (h.closedByServer === 0) return '0';
  const reset = h.resetByServer > 0 ? ` (${h.resetByServer} reset)` : '';
  const when = h.closedFirstSecond === h.closedLastSecond ? `second ${h.closedFirstSecond}` : `seconds ${h.closedFirstSecond}-${h.closedLastSecond}`;
  return `${h.closedByServer}${reset}, ${when}`;
}

/** "ECONNREFUSED 40 from second 5, EMFILE 3 from second 0" */
export function describeHeldFailures(h: HeldSummary): string {
  const parts = Object.entries(h.failed).map(([code, f]) => `${code} ${f.count}${f.firstSecond === null ? '' : ` from second ${f.firstSecond}`}`);
  return parts.length === 0 ? '0' : parts.join(', ');
}
