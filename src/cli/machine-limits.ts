// Reads the facts the plan is checked against: memory, the CPUs and the local addresses.
import os from 'node:os';
import { LocalAddressSet, type MachineLimits } from '../plan/limits.js';

export function readMachineLimits(): MachineLimits {
  const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return { memoryBytes: os.totalmem(), cpus: os.availableParallelism(), localAddresses: new LocalAddressSet(interfaces) };
}
