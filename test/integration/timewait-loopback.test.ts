// The sampler on this host (no root needed), with each Linux source (`ss`, /proc): a server
// on 127.0.0.1:0 and short connections to it from this process, checked against `ss` itself.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTimeWaitSampler, ssFilters, ssShellArgs, type TimeWaitSamplerOptions, type TimeWaitTarget } from '../../src/metrics/timewait.js';

let server: net.Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function startServer(closeFirst: 'client' | 'server'): Promise<net.Server & { closedOnServer: number }> {
  const s = Object.assign(
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('close', () => s.closedOnServer++);
      socket.resume();
      if (closeFirst === 'server') socket.end();
    }),
    { closedOnServer: 0 },
  );
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  server = s;
  return s;
}

/** `count` sequential connections, each finished on both sides before the next. */
async function connectMany(s: net.Server & { closedOnServer: number }, count: number, closeFirst: 'client' | 'server') {
  const port = (s.address() as net.AddressInfo).port;
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('error', reject);
      socket.on('connect', () => closeFirst === 'client' && socket.end());
      socket.on('close', () => resolve());
      socket.resume();
    });
  }
  // The server has seen every FIN once each of its sockets closed.
  for (let polls = 0; polls < 1000 && s.closedOnServer < count; polls++) await new Promise((r) => setTimeout(r, 5));
  return port;
}

/** One sample from a sampler of its own, closed after (an `ss` sampler keeps a shell between samples). */
async function sampleOnce(target: TimeWaitTarget, options: TimeWaitSamplerOptions) {
  const sampler = createTimeWaitSampler(target, options);
  try {
    return await sampler.sample();
  } finally {
    sampler.close();
  }
}

/** This process's children that are the ss sampler's shell, with their nice values (/proc). */
function samplerShells(): Array<{ pid: number; nice: number }> {
  const pids = readdirSync('/proc/self/task').flatMap((tid) => readFileSync(`/proc/self/task/${tid}/children`, 'latin1').split(' ').filter(Boolean).map(Number));
  return pids.flatMap((pid) => {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('connload-sample-end')) return [];
      const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
      return [{ pid, nice: Number(fields[16]) }];
    } catch {
      return []; // ended meanwhile
    }
  });
}

function ssTimeWait(port: number): Promise<{ client: number; server: number }> {
  return new Promise((resolve, reject) => {
    execFile('ss', ['-Htan', 'state', 'time-wait'], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error as Error);
      let client = 0;
      let server = 0;
      for (const line of stdout.split('\n')) {
        const [, , local = '', peer = ''] = line.trim().split(/\s+/);
        if (peer === `127.0.0.1:${port}`) client++;
        else if (local === `127.0.0.1:${port}`) server++;
      }
      resolve({ client, server });
    });
  });
}

describe.runIf(process.platform === 'linux')('TIME_WAIT sampler on this host', () => {
  it('reads ss by default, where ss runs', () => {
    expect(createTimeWaitSampler({ address: '127.0.0.1', port: 80 })).toMatchObject({ supported: true, source: 'ss' });
  });

  it('runs ss from one shell at nice 19 for every sample, says what they cost, starts another if it dies, and ends it at close()', async () => {
    const s = await startServer('client');
    const port = await connectMany(s, 20, 'client');
    const sampler = createTimeWaitSampler({ address: '127.0.0.1', port });
    expect(sampler.spent()).toEqual({ childrenMs: 0, mainMs: 0 });
    expect(samplerShells()).toEqual([]);
    const counts = [await sampler.sample(), await sampler.sample(), await sampler.sample()];
    expect(counts).toEqual([0, 1, 2].map(() => ({ client: 20, server: 0 })));
    const shells = samplerShells();
    expect(shells).toHaveLength(1);
    expect(shells[0]!.nice).toBe(19);
    expect(sampler.spent()!.mainMs).toBeGreaterThan(0);
    // Once a shell that died is reaped, the next sample starts another.
    process.kill(shells[0]!.pid, 'SIGKILL');
    for (let polls = 0; polls < 400 && existsSync(`/proc/${shells[0]!.pid}`); polls++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50)); // its 'close', after the reap
    expect(await sampler.sample()).toEqual({ client: 20, server: 0 });
    expect(samplerShells()).toHaveLength(1);
    expect(samplerShells()[0]!.pid).not.toBe(shells[0]!.pid);
    // One that dies with a sample on its way fails that sample (a gap), not the run; the next starts another.
    const dying = samplerShells()[0]!.pid;
    process.kill(dying, 'SIGKILL');
    const during = await sampler.sample();
    expect(during === null || during.client === 20).toBe(true);
    for (let polls = 0; polls < 400 && existsSync(`/proc/${dying}`); polls++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    expect(await sampler.sample()).toEqual({ client: 20, server: 0 });
    sampler.close();
    for (let polls = 0; polls < 400 && samplerShells().length > 0; polls++) await new Promise((r) => setTimeout(r, 5));
    expect(samplerShells()).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('the ss shell', () => {
  it("counts a client row whose own port is the target's as the client side's when the server side is not counted (a target elsewhere)", async () => {
    // The target's port is free on other addresses: a client on 127.0.0.2 binds it, as any client may
    // where the target's port lies in its ephemeral range, and closes first (its row: local 127.0.0.2:P).
    const s = net.createServer((socket) => socket.on('error', () => {}).resume());
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    server = s;
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2', localPort: port }, () => socket.end());
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });
    const out = execFileSync('sh', ssShellArgs(ssFilters('127.0.0.1', port).client, null), { input: '\n', encoding: 'latin1' });
    expect(out.split('\n')[0]).toBe('#0 1 0');
  });
});

describe.runIf(process.platform === 'linux').for(['ss', 'proc'] as const)('TIME_WAIT sampler on this host (%s)', (source) => {
  it('counts client-side entries after client-first closes, as ss does', async () => {
    const s = await startServer('client');
    const port = await connectMany(s, 60, 'client');
    expect(createTimeWaitSampler({ address: '127.0.0.1', port: 80 }, { source })).toMatchObject({ supported: true, source });
    const [counts, ss] = await Promise.all([sampleOnce({ address: '127.0.0.1', port }, { source }), ssTimeWait(port)]);
    expect(counts).toEqual({ client: ss.client, server: ss.server });
    expect(counts).toEqual({ client: 60, server: 0 });
  });

  it('counts by the target address, IPv4 on a dual-stack socket (::ffff:a.b.c.d) included', async () => {
    // A server on [::]: an 's' from the client has it close first (server-side entry), a 'c' the client.
    let closed = 0;
    const s = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.on('close', () => closed++);
      socket.once('data', (d) => d.toString() === 's' && socket.end());
      socket.resume();
    });
    await new Promise<void>((resolve) => s.listen(0, '::', resolve));
    server = s;
    const port = (s.address() as net.AddressInfo).port;
    const plan: Array<[host: string, first: 's' | 'c', count: number]> = [
      ['127.0.0.1', 's', 3],
      ['127.0.0.1', 'c', 4],
      ['::1', 's', 2],
      ['::1', 'c', 1],
      ['127.0.0.2', 's', 2],
    ];
    let total = 0;
    for (const [host, first, count] of plan) {
      for (let i = 0; i < count; i++, total++) {
        await new Promise<void>((resolve, reject) => {
          const socket = net.connect({ host, port }, () => (first === 'c' ? socket.end(first) : socket.write(first)));
          socket.on('error', reject);
          socket.on('close', () => resolve());
          socket.resume();
        });
      }
    }
    for (let polls = 0; polls < 1000 && closed < total; polls++) await new Promise((r) => setTimeout(r, 5));
    expect(await sampleOnce({ address: '127.0.0.1', port }, { source })).toEqual({ client: 4, server: 3 });
    expect(await sampleOnce({ address: '::ffff:127.0.0.1', port }, { source })).toEqual({ client: 4, server: 3 });
    expect(await sampleOnce({ address: '::1', port }, { source })).toEqual({ client: 1, server: 2 });
    expect(await sampleOnce({ address: '127.0.0.2', port }, { source })).toEqual({ client: 0, server: 2 });
  });

  it('counts server-side entries after server-first closes', async () => {
    const s = await startServer('server');
    const port = await connectMany(s, 60, 'server');
    const [counts, ss] = await Promise.all([sampleOnce({ address: '127.0.0.1', port }, { source }), ssTimeWait(port)]);
    expect(counts).toEqual({ client: ss.client, server: ss.server });
    expect(counts).toEqual({ client: 0, server: 60 });
  });

  it.for(['client', 'server'] as const)('counts IPv6 and IPv4-mapped entries of a dual-stack server, %s closing first', async (closeFirst, context) => {
    const s = Object.assign(
      net.createServer((socket) => {
        socket.resume();
        if (closeFirst === 'server') socket.end();
      }),
      { closedOnServer: 0 },
    );
    s.on('connection', (socket) => socket.on('close', () => s.closedOnServer++));
    const listening = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(0, '::', () => resolve(true));
    });
    if (!listening) return context.skip('no IPv6 on this host');
    server = s;
    const port = (s.address() as net.AddressInfo).port;
    for (const host of ['::1', '::1', '127.0.0.1']) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host, port }, () => closeFirst === 'client' && socket.end());
        socket
          .on('error', reject)
          .on('close', () => resolve())
          .resume();
      });
    }
    for (let polls = 0; polls < 1000 && s.closedOnServer < 3; polls++) await new Promise((r) => setTimeout(r, 5));
    // The IPv4 client's socket is in tcp; the server's accepted one is in tcp6 as ::ffff:127.0.0.1.
    const v6 = await sampleOnce({ address: '::1', port }, { source });
    const v4 = await sampleOnce({ address: '127.0.0.1', port }, { source });
    if (closeFirst === 'client')
      expect([v6, v4]).toEqual([
        { client: 2, server: 0 },
        { client: 1, server: 0 },
      ]);
    else
      expect([v6, v4]).toEqual([
        { client: 0, server: 2 },
        { client: 0, server: 1 },
      ]);
  });
});
