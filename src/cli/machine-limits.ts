// Reads the facts the plan is checked against: the open-file limit, the CPUs and the local addresses.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { LocalAddressSet, type MachineLimits } from '../plan/limits.js';

/** Soft "Max open files" of this process from /proc/self/limits (Linux), or null. */
function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft) || null;
  } catch {
    return null;
  }
}

export function readMachineLimits(): MachineLimits {
  const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  return { openFiles: openFileLimit(), cpus: os.availableParallelism(), localAddresses: new LocalAddressSet(interfaces) };
}
