// TIME_WAIT counts and port exhaustion in a namespace with a 200-port range and
// tcp_tw_reuse=0: the sampler reads /proc/<pid>/net/tcp of a process inside it
// (that file shows the process's network namespace) and is checked against `ss`.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { readPortFacts, summarizePorts } from '../../src/metrics/ports.js';
import { createTimeWaitSampler } from '../../src/metrics/timewait.js';
import { createNamespace, describeIfNamespaces, type Netns } from '../helpers/netns.js';

// Runs inside the namespace: a server on 127.0.0.1:0 and `count` sequential short
// connections to it, closed by the client or by the server first; stops at the first
// connect error and reports it once the server has closed its side of every
// connection (so each server-side FIN has been processed), then stays alive
// until stdin closes.
const LOAD_SCRIPT = `
const net = require('node:net');
const [mode, countText] = process.argv.slice(1);
const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.resume();
  if (mode === 'server-first') socket.end();
});
function connectOnce(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', (e) => resolve({ code: e.code, syscall: e.syscall, errno: e.errno, message: e.message }));
    socket.on('connect', () => { if (mode === 'client-first') socket.end(); });
    socket.on('close', () => resolve(null));
    socket.resume();
  });
}
server.listen(0, '127.0.0.1', async () => {
  const port = server.address().port;
  let made = 0;
  let error = null;
  for (let i = 0; i < Number(countText) && !error; i++) {
    error = await connectOnce(port);
    if (!error) made++;
  }
  const openOnServer = () => new Promise((resolve) => server.getConnections((e, n) => resolve(e ? 0 : n)));
  for (let polls = 0; polls < 1000 && (await openOnServer()) > 0; polls++) await new Promise((r) => setTimeout(r, 5));
  console.log(JSON.stringify({ pid: process.pid, port, made, error }));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
});
`;

interface LoadReport {
  pid: number;
  port: number;
  made: number;
  error: { code: string; syscall: string; errno: number; message: string } | null;
}

async function runLoad(netns: Netns, mode: 'client-first' | 'server-first', count: number): Promise<LoadReport> {
  const child = netns.spawn(process.execPath, ['-e', LOAD_SCRIPT, mode, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return JSON.parse(line) as LoadReport;
  throw new Error(`load script in ${netns.name} exited without a report`);
}

/** TIME_WAIT sockets by `ss` in the namespace: peer = port (client side), local = port (server side). */
async function ssTimeWait(netns: Netns, port: number): Promise<{ client: number; server: number }> {
  const result = await netns.exec('ss', ['-Htan', 'state', 'time-wait']);
  expect(result.code).toBe(0);
  let client = 0;
  let server = 0;
  for (const line of result.stdout.split('\n')) {
    const [, , local = '', peer = ''] = line.trim().split(/\s+/);
    if (peer.endsWith(`:${port}`)) client++;
    else if (local.endsWith(`:${port}`)) server++;
  }
  return { client, server };
}

/** /proc/sys is not per PID: copy the namespace's values into a procRoot for readPortFacts. */
async function namespaceProcSys(netns: Netns, dir: string): Promise<string> {
  await mkdir(join(dir, 'sys/net/ipv4'), { recursive: true });
  for (const name of ['ip_local_port_range', 'tcp_tw_reuse']) {
    const result = await netns.exec('cat', [`/proc/sys/net/ipv4/${name}`]);
    expect(result.code).toBe(0);
    await writeFile(join(dir, 'sys/net/ipv4', name), result.stdout);
  }
  return dir;
}

await describeIfNamespaces('TIME_WAIT in a namespace with a 200-port range', () => {
  let netns: Netns | null = null;
  let tmp = '';

  beforeEach(async () => {
    netns = await createNamespace('tw');
    await netns.sysctl('net.ipv4.ip_local_port_range', '40000 40199');
    await netns.sysctl('net.ipv4.tcp_tw_reuse', 0);
    tmp = await mkdtemp(join(tmpdir(), 'cl-tw-it-'));
  });

  afterEach(async () => {
    await netns?.destroy();
    netns = null;
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('client-first close leaves client-side entries; the sampler agrees with ss', async () => {
    const load = await runLoad(netns!, 'client-first', 150);
    expect(load).toMatchObject({ made: 150, error: null });
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: load.port }, { procRoot: `/proc/${load.pid}` });
    const [counts, ss] = await Promise.all([sampler.sample(), ssTimeWait(netns!, load.port)]);
    expect(sampler.source).toBe('proc');
    expect(counts).toEqual({ client: 150, server: 0 });
    expect(ss).toEqual({ client: 150, server: 0 });
  });

  it('server-first close leaves server-side entries only', async () => {
    // With 200 client ports a new SYN soon reuses the 4-tuple of a server-side TIME_WAIT
    // entry, and the server's kernel recycles that entry: use the default range here.
    await netns!.sysctl('net.ipv4.ip_local_port_range', '32768 60999');
    const load = await runLoad(netns!, 'server-first', 150);
    expect(load).toMatchObject({ made: 150, error: null });
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: load.port }, { procRoot: `/proc/${load.pid}` });
    const [counts, ss] = await Promise.all([sampler.sample(), ssTimeWait(netns!, load.port)]);
    expect(counts).toEqual({ client: 0, server: 150 });
    expect(ss).toEqual({ client: 0, server: 150 });
  });

  it('filling the range makes connect fail with EADDRNOTAVAIL', async () => {
    const load = await runLoad(netns!, 'client-first', 1000);
    // The listening server holds one port of the range (bind to port 0 draws from it too).
    expect(load.made).toBeGreaterThanOrEqual(195);
    expect(load.made).toBeLessThanOrEqual(200);
    expect(load.error).toMatchObject({ code: 'EADDRNOTAVAIL', syscall: 'connect' });
    console.info(`port range full after ${load.made} connections: ${load.error!.message} (errno ${load.error!.errno})`);

    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port: load.port }, { procRoot: `/proc/${load.pid}` });
    const [counts, ss] = await Promise.all([sampler.sample(), ssTimeWait(netns!, load.port)]);
    expect(counts?.client).toBe(ss.client);
    // Seen once in many runs: one of the connections leaves no TIME_WAIT entry.
    expect(counts!.client).toBeGreaterThanOrEqual(load.made - 2);
    expect(counts!.client).toBeLessThanOrEqual(load.made);

    const facts = await readPortFacts(await namespaceProcSys(netns!, tmp));
    expect(facts).toEqual({ rangeLow: 40000, rangeHigh: 40199, twReuse: 0 });
    const summary = summarizePorts({
      supported: sampler.supported,
      source: sampler.source,
      facts,
      localAddresses: 0,
      targetLoopback: true,
      timeWaitPeak: counts!.client,
      timeWaitPeakServer: counts!.server,
      clientClosesPerSecond: 100,
      timeWaitNow: counts!.client,
      exhaustedAtSeconds: 2,
    });
    // tcp_tw_reuse=0: a loopback target does not matter, every port stays taken for 60 s.
    expect(summary).toMatchObject({ twReuseApplies: false, timeWaitHoldSeconds: 60 });
    expect(summary.peakFraction).toBeCloseTo(counts!.client / 200);
    expect(summary.projectedExhaustionSeconds).toBeCloseTo((200 - counts!.client) / 100);
    expect(summary.exhausted).toBe(true);
  });
});
