// What this machine and Node can do, as facts the plan is checked against. Read by the CLI
// (cli/machine-limits.ts); buildPlan stays pure and, without them, checks only the fixed bounds.
import { BlockList, isIPv4 } from 'node:net';

export interface MachineLimits {
  /** memory of this machine (os.totalmem()) */
  memoryBytes: number;
  /** CPUs Node may use (os.availableParallelism()) */
  cpus: number;
  /** addresses a socket may bind to here (os.networkInterfaces()); null when unknown */
  localAddresses: LocalAddressSet | null;
}

/** The largest delay Node's timers take (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Connections of one process: beyond the 4-tuples one machine can use towards one target in practice. */
export const MAX_CONNECTIONS = 1_000_000;
/** Memory an open connection takes at the least (kernel socket and buffers, the socket's objects in each
 *  thread): more connections than fit the machine's memory end the run out of memory, not with a report.
 *  Above the open-file limit they are only counted as EMFILE (the run goes on), so that is not a bound. */
export const CONNECTION_MEMORY_BYTES = 16 * 1024;
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
  const byMemory = Math.floor(limits.memoryBytes / CONNECTION_MEMORY_BYTES);
  if (byMemory >= MAX_CONNECTIONS) return { max: MAX_CONNECTIONS, why: 'one process; split the load with --runner-count' };
  const gib = (limits.memoryBytes / 2 ** 30).toFixed(1);
  return { max: Math.max(1, byMemory), why: `a connection takes at least ${CONNECTION_MEMORY_BYTES / 1024} KiB and this machine has ${gib} GiB` };
}
