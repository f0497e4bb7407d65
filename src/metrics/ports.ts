// Local port facts and the projections built on them (DESIGN "TIME_WAIT and
// local ports"). Towards one target (address:port) a client has
// range size x local addresses 4-tuples; each connection the client closes
// first holds one for TIME_WAIT_SECONDS, or about TW_REUSE_HOLD_SECONDS when
// tcp_tw_reuse lets a new connection take it over.
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import type { ClosePolicy } from '../transport/close-policy.js';
import type { ConnectionCounters } from './counters.js';
import type { Progress } from './progress.js';
import type { PortsSummary } from './result.js';

/** Linux TCP_TIMEWAIT_LEN (include/net/tcp.h): not tunable. */
export const TIME_WAIT_SECONDS = 60;
/**
 * With tcp_tw_reuse in effect, connect() may take a 4-tuple whose TIME_WAIT entry's last
 * timestamp is from an earlier second (tcp_twsk_unique; needs TCP timestamps, on by default).
 */
export const TW_REUSE_HOLD_SECONDS = 1;

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

/** The process's open-file limit (soft, hard), from /proc/self/limits; null where it cannot be read. */
export async function readOpenFilesLimit(procRoot = '/proc'): Promise<{ soft: number; hard: number | null } | null> {
  const text = await readFile(`${procRoot}/self/limits`, 'utf8').catch(() => '');
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (m === null || m[1] === 'unlimited') return null;
  return { soft: Number(m[1]), hard: m[2] === 'unlimited' ? null : Number(m[2]) };
}

/** One line when connections failed for want of file descriptors (EMFILE), with the limit and how to raise it. */
export function fileLimitNote(failedEmfile: number, limit: { soft: number; hard: number | null } | null): string | null {
  if (failedEmfile === 0) return null;
  const raise =
    limit === null
      ? 'raise it with `ulimit -n`'
      : `the limit is ${limit.soft} open files${limit.hard !== null && limit.hard > limit.soft ? ` (hard limit ${limit.hard})` : ''}: raise it with \`ulimit -n ${limit.hard !== null && limit.hard > limit.soft ? limit.hard : limit.soft * 4}\` before the run`;
  return `the process ran out of file descriptors: ${failedEmfile} connections could not be opened (EMFILE); ${raise}. Each open connection holds one.`;
}

function isPort(n: number | undefined): boolean {
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
// Connecting to the unspecified address reaches loopback: the kernel records 127.0.0.1 or ::1.
LOOPBACK.addAddress('0.0.0.0', 'ipv4');
LOOPBACK.addAddress('::', 'ipv6');

/** 127.0.0.0/8, ::1 and ::ffff:127.x (BlockList matches IPv4-mapped addresses), or unspecified. */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Connections the client closed first with a FIN: each leaves its local port in TIME_WAIT.
 * A client-side error closes like 'client'; a reset (either side) leaves no TIME_WAIT, and a
 * server FIN leaves it on the server.
 */
export function closedByClientFirst(c: ConnectionCounters): number {
  return c.closedByClient + c.closedByTimeout;
}

export interface PortsInput {
  supported: boolean;
  source: string | null;
  facts: PortFacts;
  /** --local-address addresses new connections are bound to and spread over; 0 when the OS picks. */
  localAddresses: number;
  /** Whether the target address is loopback (tcp_tw_reuse=2 covers loopback only). */
  targetLoopback: boolean;
  timeWaitPeak: number | null;
  timeWaitPeakServer: number | null;
  /** Connections per second the client closed first (closedByClientFirst): the ones that hold a local port. */
  clientClosesPerSecond: number;
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

/** Whether tcp_tw_reuse lets this run's new connections take 4-tuples in TIME_WAIT, and why in words. */
export function twReuseFor(input: Pick<PortsInput, 'facts' | 'localAddresses' | 'targetLoopback'>): { applies: boolean; reason: string | null } {
  const reuse = input.facts.twReuse;
  if (reuse === null) return { applies: false, reason: null };
  if (reuse === 0) return { applies: false, reason: 'off' };
  if (reuse === 2 && !input.targetLoopback) return { applies: false, reason: 'loopback only; target is not' };
  // A socket bound to a source address gets its port from bind(), which skips ports with TIME_WAIT
  // entries: the reuse check is part of connect()'s own choice. Measured (200 ports, tcp_tw_reuse=2,
  // loopback, 40 client closes/s): with --local-address the ports ran out at 5 s, without it never.
  if (input.localAddresses > 0) return { applies: false, reason: 'not with --local-address: bind() skips ports in TIME_WAIT' };
  return { applies: true, reason: reuse === 2 ? 'loopback target' : 'every target' };
}

export function summarizePorts(input: PortsInput): PortsSummary {
  const localAddresses = Math.max(1, input.localAddresses);
  const usable = usableTuples(input.facts, localAddresses);
  const twReuse = twReuseFor(input);
  // Under tcp_tw_reuse a port in TIME_WAIT is free again for this target after about a second.
  const holdSeconds = twReuse.applies ? TW_REUSE_HOLD_SECONDS : TIME_WAIT_SECONDS;
  const sustainable = usable === null ? null : usable / holdSeconds;
  const rate = input.clientClosesPerSecond;
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
    twReuseApplies: twReuse.applies,
    twReuseReason: twReuse.reason,
    timeWaitHoldSeconds: holdSeconds,
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
  // Under tcp_tw_reuse half the range in TIME_WAIT is normal: connect() reuses old entries.
  const full = fraction !== null && fraction > WARN_PEAK_FRACTION && summary.twReuseApplies !== true;
  if (!soon && !full) return null;
  const usable = usableTuples(summary, summary.localAddresses);
  const held =
    fraction !== null && usable !== null
      ? `TIME_WAIT holds ${int(fraction * usable)} of ${int(usable)} local ports (${percent(fraction)})`
      : 'TIME_WAIT is filling the local ports';
  const when = soon ? `; at this rate they run out in ~${Math.ceil(projected!)} s` : '';
  const reuse = summary.twReuseApplies ? ` (even with tcp_tw_reuse=${summary.twReuse}, which frees a port after ~${TW_REUSE_HOLD_SECONDS} s)` : '';
  return `${held}${when}${reuse}`;
}

/**
 * Watches the live progress of a phase: the first time TIME_WAIT says the local ports are running
 * out, gives the warning line (exhaustionWarning); null every other time.
 */
export function exhaustionWatch(context: Pick<PortsInput, 'facts' | 'localAddresses' | 'targetLoopback'>): (p: Progress) => string | null {
  let warned = false;
  return (p) => {
    if (warned || p.timeWait === null) return null;
    const now = summarizePorts({
      ...context,
      supported: true,
      source: null,
      timeWaitPeak: p.timeWait,
      timeWaitPeakServer: null,
      clientClosesPerSecond: p.clientClosesPerSecond,
      timeWaitNow: p.timeWait,
      exhaustedAtSeconds: null,
    });
    const warning = exhaustionWarning(now);
    if (warning !== null) warned = true;
    return warning;
  };
}

function twReuseNote(summary: PortsSummary): string {
  const { twReuse, twReuseApplies, twReuseReason } = summary;
  if (twReuse === null) return '';
  if (twReuseApplies) return ' (already in effect)';
  const reason = twReuseReason ?? 'off';
  return reason === 'off' ? ` (now ${twReuse})` : ` (now ${twReuse}: ${reason})`;
}

/** tcp_tw_reuse and whether it applies to the run: `2 (applies: loopback target)`, `2 (loopback only; target is not)`. */
export function describeTwReuse(summary: PortsSummary): string {
  const { twReuse, twReuseApplies, twReuseReason } = summary;
  if (twReuse === null) return '-';
  if (twReuseReason === undefined || twReuseReason === null) return String(twReuse);
  return twReuseApplies ? `${twReuse} (applies: ${twReuseReason})` : `${twReuse} (${twReuseReason})`;
}

/** What the run did, to say which remedies are already in effect. */
export interface PortsRunContext {
  /** the strategy carries more than one request per connection (its traits say so) */
  reusesConnections?: boolean;
  close?: ClosePolicy;
}

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
    `Each connection the client closes first keeps its local port in TIME_WAIT for ${TIME_WAIT_SECONDS} s${
      summary.twReuseApplies ? ` (tcp_tw_reuse lets a new connection to this target take it after ~${TW_REUSE_HOLD_SECONDS} s)` : ''
    }. What would help:`,
  ];
  const inEffect = (yes: boolean) => (yes ? ' (already in effect)' : '');
  const keepAlive = run.reusesConnections === true;
  lines.push(`- let the server close first (--close server): the server keeps the TIME_WAIT${inEffect(run.close === 'server')}`);
  lines.push(`- reuse connections (--strategy persistent, pipeline or multiplex): far fewer new connections${inEffect(keepAlive)}`);
  lines.push(
    `- more source addresses (--local-address 127.0.0.2-127.0.0.9 or a CIDR): each adds a port range's worth of 4-tuples${inEffect(summary.localAddresses > 1)}`,
  );
  lines.push(`- sysctl net.ipv4.tcp_tw_reuse=1: lets new outgoing connections reuse ports in TIME_WAIT${twReuseNote(summary)}`);
  return lines;
}
