// The lab helper itself: raw-socket timings, IPv6, the bandwidth limit, bad
// options, and teardown in every way a test can end (destroy, SIGTERM, SIGKILL).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compileLabForChild } from './compile-for-child.js';
import { exec, exited, waitForLine } from './exec.js';
import { cleanupStaleLabs, createLab, type Lab } from './lab.js';
import { requireLab } from './lab-suite.js';
import { isRunning } from './teardown.js';
import { runJsonInLab, startServeInLab } from './lab-connload.js';
import { p50, settledP50 } from './timing.js';

const HTTP_SERVER = fileURLToPath(new URL('./fixtures/http-server.mjs', import.meta.url));
const MEASURE = fileURLToPath(new URL('./fixtures/measure.mjs', import.meta.url));
const LAB_HOLDER = fileURLToPath(new URL('./fixtures/lab-holder.mjs', import.meta.url));

async function namespaces(): Promise<string[]> {
  const listed = await exec('ip', ['netns', 'list']);
  return listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter(Boolean);
}

async function pidsIn(ns: string): Promise<number[]> {
  const listed = await exec('ip', ['netns', 'pids', ns]);
  return listed.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** PIDs in the namespaces once `count` processes are there (a just-spawned one takes a moment to enter). */
async function awaitPidsIn(namespaces: string[], count: number): Promise<number[]> {
  let pids: number[] = [];
  for (let poll = 0; poll < 100; poll++) {
    pids = (await Promise.all(namespaces.map(pidsIn))).flat();
    if (pids.length >= count) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids;
}

/** PIDs still running after up to ~5 s of polling (dying takes a moment). */
async function stillRunning(pids: number[]): Promise<number[]> {
  for (let poll = 0; poll < 100 && pids.some(isRunning); poll++) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isRunning);
}

async function startServer(lab: Lab, host: string): Promise<string> {
  const server = lab.spawnInServer(process.execPath, [HTTP_SERVER, host]);
  return (await waitForLine(server, /^listening on http:\/\/.+:(\d+)$/))[1]!;
}

async function measure(lab: Lab, args: string[]): Promise<Record<string, number[]>> {
  const run = await lab.runInClient(process.execPath, [MEASURE, ...args]);
  if (run.code !== 0) throw new Error(`measure.mjs ${args.join(' ')} failed (exit ${run.code}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, number[]>;
}

const labReady = await requireLab();

describe.skipIf(!labReady)('lab helper', () => {
  test('rejects a negative RTT, naming the option', async () => {
    await expect(createLab({ rttMs: -1 })).rejects.toThrow(/rttMs must be a number >= 0, got -1/);
  });

  // The same checks as fidelity.test.ts with raw sockets instead of connload:
  // when both fail, the lab is wrong; when only fidelity fails, connload is.
  test('raw sockets see one RTT for a handshake and for a keep-alive GET', async () => {
    const lab = await createLab({ rttMs: 20, name: 'raw' });
    try {
      const port = await startServer(lab, lab.serverAddress);
      const connectP50 = await settledP50(async () => p50((await measure(lab, ['connect', lab.serverAddress, port, '30'])).connectMs!), 20, 1);
      const waitP50 = await settledP50(async () => p50((await measure(lab, ['get', lab.serverAddress, port, '30'])).waitMs!), 20, 1.5);
      const delayers = await lab.delayerStats();
      const passes = delayers.map((d) => `${d.namespace}: read ${d.readMeanUs} us after the kernel's stamp, released ${d.lateMeanUs} us late`);
      console.log(`raw sockets at RTT 20 ms: connect p50 ${connectP50.toFixed(2)} ms, GET wait p50 ${waitP50.toFixed(2)} ms (means per packet: ${passes.join('; ')})`);
      expect(Math.abs(connectP50 - 20)).toBeLessThan(1);
      expect(Math.abs(waitP50 - 20)).toBeLessThan(1.5);
      // Every packet's delay counts from the kernel's receive stamp, not from when the delayer woke up to read it.
      expect(delayers.map((d) => d.unstamped)).toEqual([0, 0]);
      expect(delayers.every((d) => d.packets > 0)).toBe(true);
    } finally {
      await lab.destroy();
    }
  });

  test('the client reaches the server over IPv6 with the same RTT', async () => {
    const lab = await createLab({ rttMs: 10, name: 'ipv6' });
    try {
      expect(lab.serverAddress6).toBe('fd00::1');
      const port = await startServer(lab, lab.serverAddress6!);
      const connectP50 = await settledP50(async () => p50((await measure(lab, ['connect', lab.serverAddress6!, port, '30'])).connectMs!), 10, 1);
      expect(Math.abs(connectP50 - 10)).toBeLessThan(1);
    } finally {
      await lab.destroy();
    }
  });

  test('connload serve in the server namespace answers connload run in the client namespace', async () => {
    const lab = await createLab({ rttMs: 10, name: 'serve' });
    try {
      const server = await startServeInLab(lab, ['--body-size', '1k']);
      expect(server.url).toMatch(new RegExp(`^http://${lab.serverAddress.replaceAll('.', '\\.')}:\\d+$`));
      const run = await runJsonInLab(lab, ['run', `${server.url}/`, '-c', '2', '--requests', '10']);
      expect(run.code).toBe(0);
      expect(run.result.phases[0]!.requests.completed).toBe(10);
      expect(run.result.phases[0]!.metrics.connect?.count).toBe(2);
    } finally {
      await lab.destroy();
    }
  });

  test('bandwidthMbit limits a warm transfer to about that rate', async () => {
    const lab = await createLab({ rttMs: 10, bandwidthMbit: 50, name: 'rate' });
    try {
      const port = await startServer(lab, lab.serverAddress);
      const bytes = 2 * 1024 * 1024;
      const { warmMs } = await measure(lab, ['download', lab.serverAddress, port, String(bytes), '1']);
      const mbit = (bytes * 8) / (warmMs![0]! * 1000);
      console.log(`50 Mbit lab: 2 MB warm at ${mbit.toFixed(1)} Mbit/s`);
      // Headers and ACK timing cost a few percent; the limit is never exceeded by much.
      expect(mbit).toBeGreaterThan(40);
      expect(mbit).toBeLessThan(52);
    } finally {
      await lab.destroy();
    }
  });

  test('destroy() kills the lab processes and deletes both namespaces', async () => {
    const lab = await createLab({ rttMs: 4, name: 'destroy' });
    const sleeper = lab.spawnInServer('sleep', ['600']);
    const pids = await awaitPidsIn([lab.serverNs, lab.clientNs], 3);
    expect(pids).toContain(sleeper.pid);
    expect(pids.length).toBe(3); // two delayers and the sleep
    await lab.destroy();
    await lab.destroy(); // twice is harmless
    expect(await namespaces()).not.toContain(lab.serverNs);
    expect(await namespaces()).not.toContain(lab.clientNs);
    expect(await stillRunning(pids)).toEqual([]);
  });

  describe('when the process that made a lab is killed', () => {
    let compiledDir: string;
    const holders: ChildProcess[] = [];
    beforeAll(async () => {
      compiledDir = await compileLabForChild();
    });
    afterAll(async () => {
      // A test that failed half-way leaves its holder running: stop it, then
      // its lab is stale.
      for (const holder of holders) holder.kill('SIGKILL');
      await Promise.all(holders.map(exited));
      await cleanupStaleLabs();
      if (compiledDir) await rm(compiledDir, { recursive: true, force: true });
    });

    async function startHolder() {
      const holder = spawn(process.execPath, [LAB_HOLDER, compiledDir], { stdio: ['ignore', 'pipe', 'pipe'] });
      holders.push(holder);
      const line = (await waitForLine(holder, /^\{.*\}$/, 30_000))[0];
      const made = JSON.parse(line) as { serverNs: string; clientNs: string };
      const pids = await awaitPidsIn([made.serverNs, made.clientNs], 3);
      expect(pids.length).toBe(3); // two delayers and the sleep
      return { holder, made, pids };
    }

    test('SIGTERM: its exit handler tears the lab down', async () => {
      const { holder, made, pids } = await startHolder();
      holder.kill('SIGTERM');
      await exited(holder);
      expect(holder.signalCode).toBe('SIGTERM');
      expect(await namespaces()).not.toContain(made.serverNs);
      expect(await namespaces()).not.toContain(made.clientNs);
      expect(await stillRunning(pids)).toEqual([]);
    });

    test('SIGKILL: the lab is left behind and cleanupStaleLabs() removes it', async () => {
      const { holder, made, pids } = await startHolder();
      holder.kill('SIGKILL');
      await exited(holder);
      expect(await namespaces()).toContain(made.serverNs);
      const removed = await cleanupStaleLabs();
      expect(removed).toEqual(expect.arrayContaining([made.serverNs, made.clientNs]));
      expect(await namespaces()).not.toContain(made.serverNs);
      expect(await stillRunning(pids)).toEqual([]);
    });
  });
});
