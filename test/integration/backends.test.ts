// Behind a load balancer: haproxy from Debian balancing `connload serve --name` backends. The
// backends' own counts are the ground truth for connload's per-backend counts (--backend-header);
// a backend added during the run shows in the per-second series; per-address counts follow --dns.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';
import { haproxyAvailable, startHaproxy } from '../helpers/haproxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function backend(name: string): Promise<RunningServer> {
  const s = await startServer({ name });
  cleanups.push(() => s.close());
  return s;
}

const byName = (group: { peers: Array<{ name: string; requests: number; connections: number; series: number[] }> }) =>
  Object.fromEntries(group.peers.map((p) => [p.name, p]));

describe.skipIf(!haproxyAvailable() && !process.env.CI)('--backend-header behind haproxy', () => {
  it('counts requests per backend exactly as each backend counted them, with share and skew', async () => {
    const servers = [await backend('a'), await backend('b'), await backend('c')];
    const lb = await startHaproxy({ a: servers[0]!.port, b: servers[1]!.port, c: servers[2]!.port });
    cleanups.push(() => lb.stop());
    const { code, result, stderr } = await runJson([
      'run',
      `${lb.url}/`,
      '--backend-header',
      'X-Served-By',
      '-c',
      '6',
      '-n',
      '3000',
      '--threshold',
      'backend.skew < 1.2',
    ]);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(3000);
    expect(p.backends!.by).toBe('x-served-by');
    const got = byName(p.backends!);
    expect(Object.keys(got).sort()).toEqual(['a', 'b', 'c']);
    servers.forEach((s, i) => expect(got['abc'[i]!]!.requests).toBe(s.stats().requests));
    for (const peer of p.backends!.peers) expect(peer.share).toBeCloseTo(1 / 3, 1);
    expect(p.backends!.skew).toBeLessThan(1.2);
    expect(p.thresholds[0]).toMatchObject({ expression: 'backend.skew < 1.2', ok: true });
    // Every connection went to haproxy's one address.
    expect(p.addresses!.peers).toHaveLength(1);
    expect(p.addresses!.peers[0]).toMatchObject({ name: '127.0.0.1', requests: 3000 });
  });

  it('a backend added during the run shows in the per-second series', async () => {
    const servers = [await backend('a'), await backend('b')];
    const lb = await startHaproxy({ a: servers[0]!.port, b: servers[1]!.port });
    cleanups.push(() => lb.stop());
    const late = await backend('d');
    // d joins 1.5 s after the first request reaches a backend (connload's start-up takes its own time).
    const joined = (async () => {
      while (servers[0]!.stats().requests === 0) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 1500));
      await lb.addServer('d', late.port);
    })();
    const { code, result } = await runJson(['run', `${lb.url}/`, '--backend-header', 'X-Served-By', '--rate', '200', '--max-connections', '4', '-d', '4s']);
    await joined;
    expect(code).toBe(0);
    const got = byName(result.phases[0].backends!);
    // The open model waits for its last responses, so every request d answered was counted.
    expect(got.d!.requests).toBe(late.stats().requests);
    expect(got.d!.requests).toBeGreaterThan(100);
    // Nothing for d in the first second; its share in the last full second is about a third.
    expect(got.d!.series[0] ?? 0).toBe(0);
    const last = 3;
    const total = ['a', 'b', 'd'].reduce((n, k) => n + (got[k]!.series[last] ?? 0), 0);
    expect((got.d!.series[last] ?? 0) / total).toBeGreaterThan(0.25);
  });

  it('behind a layer-4 balancer, long-lived connections keep the load on the old backends; --max-connection-age spreads it', async () => {
    const run = async (extra: string[]): Promise<{ d: number; total: number; lastShare: number }> => {
      const servers = [await backend('a'), await backend('b')];
      const lb = await startHaproxy({ a: servers[0]!.port, b: servers[1]!.port }, 'tcp');
      cleanups.push(() => lb.stop());
      const late = await backend('d');
      // d joins 1 s after the pool's first request reached a backend: after the pool has opened.
      const joined = (async () => {
        while (servers[0]!.stats().requests + servers[1]!.stats().requests === 0) await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 1000));
        await lb.addServer('d', late.port);
      })();
      // A closed-model pool: its 4 connections open at the start, before d exists.
      const { code, result } = await runJson(['run', `${lb.url}/`, '--backend-header', 'X-Served-By', '-c', '4', '-d', '3s', ...extra]);
      await joined;
      expect(code).toBe(0);
      const got = byName(result.phases[0].backends!);
      const d = got.d?.requests ?? 0;
      // The run stops on time: up to one request per connection was in flight then, answered but not counted.
      expect(late.stats().requests - d).toBeGreaterThanOrEqual(0);
      expect(late.stats().requests - d).toBeLessThanOrEqual(4);
      const lastTotal = Object.values(got).reduce((n, p) => n + (p.series[2] ?? 0), 0);
      return { d, total: result.phases[0].requests.completed, lastShare: (got.d?.series[2] ?? 0) / lastTotal };
    };
    const pinned = await run([]);
    expect(pinned.d).toBe(0);
    const recycled = await run(['--max-connection-age', '300ms']);
    expect(recycled.d).toBeGreaterThan(0);
    expect(recycled.lastShare).toBeGreaterThan(0.2);
  });
});
