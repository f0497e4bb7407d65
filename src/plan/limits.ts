// What this machine and Node can do, as facts the plan is checked against. Read by the CLI
// (cli/machine-limits.ts); buildPlan stays pure and, without them, checks only the fixed bounds.
import { BlockList, isIPv4 } from 'node:net';

export interface MachineLimits {
  /** soft limit of open files (ulimit -n): every connection is a file descriptor; null when unknown */
  openFiles: number | null;
  /** CPUs Node may use (os.availableParallelism()) */
  cpus: number;
  /** addresses a socket may bind to here (os.networkInterfaces()); null when unknown */
  localAddresses: LocalAddressSet | null;
}

/** The largest delay Node's timers take (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Connections when the open-file limit is unknown. */
export const MAX_CONNECTIONS = 1_000_000;
/** File descriptors kept for everything but the connections: stdio, output files, workers, the sampler. */
export const RESERVED_FILES = 64;
/** A schedule this dense is beyond one machine's sending (a request every microsecond); runners split more. */
export const MAX_RATE_PER_RUNNER = 1_000_000;
/** Requests in flight per HTTP/1.1 connection. */
export const MAX_DEPTH = 10_000;
/** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS is 31 bits (RFC 9113 5.1.2). */
export const MAX_STREAMS = 2 ** 31 - 1;
/** Workers per CPU: beyond that they only take turns on the cores. */
export const WORKERS_PER_CPU = 4;

export interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
  cidr: string | null;
}

/** The addresses this host owns; any address of a loopback block (127.0.0.0/8) binds on Linux. */
export class LocalAddressSet {
  private readonly exact = new Set<string>();
  private readonly loopback = new BlockList();

  constructor(interfaces: InterfaceAddress[]) {
    for (const a of interfaces) {
      this.exact.add(a.address.toLowerCase());
      if (a.internal && a.cidr !== null && isIPv4(a.address)) {
        const [net, prefix] = a.cidr.split('/');
        this.loopback.addSubnet(net!, Number(prefix), 'ipv4');
      }
    }
  }

  has(address: string): boolean {
    if (this.exact.has(address.toLowerCase())) return true;
    return isIPv4(address) && this.loopback.check(address, 'ipv4');
  }
}

export function workersBound(limits: MachineLimits): number {
  return Math.max(16, WORKERS_PER_CPU * limits.cpus);
}

export function connectionsBound(limits: MachineLimits): { max: number; why: string } {
  if (limits.openFiles === null) return { max: MAX_CONNECTIONS, why: 'one machine\'s sockets; split the load with --runner-count' };
  const max = Math.max(1, limits.openFiles - RESERVED_FILES);
  return { max, why: `a connection is a file descriptor: ulimit -n is ${limits.openFiles}, ${RESERVED_FILES} kept for the rest` };
}
