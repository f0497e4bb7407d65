// Local port facts and the projections built on them (DESIGN "TIME_WAIT and
// local ports"). Towards one target (address:port) a client has
// range size x local addresses 4-tuples; each closed-first connection holds
// one for TIME_WAIT_SECONDS.
import { readFile } from 'node:fs/promises';
import type { ClosePolicy, StrategyName } from '../plan/types.js';
import type { PortsSummary } from './result.js';

/** Linux TCP_TIMEWAIT_LEN (include/net/tcp.h): not tunable. */
export const TIME_WAIT_SECONDS = 60;

/**
 * Socket error codes that mean "no free local port". connect() on an unbound socket says
 * EADDRNOTAVAIL; with --local-address the socket is bound first (bind to port 0, which
 * picks a port without knowing the destination), and that bind says EADDRINUSE.
 */
export const PORT_EXHAUSTION_CODES: readonly string[] = ['EADDRNOTAVAIL', 'EADDRINUSE'];

export function isPortExhaustion(code: string): boolean {
  return PORT_EXHAUSTION_CODES.includes(code);
}

export interface PortFacts {
  rangeLow: number | null;
  rangeHigh: number | null;
  twReuse: number | null;
}

/** Reads the ephemeral port range and tcp_tw_reuse; nulls for what cannot be read. */
export async function readPortFacts(procRoot = '/proc'): Promise<PortFacts> {
  const read = (name: string) =>
    readFile(`${procRoot}/sys/net/ipv4/${name}`, 'utf8').then(
      (text) => text.trim().split(/\s+/).map(Number),
      () => [] as number[],
    );
  const [range, reuse] = await Promise.all([read('ip_local_port_range'), read('tcp_tw_reuse')]);
  const [low, high] = range;
  const validRange = range.length === 2 && isPort(low) && isPort(high) && low! <= high!;
  return {
    rangeLow: validRange ? low! : null,
    rangeHigh: validRange ? high! : null,
    twReuse: reuse.length === 1 && Number.isInteger(reuse[0]) ? reuse[0]! : null,
  };
}

function isPort(n: number | undefined): boolean {
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535;
}

export interface PortsInput {
  supported: boolean;
  source: string | null;
  facts: PortFacts;
  /** Source addresses new connections are spread over (1 when the OS picks). */
  localAddresses: number;
  timeWaitPeak: number | null;
  timeWaitPeakServer: number | null;
  /** New connections per second seen in the phase. */
  newConnectionsPerSecond: number;
  /** The latest client-side TIME_WAIT count. */
  timeWaitNow: number | null;
  /** Seconds into the phase of the first EADDRNOTAVAIL, or null. */
  exhaustedAtSeconds: number | null;
}

/** Range size x local addresses, or null when the range is unknown. */
export function usableTuples(facts: PortFacts, localAddresses: number): number | null {
  if (facts.rangeLow === null || facts.rangeHigh === null) return null;
  return (facts.rangeHigh - facts.rangeLow + 1) * Math.max(1, localAddresses);
}

export function summarizePorts(input: PortsInput): PortsSummary {
  const localAddresses = Math.max(1, input.localAddresses);
  const usable = usableTuples(input.facts, localAddresses);
  const sustainable = usable === null ? null : usable / TIME_WAIT_SECONDS;
  const rate = input.newConnectionsPerSecond;
  let projected: number | null = null;
  if (usable !== null && sustainable !== null && input.timeWaitNow !== null && rate > 0 && rate > sustainable) {
    projected = Math.max(0, usable - input.timeWaitNow) / rate;
  }
  return {
    supported: input.supported,
    source: input.source,
    rangeLow: input.facts.rangeLow,
    rangeHigh: input.facts.rangeHigh,
    twReuse: input.facts.twReuse,
    localAddresses,
    timeWaitPeak: input.timeWaitPeak,
    timeWaitPeakServer: input.timeWaitPeakServer,
    peakFraction: usable && input.timeWaitPeak !== null ? input.timeWaitPeak / usable : null,
    sustainableConnectionsPerSecond: sustainable,
    projectedExhaustionSeconds: projected,
    exhausted: input.exhaustedAtSeconds !== null,
    exhaustedAtSeconds: input.exhaustedAtSeconds,
  };
}

/** Projected exhaustion closer than this is worth a warning on the live display. */
export const WARN_EXHAUSTION_SECONDS = 60;
/** ...as is TIME_WAIT holding more than this share of the usable 4-tuples. */
export const WARN_PEAK_FRACTION = 0.5;

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** One line for the live display when local ports are running out (or ran out), else null. */
export function exhaustionWarning(summary: PortsSummary): string | null {
  if (summary.exhausted) {
    return `local ports exhausted at ${summary.exhaustedAtSeconds!.toFixed(1)} s (no free local port): new connections are failing`;
  }
  const projected = summary.projectedExhaustionSeconds;
  const fraction = summary.peakFraction;
  const soon = projected !== null && projected < WARN_EXHAUSTION_SECONDS;
  const full = fraction !== null && fraction > WARN_PEAK_FRACTION;
  if (!soon && !full) return null;
  const usable = usableTuples(summary, summary.localAddresses);
  const held =
    fraction !== null && usable !== null
      ? `TIME_WAIT holds ${int(fraction * usable)} of ${int(usable)} local ports (${percent(fraction)})`
      : 'TIME_WAIT is filling the local ports';
  const when = soon ? `; at this rate they run out in ~${Math.ceil(projected!)} s` : '';
  const reuse = summary.twReuse === 1 ? ' (tcp_tw_reuse=1 may let the kernel reuse them)' : '';
  return `${held}${when}${reuse}`;
}

function twReuseNote(twReuse: number | null): string {
  if (twReuse === 1) return ' (already in effect)';
  if (twReuse === 2) return ' (now 2: loopback connections only)';
  return twReuse === null ? '' : ` (now ${twReuse})`;
}

/** What the run did, to say which remedies are already in effect. */
export interface PortsRunContext {
  strategy?: StrategyName;
  close?: ClosePolicy;
}

const KEEP_ALIVE_STRATEGIES: readonly StrategyName[] = ['http10-keepalive', 'persistent', 'pipeline', 'multiplex'];

/** Plain-language lines for the report when the client ran out of local ports; [] otherwise. */
export function exhaustionAdvice(summary: PortsSummary, run: PortsRunContext = {}): string[] {
  if (!summary.exhausted) return [];
  const usable = usableTuples(summary, summary.localAddresses);
  const range =
    summary.rangeLow !== null && usable !== null
      ? ` (port range ${summary.rangeLow}-${summary.rangeHigh} x ${summary.localAddresses} local address${summary.localAddresses === 1 ? '' : 'es'} = ${int(usable)} usable; sustainable ~${int(summary.sustainableConnectionsPerSecond!)} new connections/s)`
      : '';
  const lines = [
    `The client ran out of local ports ${summary.exhaustedAtSeconds!.toFixed(1)} s into the phase: new connections found no free local port (EADDRNOTAVAIL, or EADDRINUSE when bound to a --local-address; counted as port-exhausted)${range}.`,
    `Each connection the client closes first keeps its local port in TIME_WAIT for ${TIME_WAIT_SECONDS} s. What would help:`,
  ];
  const inEffect = (yes: boolean) => (yes ? ' (already in effect)' : '');
  const keepAlive = run.strategy !== undefined && KEEP_ALIVE_STRATEGIES.includes(run.strategy);
  lines.push(`- let the server close first (--close server): the server keeps the TIME_WAIT${inEffect(run.close === 'server')}`);
  lines.push(
    `- reuse connections (--strategy persistent, pipeline or multiplex): far fewer new connections${inEffect(keepAlive)}`,
  );
  lines.push(
    `- more source addresses (--local-address 127.0.0.2-127.0.0.9 or a CIDR): each adds a port range's worth of 4-tuples${inEffect(summary.localAddresses > 1)}`,
  );
  lines.push(
    `- sysctl net.ipv4.tcp_tw_reuse=1: lets new outgoing connections reuse ports in TIME_WAIT${twReuseNote(summary.twReuse)}`,
  );
  return lines;
}
