// `--local-address`: the source addresses new connections are spread over.
// More source addresses = more 4-tuples towards one target, the real fix for
// port exhaustion (DESIGN "TIME_WAIT and local ports").
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { ipv6Groups } from '../transport/ip-address.js';

/** Expanding a range or CIDR beyond this is almost surely a typo (a /8 instead of a /28). */
export const MAX_LOCAL_ADDRESSES = 65536;

const EXPECTED = 'expected a list, a range like 127.0.0.2-127.0.0.9 or a CIDR like 127.0.0.0/29';

function bad(item: string, problem: string): UsageError {
  return new UsageError(`--local-address: "${item}" ${problem}; ${EXPECTED}`);
}

/**
 * Parses `--local-address` values into a list of IP addresses, in order, without duplicates.
 * Accepts comma lists, ranges (`127.0.0.2-127.0.0.9`, `127.0.0.2-9`, `fd00::1-fd00::8`) and
 * CIDR blocks. An IPv4 block of /30 or larger gives its host addresses (without the network
 * and broadcast addresses); a /31 or /32 gives both or the one address (RFC 3021).
 * An IPv6 block gives all its addresses. Throws UsageError naming the bad item.
 */
export function parseLocalAddresses(spec: string | string[]): string[] {
  const items = (Array.isArray(spec) ? spec : [spec])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--local-address: no address given; ${EXPECTED}`);
  const seen = new Set<string>();
  for (const item of items) {
    for (const address of expandItem(item, MAX_LOCAL_ADDRESSES - seen.size)) seen.add(address);
  }
  return [...seen];
}

function expandItem(item: string, room: number): string[] {
  if (item.includes('/')) return expandCidr(item, room);
  if (isIP(item)) return [item];
  if (item.includes('-')) return expandRange(item, room);
  throw bad(item, 'is not an IP address');
}

function expandCidr(item: string, room: number): string[] {
  const [base = '', prefixText = '', ...rest] = item.split('/');
  const family = isIP(base);
  if (family === 0) throw bad(item, `is not a CIDR block: "${base}" is not an IP address`);
  const bits = family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefixText) || prefix > bits) {
    throw bad(item, `is not a CIDR block: the prefix length must be 0 to ${bits}`);
  }
  const hostBits = BigInt(bits - prefix);
  const size = 1n << hostBits;
  const first = (toBigInt(base, family) >> hostBits) << hostBits;
  // IPv4 blocks of /30 and larger have a network and a broadcast address: not sources.
  const skipEnds = family === 4 && prefix <= 30;
  const start = skipEnds ? first + 1n : first;
  const end = skipEnds ? first + size - 2n : first + size - 1n;
  return expandSpan(item, start, end, family, room);
}

function expandRange(item: string, room: number): string[] {
  const dash = item.indexOf('-');
  const from = item.slice(0, dash);
  let to = item.slice(dash + 1);
  const family = isIP(from);
  if (family === 0) throw bad(item, `is not a range: "${from}" is not an IP address`);
  // `127.0.0.2-9`: the end gives only the last part of the address.
  if (family === 4 && /^\d{1,3}$/.test(to)) to = `${from.slice(0, from.lastIndexOf('.'))}.${to}`;
  if (isIP(to) !== family) {
    throw bad(item, `is not a range: "${item.slice(dash + 1)}" is not an IPv${family} address or last part`);
  }
  const start = toBigInt(from, family);
  const end = toBigInt(to, family);
  if (end < start) throw bad(item, 'is not a range: its end comes before its start');
  return expandSpan(item, start, end, family, room);
}

function expandSpan(item: string, start: bigint, end: bigint, family: number, room: number): string[] {
  const count = end - start + 1n;
  if (count > BigInt(room)) {
    throw new UsageError(`--local-address: "${item}" has ${count} addresses; at most ${MAX_LOCAL_ADDRESSES} in total are allowed`);
  }
  const out: string[] = [];
  for (let n = start; n <= end; n++) out.push(fromBigInt(n, family));
  return out;
}

function toBigInt(address: string, family: number): bigint {
  if (family === 4) return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  return ipv6Groups(address).reduce((acc, group) => (acc << 16n) | BigInt(group), 0n);
}

function fromBigInt(n: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((n >> shift) & 0xffffn).toString(16));
  return compressIpv6(groups);
}

/** RFC 5952 text: the longest run of two or more zero groups becomes `::`. */
function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
}
