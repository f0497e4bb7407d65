// --warmup is run but not counted, in the closed model, the open model and page
// mode: the server's counts show the warmup traffic was sent, the result shows
// none of it (requests, connections opened, duration).
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const servers: RunningServer[] = [];

async function server(): Promise<RunningServer> {
  const s = await startServer({});
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('--warmup', () => {
  it('closed model: the warmup requests reach the server, the result counts only what came after', async () => {
    const s = await server();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '-c', '2', '--warmup', '1s', '-n', '300']);
    expect(code, stderr).toBe(0);
    assertValidResult(result);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(300);
    expect(p.metrics.ttfb!.count).toBe(300);
    expect(s.stats().requests).toBeGreaterThan(300);
    // The two persistent connections were opened during the warmup: not counted, only reused.
    expect(s.stats().connections).toBe(2);
    expect(p.connections.opened).toBe(0);
    expect(p.metrics.connect).toBeUndefined();
    expect(p.connections.reuseRatio).toBe(1);
  });

  it('closed model: a connection per request counts exactly the connections of the counted requests', async () => {
    const s = await server();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '-s', 'new-connection', '-c', '2', '--warmup', '500ms', '-n', '100']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(100);
    expect(p.connections.opened).toBe(100);
    expect(p.metrics.connect!.count).toBe(100);
    expect(s.stats().connections).toBeGreaterThan(100);
  });

  it('closed model: the duration counted is --duration, not warmup + duration', async () => {
    const s = await server();
    const { code, stderr, result } = await runJson(['run', `${s.url}/?latency=5`, '-c', '1', '--warmup', '1s', '-d', '1s']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expect(p.durationMs).toBeGreaterThanOrEqual(1000);
    expect(p.durationMs).toBeLessThan(2000);
    expect(s.stats().requests).toBeGreaterThan(p.requests.completed);
  });

  it('open model: the warmup runs at the rate too; --rate 100 --warmup 1s -d 2s counts 200 requests within 1%', async () => {
    const s = await server();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '--rate', '100', '--warmup', '1s', '-d', '2s']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBeGreaterThanOrEqual(198);
    expect(p.requests.completed).toBeLessThanOrEqual(202);
    expect(p.requests.perSecond).toBeGreaterThanOrEqual(99);
    expect(p.requests.perSecond).toBeLessThanOrEqual(101);
    // 300 scheduled in all: 100 in the warmup, then the 200 counted.
    expect(s.stats().requests).toBe(300);
    expect(p.metrics.latencyUncorrected!.count).toBe(p.requests.completed);
    expect(p.durationMs).toBeLessThanOrEqual(2000);
    expect(p.durationMs).toBeGreaterThan(1500);
  });

  it('page mode: pages begun in the warmup are not counted', async () => {
    const s = await server();
    const { code, stderr, result } = await runJson(['run', `${s.url}/`, '--page', '/index.html,/a.png,/b.png,/c.png', '-c', '2', '--warmup', '500ms', '-n', '40']);
    expect(code, stderr).toBe(0);
    const p = result.phases[0];
    expect(p.requests.completed).toBe(40);
    expect(p.metrics.page!.count).toBe(10);
    expect(s.stats().requests).toBeGreaterThan(40);
  });
});
