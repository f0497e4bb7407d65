// Issue 17: 20,000 held connections, counted by the server. Everything runs in a network namespace
// the test makes (its own loopback, ports and TIME_WAIT). A process holds one file descriptor per
// connection: where the open-file limit cannot be raised to hold them all in one process (raising
// the hard limit needs CAP_SYS_RESOURCE), the load is split between runners (--runner-index/count)
// and servers, as it would be over machines, and `connload merge` joins the runners' results.
// Needs root (skipped loudly otherwise); bounded by -d.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { BIN, runCli } from '../helpers/cli.js';
import { describeIfNamespaces, NamespaceTestResources, type Netns } from '../helpers/netns.js';
import { assertValidResult } from '../helpers/schema.js';

const HELD = 20_000;
const PORT = 8080;
/** Descriptors a process needs beside its connections (Node, a worker thread, the result file). */
const SPARE_FDS = 500;

const resources = new NamespaceTestResources();
afterEach(() => resources.release());

/** The open-file limit a child can have: 65,536 where it can be raised that far, else this process's hard limit. */
function fileLimit(): number {
  if (spawnSync('prlimit', ['--nofile=65536:65536', '--', 'true']).status === 0) return 65_536;
  const line = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line ? Number(line[1]) : 1024;
}

interface Served {
  child: ChildProcess;
  /** resolves with what it printed when it stopped */
  totals: Promise<string>;
}

/** `connload serve` on `host` in the namespace, with the limit raised; resolves once it listens. */
async function serve(netns: Netns, host: string, limit: number): Promise<Served> {
  const child = netns.spawn(
    'prlimit',
    [`--nofile=${limit}:${limit}`, '--', process.execPath, BIN, 'serve', '--host', host, '--port', String(PORT), '--keepalive-timeout', 'off'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const totals = new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`connload serve exited (${code}) before listening:\n${out}${err}`)));
  });
  return { child, totals };
}

await describeIfNamespaces('20,000 held connections', () => {
  it(`-s persistent -c ${HELD} --connect-rate 4000 --interval 3s -d 12s: the servers held them all, and the held summary agrees`, async () => {
    const netns = await resources.namespace('held');
    await netns.sysctl('net.ipv4.ip_local_port_range', '1024 65535');
    await netns.sysctl('net.core.somaxconn', 65535);
    const limit = fileLimit();
    const processes = Math.ceil(HELD / (limit - SPARE_FDS));
    // One server per address (all of 127/8 is the namespace's loopback); connections go to them in turn.
    const hosts = Array.from({ length: processes }, (_, i) => `127.0.0.${i + 1}`);
    const servers = await Promise.all(hosts.map((host) => serve(netns, host, limit)));
    const dir = await resources.tempDir('cl-held-');
    const files = hosts.map((_, i) => join(dir, `runner-${i}.json`));
    const runs = await Promise.all(
      files.map((file, i) =>
        runCli(
          [
            'run',
            `http://held.test:${PORT}/`,
            '--resolve',
            `held.test:${PORT}:${hosts.join(',')}`,
            '--dns',
            'round-robin',
            '-s',
            'persistent',
            '-c',
            String(HELD),
            '--connect-rate',
            '4000',
            '--interval',
            '3s',
            '-d',
            '12s',
            '--runner-count',
            String(processes),
            '--runner-index',
            String(i),
            '--json',
            file,
            '--quiet',
          ],
          {
            prefix: ['ip', 'netns', 'exec', netns.name, 'prlimit', `--nofile=${limit}:${limit}`, '--'],
            onSpawn: resources.track,
          },
        ),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    for (const s of servers) s.child.kill('SIGINT');
    const totals = await Promise.all(servers.map((s) => s.totals));

    // The servers' count: every connection accepted once, and all of them open at once.
    const counted = totals.map((text) => {
      const m = /accepted (\d+) connections, answered (\d+) requests, peak (\d+) open/.exec(text);
      expect(m, text).not.toBeNull();
      return { accepted: Number(m![1]), requests: Number(m![2]), peak: Number(m![3]) };
    });
    const sum = (f: (c: (typeof counted)[number]) => number): number => counted.reduce((n, c) => n + f(c), 0);
    expect(sum((c) => c.accepted)).toBe(HELD);
    expect(sum((c) => c.peak)).toBe(HELD);

    // The client's count, joined over the runners as for machines.
    const merged = join(dir, 'merged.json');
    const m = await runCli(['merge', ...files, '-o', merged]);
    expect(m.code, m.stderr).toBe(0);
    const doc = JSON.parse(await readFile(merged, 'utf8')) as ResultDocument;
    assertValidResult(doc);
    const p = doc.phases[0]!;
    expect(p.held).toMatchObject({ intervalMs: 3000, connections: HELD, peakOpen: HELD, openAtEnd: HELD, closedByServer: 0, failed: {} });
    expect(p.connections).toMatchObject({ opened: HELD, failed: 0, closedByServer: 0, stoppedAtEnd: HELD });
    // 12 s at a request every 3 s: 4 from connections opened in the first 3 s, 3 from the others.
    const perConnection = p.connections.requestsPerConnection;
    expect(perConnection.max).toBeLessThanOrEqual(4);
    expect(perConnection.mean).toBeGreaterThanOrEqual(3);
    expect(p.requests.sent).toBeLessThanOrEqual(4 * HELD);
    expect(p.requests.errors).toBe(0);
    // The servers answered every request the client completed (and maybe some it gave up on at the stop).
    expect(sum((c) => c.requests)).toBeGreaterThanOrEqual(p.requests.completed);
    expect(sum((c) => c.requests)).toBeLessThanOrEqual(p.requests.sent!);
  }, 180_000);
});
