// Network namespaces for tests that change sysctls or fill port ranges without
// touching the host: each test gets its own loopback. Needs root (`ip netns`).
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Netns {
  readonly name: string;
  /** Runs `ip netns exec NAME cmd args...` to completion. */
  exec(cmd: string, args?: string[]): Promise<ExecResult>;
  /** `sysctl -w key=value` inside the namespace (net.* keys are per namespace); throws on failure. */
  sysctl(key: string, value: string | number): Promise<void>;
  /** Starts a child process inside the namespace; destroy() kills it. */
  spawn(cmd: string, args?: string[], options?: SpawnOptions): ChildProcess;
  /** Kills the children it started (by PID), then deletes the namespace. Safe to call twice. */
  destroy(): Promise<void>;
}

const NAME_PATTERN = /^cl-(.+)-(\d+)-(\d+)$/;
let created = 0;

export function runCommand(cmd: string, args: string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code === null ? `${error.name}: ${error.message}` : '') });
    });
  });
}

async function runOrThrow(cmd: string, args: string[]): Promise<string> {
  const result = await runCommand(cmd, args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** A fresh namespace `cl-<prefix>-<pid>-<n>` with loopback up. */
export async function createNamespace(prefix: string): Promise<Netns> {
  const name = `cl-${prefix}-${process.pid}-${++created}`;
  await runOrThrow('ip', ['netns', 'add', name]);
  const children = new Set<ChildProcess>();
  let destroyed = false;

  const netns: Netns = {
    name,
    exec: (cmd, args = []) => runCommand('ip', ['netns', 'exec', name, cmd, ...args]),
    async sysctl(key, value) {
      await runOrThrow('ip', ['netns', 'exec', name, 'sysctl', '-q', '-w', `${key}=${value}`]);
    },
    spawn(cmd, args = [], options = {}) {
      // `ip netns exec` execs the command, so the child's PID is the command's.
      const child = spawn('ip', ['netns', 'exec', name, cmd, ...args], options);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.all([...children].map(killAndWait));
      await runCommand('ip', ['netns', 'del', name]);
    },
  };
  try {
    await runOrThrow('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (error) {
    await netns.destroy();
    throw error;
  }
  return netns;
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    try {
      process.kill(child.pid!, 'SIGKILL');
    } catch {
      resolve(); // already gone
    }
  });
}

/**
 * Adds addresses to the namespace's loopback. Rarely needed: on Linux all of 127/8
 * routes to lo, and binding to 127.0.0.2 works without adding it.
 */
export async function addLoopbackAddresses(netns: Netns, addresses: string[]): Promise<void> {
  for (const address of addresses) {
    const prefix = address.includes(':') ? '128' : '32';
    const result = await netns.exec('ip', ['addr', 'add', `${address}/${prefix}`, 'dev', 'lo']);
    if (result.code !== 0 && !/File exists|already assigned/.test(result.stderr)) {
      throw new Error(`ip addr add ${address} in ${netns.name} failed: ${result.stderr.trim()}`);
    }
  }
}

/** Deletes `cl-*` namespaces left by crashed runs: only those whose creator PID is not alive. */
export async function cleanupStaleNamespaces(): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir('/run/netns');
  } catch {
    return [];
  }
  const stale = names.filter((name) => {
    const match = NAME_PATTERN.exec(name);
    return match !== null && !isAlive(Number(match[2]));
  });
  for (const name of stale) await runCommand('ip', ['netns', 'del', name]);
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let availability: Promise<{ ok: boolean; reason: string }> | null = null;

/** Root, and `ip netns add` works (not in a container without CAP_SYS_ADMIN). */
export function namespaceSupport(): Promise<{ ok: boolean; reason: string }> {
  availability ??= (async () => {
    if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces are Linux only' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'not root' };
    await cleanupStaleNamespaces();
    try {
      const probe = await createNamespace('probe');
      await probe.destroy();
      return { ok: true, reason: '' };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  })();
  return availability;
}

export async function canUseNamespaces(): Promise<boolean> {
  return (await namespaceSupport()).ok;
}

/**
 * `await describeIfNamespaces('...', () => { ... })` at the top level of a test file.
 * Without namespaces the suite is skipped with a loud warning; as root on CI (CI set)
 * a namespace failure is not a reason to skip, and the suite fails instead.
 */
export async function describeIfNamespaces(name: string, body: () => void): Promise<void> {
  const support = await namespaceSupport();
  if (support.ok) {
    describe(name, body);
  } else if (process.getuid?.() === 0 && process.env.CI) {
    describe(name, () => {
      throw new Error(`network namespaces are needed and failed as root: ${support.reason}`);
    });
  } else {
    console.warn(`SKIPPED: needs root for network namespaces (${support.reason}): ${name}`);
    describe.skip(name, body);
  }
}

/**
 * What a namespace test starts, for its afterEach to end with release(): CLI runs still going (killed
 * by PID), then the namespaces (their children with them), then the temporary folders.
 */
export class NamespaceTestResources {
  private readonly namespaces: Netns[] = [];
  private readonly clis = new Set<ChildProcess>();
  private readonly dirs: string[] = [];

  async namespace(prefix: string): Promise<Netns> {
    const netns = await createNamespace(prefix);
    this.namespaces.push(netns);
    return netns;
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** For runCli's onSpawn: a run still going when the test ends is killed. */
  readonly track = (child: ChildProcess): void => {
    this.clis.add(child);
    child.once('exit', () => this.clis.delete(child));
  };

  async release(): Promise<void> {
    for (const child of this.clis) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.clis.clear();
    await Promise.all(this.namespaces.splice(0).map((n) => n.destroy()));
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}
