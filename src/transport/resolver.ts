// Every address of a name (A and AAAA), and which one each new connection goes
// to: --dns first|round-robin|random, --resolve pins, --dns-server asked directly
// (never the system's resolver then), --dns-refresh re-resolves during the run.
import { lookup, Resolver } from 'node:dns/promises';
import net from 'node:net';
import { nowUs } from './timing.js';

export const DNS_POLICIES = ['first', 'round-robin', 'random'] as const;
export type DnsPolicy = (typeof DNS_POLICIES)[number];

export interface ResolverOptions {
  policy: DnsPolicy;
  /** addresses pinned for the target (--resolve host:port:addr,...), or null */
  pinned: string[] | null;
  /** a DNS server asked directly ("127.0.0.1:5353", "[::1]:53"), or null for the system's resolver */
  server: string | null;
}

/** A name that resolved to no address (or whose server did not answer). */
export class ResolveError extends Error {
  constructor(
    readonly host: string,
    readonly code: string,
  ) {
    super(`cannot resolve ${host}: ${code === 'ENOTFOUND' || code === 'ENODATA' ? `no address (${code})` : code}`);
  }
}

/** Whether connections need an address book, or can hand the name to the socket as before (the system's
 *  first address, looked up on every connection and timed as `dns`). */
export function needsAddressBook(host: string, options: ResolverOptions): boolean {
  if (net.isIP(host)) return false;
  return options.pinned !== null || options.server !== null || options.policy !== 'first';
}

/** Every address of `host`: pinned, from the given server (A and AAAA), or from the system (all). */
export async function resolveAll(host: string, options: ResolverOptions): Promise<string[]> {
  if (net.isIP(host)) return [host];
  if (options.pinned !== null) return options.pinned;
  try {
    if (options.server !== null) {
      const resolver = new Resolver({ timeout: 2000, tries: 2 });
      resolver.setServers([options.server]);
      const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
      const found = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
      if (found.length > 0) return found;
      const reason = (v4.status === 'rejected' ? v4.reason : v6.status === 'rejected' ? v6.reason : null) as NodeJS.ErrnoException | null;
      throw new ResolveError(host, reason?.code ?? 'ENOTFOUND');
    }
    const all = await lookup(host, { all: true });
    if (all.length === 0) throw new ResolveError(host, 'ENOTFOUND');
    return all.map((a) => a.address);
  } catch (err) {
    if (err instanceof ResolveError) throw err;
    throw new ResolveError(host, (err as NodeJS.ErrnoException).code ?? 'ENOTFOUND');
  }
}

/** The addresses of one name for one worker, and the choice of one per new connection. */
export class AddressBook {
  private addresses: string[] = [];
  private next = 0;

  constructor(
    readonly host: string,
    private readonly options: ResolverOptions,
  ) {}

  get current(): readonly string[] {
    return this.addresses;
  }

  /** Resolves again; returns how long the lookup took (us). On failure the old addresses stay. */
  async refresh(): Promise<number> {
    const startUs = nowUs();
    const found = await resolveAll(this.host, this.options);
    this.addresses = found;
    if (this.next >= found.length) this.next = 0;
    return nowUs() - startUs;
  }

  /** The address for a new connection, by the policy. */
  pick(): string {
    const list = this.addresses;
    switch (this.options.policy) {
      case 'first':
        return list[0]!;
      case 'round-robin': {
        const address = list[this.next % list.length]!;
        this.next = (this.next + 1) % list.length;
        return address;
      }
      case 'random':
        return list[Math.floor(Math.random() * list.length)]!;
    }
  }
}
