// Every address of a name: a DNS server of the test's own on loopback gives svc.test three
// loopback addresses, each served by a built-in server of its own on the same port; --dns
// chooses per new connection, --dns-refresh follows a change of the answer, --resolve pins.
// Only the test's DNS server is ever asked (never the system's resolver).
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

/** One built-in server on each address, all on one port. */
async function backends(): Promise<{ port: number; servers: RunningServer[] }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const first = await startServer({ host: ADDRESSES[0]!, port: 0 });
    const servers = [first];
    try {
      for (const host of ADDRESSES.slice(1)) servers.push(await startServer({ host, port: first.port }));
      for (const s of servers) cleanups.push(() => s.close());
      return { port: first.port, servers };
    } catch {
      await Promise.all(servers.map((s) => s.close())); // the port was taken on another address: again
    }
  }
  throw new Error('no port free on all three addresses');
}

async function dns(records: Record<string, string[]>): Promise<TestDnsServer> {
  const server = await startDnsServer(records);
  cleanups.push(() => server.close());
  return server;
}

const connectionsPer = (servers: RunningServer[]): number[] => servers.map((s) => s.stats().connections);

describe('--dns with a DNS server of the test', () => {
  it('round-robin spreads new connections a third each', async () => {
    const { port, servers } = await backends();
    const d = await dns({ 'svc.test': ADDRESSES });
    const { code, result, stderr } = await runJson([
      'run',
      `http://svc.test:${port}/`,
      '--dns-server',
      d.address,
      '--dns',
      'round-robin',
      '-s',
      'new-connection',
      '-c',
      '3',
      '-n',
      '300',
    ]);
    expect(code, stderr).toBe(0);
    expect(result.phases[0].requests.completed).toBe(300);
    const per = connectionsPer(servers);
    expect(per.reduce((a, b) => a + b)).toBe(300);
    for (const n of per) expect(Math.abs(n - 100)).toBeLessThanOrEqual(2);
    expect(d.queries.every((q) => q.startsWith('svc.test '))).toBe(true);
    // The result counts connections and requests per address as the servers did.
    const addresses = result.phases[0].addresses;
    expect(addresses!.by).toBe('address');
    expect(addresses!.peers.map((p: { name: string }) => p.name)).toEqual(ADDRESSES);
    addresses!.peers.forEach((p: { connections: number; requests: number }, i: number) => {
      expect(p.connections).toBe(per[i]);
      expect(p.requests).toBe(servers[i]!.stats().requests);
    });
    expect(addresses!.skew).toBeLessThan(1.05);
  });

  it('random reaches every address; first keeps to one', async () => {
    const { port, servers } = await backends();
    const d = await dns({ 'svc.test': ADDRESSES });
    const random = await runJson(['run', `http://svc.test:${port}/`, '--dns-server', d.address, '--dns', 'random', '-s', 'new-connection', '-c', '3', '-n', '300']);
    expect(random.code).toBe(0);
    for (const n of connectionsPer(servers)) expect(n).toBeGreaterThan(50);
    const before = connectionsPer(servers);
    const first = await runJson(['run', `http://svc.test:${port}/`, '--dns-server', d.address, '-s', 'new-connection', '-c', '3', '-n', '60']);
    expect(first.code).toBe(0);
    const added = connectionsPer(servers).map((n, i) => n - before[i]!);
    expect(added.filter((n) => n > 0)).toEqual([60]);
  });

  it('--dns-refresh follows a change of the answer during the run', async () => {
    const { port, servers } = await backends();
    const d = await dns({ 'svc.test': [ADDRESSES[0]!] });
    setTimeout(() => d.records.set('svc.test', [ADDRESSES[1]!]), 1500);
    const { code, result } = await runJson([
      'run',
      `http://svc.test:${port}/`,
      '--dns-server',
      d.address,
      '--dns',
      'round-robin',
      '--dns-refresh',
      '250ms',
      '-s',
      'new-connection',
      '--rate',
      '100',
      '--max-connections',
      '4',
      '-d',
      '3s',
    ]);
    expect(code).toBe(0);
    const [a, b, c] = connectionsPer(servers);
    expect(a).toBeGreaterThan(50);
    expect(b).toBeGreaterThan(50);
    expect(c).toBe(0);
    expect(a! + b!).toBe(result.phases[0].connections.opened);
    // Each refresh asks again (A and AAAA), and is timed as dns.
    expect(d.queries.length).toBeGreaterThanOrEqual(8);
    expect(result.phases[0].metrics.dns!.count).toBeGreaterThanOrEqual(4);
  });

  it('a name with no address is one line naming it, exit 3', async () => {
    const d = await dns({ 'svc.test': ADDRESSES });
    const r = await runCli(['run', 'http://missing.test:8080/', '--dns-server', d.address, '-n', '5', '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(`connload: cannot resolve missing.test: no address (ENOTFOUND) (asked ${d.address})`);
  });
});

describe('--resolve', () => {
  it('pins the name to the given addresses without asking any DNS server', async () => {
    const { port, servers } = await backends();
    const { code } = await runJson([
      'run',
      `http://svc.test:${port}/`,
      '--resolve',
      `svc.test:${port}:127.0.0.3,127.0.0.4`,
      '--dns',
      'round-robin',
      '-s',
      'new-connection',
      '-c',
      '2',
      '-n',
      '100',
    ]);
    expect(code).toBe(0);
    expect(connectionsPer(servers)).toEqual([0, 50, 50]);
  });

  it('bad --resolve, --dns and --dns-server values are one line each, exit 2', async () => {
    const r = await runCli(['run', 'http://svc.test:8080/', '--resolve', 'svc.test:8080', '--dns-server', 'nope', '-n', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--resolve: expected host:port:address[,address...], got "svc.test:8080"');
    expect(r.stderr).toContain('--dns-server: expected the address of a DNS server, like 127.0.0.1:5353 or [::1]:53, got "nope"');
    const pin = await runCli(['run', 'http://svc.test:8080/', '--resolve', 'svc.test:8080:not-an-ip', '-n', '1']);
    expect(pin.code).toBe(2);
    expect(pin.stderr).toContain('expected IP addresses after host:port, got "not-an-ip"');
  });
});
