// The network lab: two network namespaces joined by a veth pair, with a real
// round-trip time (and optionally a bandwidth limit) between them.
//
//   cl-lab-<pid>-<n>-srv  [vsrv 10.200.<n>.1, fd00::1] <--veth--> [vcli 10.200.<n>.2, fd00::2]  cl-lab-<pid>-<n>-cli
//
// The kernel has no netem, so each namespace runs a delayer (delayer.c) on its
// ingress: iptables sends packets arriving on the veth to NFQUEUE 0 and the
// delayer holds each for RTT/2. Both directions are delayed, so the handshake
// costs one RTT. Delaying on ingress, not on the sender's OUTPUT chain, keeps
// TCP Small Queues from throttling bulk transfers.
// The 10.200.x addresses exist only inside the two namespaces; nothing is
// routed to them from the root namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { ensureDelayer } from './delayer-build.js';
import { startDelayer, type DelayerProcess, type DelayerStats } from './delayer-process.js';
import { exec, execOk, type ExecOptions, type ExecResult } from './exec.js';
import { cleanupStaleLabs, destroyLab, trackLab, LAB_PREFIX, type LabResources } from './teardown.js';

export { cleanupStaleLabs, destroyAllLabs } from './teardown.js';
export type { DelayerStats } from './delayer-process.js';

export interface LabOptions {
  /** Round-trip time between the namespaces; 0 runs no delayer at all. */
  rttMs: number;
  /** Rate limit in each direction (tbf on both veth ends). */
  bandwidthMbit?: number;
  /** A label for the namespace names, [a-z0-9-]. */
  name?: string;
  /** Give the veth IPv6 addresses too (default: when the kernel has IPv6). */
  ipv6?: boolean;
}

export interface Lab {
  readonly rttMs: number;
  readonly serverNs: string;
  readonly clientNs: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
  /** null when the lab has no IPv6. */
  readonly serverAddress6: string | null;
  /** `['ip', 'netns', 'exec', ns, 'nice', '-n', '-10']`, e.g. for runCli's `prefix` option. */
  readonly serverPrefix: string[];
  readonly clientPrefix: string[];
  /** Starts a process in the server namespace; it is killed by destroy(). */
  spawnInServer(command: string, args: string[]): ChildProcess;
  spawnInClient(command: string, args: string[]): ChildProcess;
  /** Runs a command to completion in the client namespace. */
  runInClient(command: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
  runInServer(command: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Counters and CPU time of the delayers (none when rttMs is 0). */
  delayerStats(): Promise<DelayerStats[]>;
  /** Kills the lab's processes and deletes its namespaces. Safe to call twice. */
  destroy(): Promise<void>;
}

const SERVER_VETH = 'vsrv';
const CLIENT_VETH = 'vcli';
const QUEUE_NUM = 0;
let labCount = 0;

// Everything in a lab runs at nice -10: the processes are the instruments of
// a timing measurement, and on a busy machine a late wake-up reads as RTT.
function netnsPrefix(ns: string): string[] {
  return ['ip', 'netns', 'exec', ns, 'nice', '-n', '-10'];
}

export async function createLab(options: LabOptions): Promise<Lab> {
  if (!Number.isFinite(options.rttMs) || options.rttMs < 0) {
    throw new Error(`createLab: rttMs must be a number >= 0, got ${options.rttMs}`);
  }
  if (options.bandwidthMbit !== undefined && !(options.bandwidthMbit > 0)) {
    throw new Error(`createLab: bandwidthMbit must be > 0, got ${options.bandwidthMbit}`);
  }
  if (options.name !== undefined && !/^[a-z0-9-]{1,20}$/.test(options.name)) {
    throw new Error(`createLab: name must be 1-20 of [a-z0-9-], got "${options.name}"`);
  }
  await cleanupStaleLabs();
  const delayer = options.rttMs > 0 ? await ensureDelayer() : null;
  const ipv6 = options.ipv6 ?? (await hasIpv6());

  labCount += 1;
  const subnet = ((labCount - 1) % 250) + 1;
  const base = `${LAB_PREFIX}${process.pid}-${labCount}${options.name ? `-${options.name}` : ''}`;
  const serverNs = `${base}-srv`;
  const clientNs = `${base}-cli`;
  const resources: LabResources = { namespaces: [], pids: new Set() };
  const delayers: DelayerProcess[] = [];
  trackLab(resources);

  const track = (child: ChildProcess): ChildProcess => {
    if (child.pid !== undefined) {
      const pid = child.pid;
      resources.pids.add(pid);
      child.once('exit', () => resources.pids.delete(pid));
    }
    return child;
  };
  const ipArgs = (ns: string, command: string, args: string[]) => [...netnsPrefix(ns).slice(1), command, ...args];
  const spawnIn = (ns: string, command: string, args: string[]) => track(spawn('ip', ipArgs(ns, command, args), { stdio: ['ignore', 'pipe', 'pipe'] }));
  const runIn = (ns: string, command: string, args: string[], opts: ExecOptions = {}) =>
    exec('ip', ipArgs(ns, command, args), {
      ...opts,
      onSpawn: (child) => {
        track(child);
        opts.onSpawn?.(child);
      },
    });
  const ipIn = (ns: string, ...args: string[]) => execOk('ip', ['-n', ns, ...args]);

  const lab: Lab = {
    rttMs: options.rttMs,
    serverNs,
    clientNs,
    serverAddress: `10.200.${subnet}.1`,
    clientAddress: `10.200.${subnet}.2`,
    serverAddress6: ipv6 ? 'fd00::1' : null,
    serverPrefix: netnsPrefix(serverNs),
    clientPrefix: netnsPrefix(clientNs),
    spawnInServer: (command, args) => spawnIn(serverNs, command, args),
    spawnInClient: (command, args) => spawnIn(clientNs, command, args),
    runInServer: (command, args, opts) => runIn(serverNs, command, args, opts),
    runInClient: (command, args, opts) => runIn(clientNs, command, args, opts),
    delayerStats: () => Promise.all(delayers.map((d) => d.stats())),
    destroy: () => destroyLab(resources),
  };

  try {
    for (const ns of [serverNs, clientNs]) {
      await execOk('ip', ['netns', 'add', ns]);
      resources.namespaces.push(ns);
    }
    // Created directly inside the namespaces: no name clash in the root one.
    await execOk('ip', ['link', 'add', SERVER_VETH, 'netns', serverNs, 'type', 'veth', 'peer', 'name', CLIENT_VETH, 'netns', clientNs]);
    const ends = [
      { ns: serverNs, dev: SERVER_VETH, v4: lab.serverAddress, v6: 'fd00::1' },
      { ns: clientNs, dev: CLIENT_VETH, v4: lab.clientAddress, v6: 'fd00::2' },
    ];
    for (const end of ends) {
      await ipIn(end.ns, 'link', 'set', 'lo', 'up');
      await ipIn(end.ns, 'addr', 'add', `${end.v4}/24`, 'dev', end.dev);
      // nodad: the address is usable at once instead of after duplicate detection.
      if (ipv6) await ipIn(end.ns, 'addr', 'add', `${end.v6}/64`, 'dev', end.dev, 'nodad');
      await ipIn(end.ns, 'link', 'set', end.dev, 'up');
      if (options.bandwidthMbit !== undefined) await limitRate(end.ns, end.dev, options.bandwidthMbit, options.rttMs);
    }
    if (delayer) {
      const oneWayMs = options.rttMs / 2;
      for (const end of ends) {
        // The delayer must be bound before the rule exists: with nobody on
        // the queue, the kernel drops the packets.
        const spawnHere = (command: string, args: string[]) => spawnIn(end.ns, command, args);
        delayers.push(await startDelayer(spawnHere, end.ns, delayer, QUEUE_NUM, oneWayMs));
        const rule = ['-t', 'raw', '-A', 'PREROUTING', '-i', end.dev, '-j', 'NFQUEUE', '--queue-num', String(QUEUE_NUM)];
        await execOk('ip', ['netns', 'exec', end.ns, 'iptables', ...rule]);
        if (ipv6) await execOk('ip', ['netns', 'exec', end.ns, 'ip6tables', ...rule]);
      }
    }
  } catch (err) {
    await destroyLab(resources);
    throw err;
  }
  return lab;
}

/** tbf on the egress of one veth end. The burst holds a whole GSO segment. */
async function limitRate(ns: string, dev: string, mbit: number, rttMs: number): Promise<void> {
  const bytesPerMs = (mbit * 1e6) / 8 / 1000;
  const burstBytes = Math.max(64 * 1024 + 1514, Math.ceil(bytesPerMs));
  const queueMs = Math.max(20, rttMs);
  await execOk('ip', [
    'netns',
    'exec',
    ns,
    'tc',
    'qdisc',
    'add',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${mbit}mbit`,
    'burst',
    String(burstBytes),
    'latency',
    `${queueMs}ms`,
  ]);
}

async function hasIpv6(): Promise<boolean> {
  try {
    await access('/proc/sys/net/ipv6');
    return true;
  } catch {
    return false;
  }
}

export interface LabAvailability {
  ok: boolean;
  why?: string;
}

let availability: Promise<LabAvailability> | null = null;

/** Whether this machine can build labs: root, ip, iptables, gcc and libnetfilter-queue. */
export function labAvailable(): Promise<LabAvailability> {
  availability ??= checkAvailable();
  return availability;
}

async function checkAvailable(): Promise<LabAvailability> {
  if (process.platform !== 'linux') return { ok: false, why: `needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (network namespaces, iptables)' };
  const tools: Array<[string, string[], string]> = [
    ['ip', ['-V'], 'iproute2 (`ip`) not found'],
    ['iptables', ['--version'], 'iptables not found (Debian package iptables)'],
    ['tc', ['-V'], 'tc not found (iproute2)'],
    ['gcc', ['--version'], 'gcc not found (Debian package gcc)'],
  ];
  for (const [command, args, why] of tools) {
    const found = await exec(command, args).then(
      (r) => r.code === 0,
      () => false,
    );
    if (!found) return { ok: false, why };
  }
  try {
    await access('/usr/include/libnetfilter_queue/libnetfilter_queue.h');
  } catch {
    return { ok: false, why: 'libnetfilter_queue headers not found (Debian package libnetfilter-queue-dev)' };
  }
  try {
    await ensureDelayer();
  } catch (err) {
    return { ok: false, why: `cannot build the delayer: ${(err as Error).message}` };
  }
  const probeNs = `${LAB_PREFIX}${process.pid}-probe`;
  const added = await exec('ip', ['netns', 'add', probeNs]);
  await exec('ip', ['netns', 'del', probeNs]);
  if (added.code !== 0) return { ok: false, why: `cannot create a network namespace: ${added.stderr.trim()}` };
  return { ok: true };
}
