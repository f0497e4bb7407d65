// The network-namespace helper the TIME_WAIT tests stand on (root only).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { addLoopbackAddresses, cleanupStaleNamespaces, createNamespace, describeIfNamespaces, runCommand, type Netns } from '../helpers/netns.js';

const listNamespaces = async () => (await runCommand('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]);

await describeIfNamespaces('network namespace helper', () => {
  const made: Netns[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((n) => n.destroy()));
  });

  async function namespace(prefix: string): Promise<Netns> {
    const netns = await createNamespace(prefix);
    made.push(netns);
    return netns;
  }

  it('makes uniquely named namespaces with loopback up', async () => {
    const [a, b] = [await namespace('help'), await namespace('help')];
    expect(a.name).toMatch(new RegExp(`^cl-help-${process.pid}-\\d+$`));
    expect(a.name).not.toBe(b.name);
    expect((await a.exec('ip', ['-o', 'link', 'show', 'lo'])).stdout).toMatch(/[<,]UP[,>]/);
    expect(await listNamespaces()).toContain(a.name);
  });

  it('sets sysctls inside only', async () => {
    const netns = await namespace('help');
    await netns.sysctl('net.ipv4.ip_local_port_range', '40000 40199');
    expect((await netns.exec('cat', ['/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim()).toBe('40000\t40199');
    expect((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim()).not.toBe('40000\t40199');
    await expect(netns.sysctl('net.ipv4.no_such_key', 1)).rejects.toThrow(/sysctl/);
  });

  it('binds to 127.0.0.2 without adding it (all of 127/8 is local), and can add addresses', async () => {
    const netns = await namespace('help');
    const script = `const s = require('net').createServer().listen(0, '127.0.0.2', () => { console.log('ok'); s.close(); })`;
    expect((await netns.exec(process.execPath, ['-e', script])).stdout.trim()).toBe('ok');
    await addLoopbackAddresses(netns, ['10.9.0.1', '10.9.0.1']); // adding twice is fine
    expect((await netns.exec('ip', ['-o', 'addr', 'show', 'dev', 'lo'])).stdout).toContain('10.9.0.1/32');
  });

  it('destroy() kills the children it started and deletes the namespace', async () => {
    const netns = await namespace('help');
    const child = netns.spawn('sleep', ['600'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal)));
    await netns.destroy();
    expect(await exited).toBe('SIGKILL');
    expect(await listNamespaces()).not.toContain(netns.name);
    await netns.destroy(); // twice is harmless
  });

  it('cleans up stale namespaces of dead creators only', async () => {
    const deadPid = spawnSync('true').pid!; // exited already
    const stale = `cl-stale-${deadPid}-1`;
    const live = `cl-live-${process.pid}-999999`;
    await runCommand('ip', ['netns', 'add', stale]);
    await runCommand('ip', ['netns', 'add', live]);
    try {
      expect(await cleanupStaleNamespaces()).toContain(stale);
      const names = await listNamespaces();
      expect(names).not.toContain(stale);
      expect(names).toContain(live);
    } finally {
      await runCommand('ip', ['netns', 'del', stale]);
      await runCommand('ip', ['netns', 'del', live]);
    }
  });
});
