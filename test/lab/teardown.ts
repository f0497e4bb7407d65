// Tearing labs down: always, also when a test fails, the process exits or is
// interrupted, and for namespaces left behind by a crashed earlier run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { exec } from './exec.js';

/** Every lab namespace is named `cl-lab-<pid>-<n>[-<label>]-srv|cli`. */
export const LAB_PREFIX = 'cl-lab-';
const LAB_NAME = /^cl-lab-(\d+)-/;

/** What a lab owns; enough to remove it synchronously from an exit handler. */
export interface LabResources {
  namespaces: string[];
  /** PIDs of processes this lab started (delayers, servers, clients). */
  pids: Set<number>;
}

const liveLabs = new Set<LabResources>();
let handlersInstalled = false;

export function trackLab(resources: LabResources): void {
  liveLabs.add(resources);
  installExitHandlers();
}

export function untrackLab(resources: LabResources): void {
  liveLabs.delete(resources);
}

/** Whether a process exists and is not a zombie (killed, not yet reaped). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** PIDs of processes inside a namespace (ours: we made the namespace). */
function pidsInNamespaceSync(ns: string): number[] {
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  return (out.stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
}

/** Synchronous teardown for `exit` and signal handlers: SIGKILL, delete namespaces. */
export function destroyLabSync(resources: LabResources): void {
  for (const pid of resources.pids) killQuietly(pid, 'SIGKILL');
  for (const ns of resources.namespaces) {
    for (const pid of pidsInNamespaceSync(ns)) killQuietly(pid, 'SIGKILL');
    spawnSync('ip', ['netns', 'del', ns]);
  }
  untrackLab(resources);
}

/** Graceful teardown: SIGTERM, a short wait, SIGKILL for stragglers, delete namespaces. */
export async function destroyLab(resources: LabResources, graceMs = 2_000): Promise<void> {
  const pids = [...resources.pids];
  for (const ns of resources.namespaces) {
    const listed = await exec('ip', ['netns', 'pids', ns]);
    pids.push(...listed.stdout.split(/\s+/).filter(Boolean).map(Number));
  }
  for (const pid of pids) killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  destroyLabSync(resources);
}

/** Destroys every lab this process still has (for vitest `afterAll`). */
export async function destroyAllLabs(): Promise<void> {
  await Promise.all([...liveLabs].map((lab) => destroyLab(lab)));
}

/**
 * Removes `cl-lab-*` namespaces whose creating process is gone (a crashed or
 * killed earlier run), killing what still runs inside them first.
 */
export async function cleanupStaleLabs(): Promise<string[]> {
  const listed = await exec('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of listed.stdout.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const owner = ns.match(LAB_NAME);
    if (!owner || isRunning(Number(owner[1]))) continue;
    destroyLabSync({ namespaces: [ns], pids: new Set() });
    removed.push(ns);
  }
  return removed;
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of [...liveLabs]) destroyLabSync(lab);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      for (const lab of [...liveLabs]) destroyLabSync(lab);
      // Let the signal do what it would have done without us.
      process.off(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
