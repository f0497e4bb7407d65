// What this machine and Node can do, as facts the plan is checked against. Read by the CLI
// (cli/machine-limits.ts); buildPlan stays pure and, without them, checks only the fixed bounds.
import { BlockList, isIPv4 } from 'node:net';

export interface MachineLimits {
  /** the JS heap a thread may grow to (v8 heap_size_limit; worker threads get the same) */
  heapBytes: number;
  /** CPUs Node may use (os.availableParallelism()) */
  cpus: number;
  /** addresses a socket may bind to here (os.networkInterfaces()); null when unknown */
  localAddresses: LocalAddressSet | null;
}

/** The largest delay Node's timers take (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Connections of one process: beyond the 4-tuples one machine can use towards one target in practice. */
export const MAX_CONNECTIONS = 1_000_000;
/** Heap one connection of a worker takes, with room: 1,000,000 connections in one worker (a 4 GiB heap)
 *  grew it to 4.2 GB and stalled in garbage collection; 200,000 ran (950 MB). Past the heap a worker ends
 *  with ERR_WORKER_OUT_OF_MEMORY. Past the open-file limit connections are only counted as EMFILE (the
 *  run goes on), so that limit is not a bound. */
export const CONNECTION_HEAP_BYTES = 16 * 1024;
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

/** Connections `workers` worker threads can hold: each keeps its share in its own heap. */
export function connectionsBound(limits: MachineLimits, workers: number): { max: number; why: string } {
  const perWorker = Math.floor(limits.heapBytes / CONNECTION_HEAP_BYTES);
  if (perWorker * workers >= MAX_CONNECTIONS) return { max: MAX_CONNECTIONS, why: 'one process; split the load with --runner-count' };
  const mib = Math.round(limits.heapBytes / 2 ** 20);
  return {
    max: Math.max(1, perWorker * workers),
    why: `${perWorker} per worker thread: ${CONNECTION_HEAP_BYTES / 1024} KiB each in a ${mib} MiB heap; add --workers or split the load with --runner-count`,
  };
}
