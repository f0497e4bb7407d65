// The built-in server's --capacity: at most N requests in service at once, the rest
// wait in arrival order. Ground truth from the server's own counters and from
// lower bounds that timers guarantee (a wave of N answers takes at least the latency).
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.js';
import { runCli } from '../helpers/cli.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: Partial<ServerOptions>): Promise<RunningServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

/** One request on its own connection; resolves with the time its response ended (performance.now()). */
function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume().on('end', () => resolve(performance.now()));
      })
      .on('error', reject);
  });
}

/** The i-th answer (0-based) of a burst cannot end before wave floor(i / N) + 1 has had its latency. */
function expectWaves(endsMs: number[], startMs: number, capacity: number, latencyMs: number): void {
  const sorted = [...endsMs].sort((a, b) => a - b);
  sorted.forEach((end, i) => {
    // 1 ms of slack for timer rounding (setTimeout may fire up to 1 ms early on a coarse clock).
    expect(end - startMs, `answer ${i}`).toBeGreaterThanOrEqual((Math.floor(i / capacity) + 1) * latencyMs - 1);
  });
}

describe('built-in server --capacity', () => {
  it('HTTP/1.1: serves at most N at once, queues the rest in order, and counts the waits', async () => {
    const server = await serve({ latencyMs: 30, capacity: 4 });
    const startMs = performance.now();
    const ends = await Promise.all(Array.from({ length: 12 }, () => get(`${server.url}/`)));
    expectWaves(ends, startMs, 4, 30);
    const q = server.stats().capacity;
    expect(q.limit).toBe(4);
    expect(q.peakInService).toBe(4);
    expect(q.peakQueue).toBeGreaterThanOrEqual(1);
    expect(q.peakQueue).toBeLessThanOrEqual(8);
    expect(q.waited).toBe(8); // 12 requests, 4 slots: 8 had to wait whatever their arrival order
    expect(q.waitTotalMs).toBeGreaterThan(0);
    expect(q.waitMeanMs).toBeCloseTo(q.waitTotalMs / 8, 6);
    expect(server.stats().requests).toBe(12);
  });

  it('h2c: streams of one session share the same slots', async () => {
    const server = await serve({ h2c: true, latencyMs: 30, capacity: 3 });
    const session = http2.connect(server.url);
    try {
      const startMs = performance.now();
      const ends = await Promise.all(
        Array.from(
          { length: 9 },
          () =>
            new Promise<number>((resolve, reject) => {
              const stream = session.request({ ':path': '/' });
              stream.on('error', reject);
              stream.resume().on('end', () => resolve(performance.now()));
            }),
        ),
      );
      expectWaves(ends, startMs, 3, 30);
      const q = server.stats().capacity;
      expect(q.peakInService).toBe(3);
      expect(q.waited).toBe(6);
      expect(server.stats().requestsByVersion.h2).toBe(9);
    } finally {
      session.close();
    }
  });

  it('a request whose client leaves while it waits gives up its place, and the slot is never lost', async () => {
    const server = await serve({ latencyMs: 80, capacity: 1 });
    const first = get(`${server.url}/`);
    await until(() => server.stats().capacity.peakInService === 1);
    const leaver = net.connect(server.port, '127.0.0.1');
    leaver.on('error', () => {});
    leaver.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => server.stats().capacity.peakQueue === 1);
    // A RST, not a FIN: after a FIN (a half-close) the server still answers what was asked (4.7.4).
    leaver.resetAndDestroy();
    await until(() => server.stats().closedByClient === 1);
    const second = get(`${server.url}/`);
    await Promise.all([first, second]);
    await get(`${server.url}/`); // the queue is empty again: served without waiting
    const q = server.stats().capacity;
    expect(q.waited).toBe(1); // only the second: the leaver never got a slot
    expect(q.peakInService).toBe(1);
    expect(server.stats().requests).toBe(3);
  });

  it('connload run against serve --capacity: the server never has more than N in service, and the client sees at most N / latency req/s', async () => {
    const server = await serve({ latencyMs: 10, capacity: 4 });
    const result = await runCli(['run', `${server.url}/`, '-c', '16', '--requests', '400', '--json', '-', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { phases: Array<{ requests: { completed: number; perSecond: number } }> };
    expect(doc.phases[0]!.requests.completed).toBe(400);
    expect(doc.phases[0]!.requests.perSecond).toBeLessThanOrEqual(400);
    const q = server.stats().capacity;
    expect(q.peakInService).toBe(4);
    expect(q.waited).toBeGreaterThan(0);
  });

  it('refuses a capacity that is not a positive integer, exit 2', async () => {
    const result = await runCli(['serve', '--port', '0', '--capacity', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--capacity: expected a number of requests served at once >= 1, got 0');
  });
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}
