// Reads the facts the plan is checked against: the heap a thread may use, the CPUs and the local addresses.
import os from 'node:os';
import v8 from 'node:v8';
import { LocalAddressSet, type MachineLimits } from '../plan/limits.js';

export function readMachineLimits(): MachineLimits {
  const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return { heapBytes: v8.getHeapStatistics().heap_size_limit, cpus: os.availableParallelism(), localAddresses: new LocalAddressSet(interfaces) };
}
