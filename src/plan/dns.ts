// --dns, --dns-refresh, --resolve and --dns-server, as a user gives them, checked
// and turned into the plan's DNS part. Pure: no lookup happens here.
import net from 'node:net';
import { DNS_POLICIES, type DnsPolicy } from '../transport/resolver.js';

export interface DnsPlan {
  policy: DnsPolicy;
  /** re-resolve the name this often during the run (ms), or null */
  refreshMs: number | null;
  /** --resolve entries for the target's host and port: its addresses, or null */
  pinned: string[] | null;
  /** a DNS server asked directly, "addr:port", or null for the system's resolver */
  server: string | null;
}

const unbracket = (s: string): string => s.replace(/^\[(.*)\]$/, '$1');

/** One `--resolve host:port:addr[,addr...]` entry (as curl writes it), or what is wrong with it. */
export function parseResolveEntry(entry: string): { host: string; port: number; addresses: string[] } | string {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+):(.+)$/.exec(entry.trim());
  if (m === null) return `expected host:port:address[,address...], got ${JSON.stringify(entry)}`;
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `expected a port from 1 to 65535 in ${JSON.stringify(entry)}`;
  const addresses = m[3]!.split(',').map((a) => unbracket(a.trim()));
  const bad = addresses.find((a) => net.isIP(a) === 0);
  if (bad !== undefined) return `expected IP addresses after host:port, got ${JSON.stringify(bad)} in ${JSON.stringify(entry)}`;
  return { host: unbracket(m[1]!).toLowerCase(), port, addresses };
}

/** `addr` or `addr:port` (IPv6 as `[addr]:port`), port 53 by default, as `{ server }`; or `{ problem }`. */
export function parseDnsServer(value: string): { server: string } | { problem: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(value) ?? /^([^:]+)(?::(\d+))?$/.exec(value) ?? (net.isIPv6(value) ? [value, value, undefined] : null);
  const address = m?.[1];
  if (address === undefined || net.isIP(address) === 0)
    return { problem: `expected the address of a DNS server, like 127.0.0.1:5353 or [::1]:53, got ${JSON.stringify(value)}` };
  const port = m?.[2] === undefined ? 53 : Number(m[2]);
  if (port < 1 || port > 65535) return { problem: `expected a port from 1 to 65535, got ${JSON.stringify(value)}` };
  return { server: net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}` };
}

export interface DnsInput {
  dns?: unknown;
  dnsRefreshMs: number | null;
  resolve?: unknown;
  dnsServer?: unknown;
}

/** The DNS part of a plan for a target, with every problem found (keyed by option name). */
export function planDns(
  input: DnsInput,
  target: { hostname: string; port: number } | null,
): { dns: DnsPlan; problems: Array<[key: 'dns' | 'resolve' | 'dnsServer', message: string]> } {
  const problems: Array<['dns' | 'resolve' | 'dnsServer', string]> = [];
  const policy = (input.dns ?? 'first') as DnsPolicy;
  if (!DNS_POLICIES.includes(policy)) problems.push(['dns', `expected one of ${DNS_POLICIES.join(', ')}, got ${JSON.stringify(input.dns)}`]);
  let pinned: string[] | null = null;
  const entries = input.resolve === undefined ? [] : Array.isArray(input.resolve) ? input.resolve : [input.resolve];
  for (const entry of entries) {
    const parsed = typeof entry === 'string' ? parseResolveEntry(entry) : `expected host:port:address strings, got ${JSON.stringify(entry)}`;
    if (typeof parsed === 'string') problems.push(['resolve', parsed]);
    // As curl: an entry for another host or port is not this target's.
    else if (target !== null && parsed.host === target.hostname.toLowerCase() && parsed.port === target.port) pinned = [...(pinned ?? []), ...parsed.addresses];
  }
  let server: string | null = null;
  if (input.dnsServer !== undefined) {
    const parsed =
      typeof input.dnsServer === 'string' ? parseDnsServer(input.dnsServer) : { problem: `expected the address of a DNS server, got ${JSON.stringify(input.dnsServer)}` };
    if ('problem' in parsed) problems.push(['dnsServer', parsed.problem]);
    else server = parsed.server;
  }
  return { dns: { policy, refreshMs: input.dnsRefreshMs, pinned, server }, problems };
}
