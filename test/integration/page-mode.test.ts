// Page mode (--page): one iteration fetches the HTML, then its images, as a
// browser would for the chosen strategy, and records the `page` time. Against a
// server that takes L ms per response, time gives lower bounds that do not depend
// on the machine's speed: a serial page takes at least 4 L, a parallel one at
// least 2 L (the HTML first, then the images together); a parallel page that took
// less than 4 L was not fetched one request at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { runCli, runJson } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const LATENCY_MS = 40;
const PAGE = '/index.html,/a.png,/b.png,/c.png';
const PATHS = 4;
const PAGES = 6;
/** The server's delay is a Node timer, due by the event loop's cached clock, which can lag the real clock:
 *  a 40 ms response was seen here to take 39.8 ms. The bounds allow 1 ms per page for that. */
const TIMER_SLACK_MS = 1;

let server: RunningServer;

beforeAll(async () => {
  // h2c by prior knowledge for multiplex; HTTP/1.x on the same port for the others.
  server = await startServer({ latencyMs: LATENCY_MS, h2c: true });
});

afterAll(async () => {
  await server?.close();
});

interface PageRun {
  page: { count: number; min: number; p50: number };
  opened: number;
  serverConnections: number;
  serverRequests: number;
  peakStreamsPerSession: number;
}

async function runPage(args: string[]): Promise<PageRun> {
  const before = server.stats();
  const { code, stderr, result } = await runJson(['run', `${server.url}/`, '--page', PAGE, '-n', String(PAGES * PATHS), ...args]);
  expect(code, stderr).toBe(0);
  assertValidResult(result);
  const p = result.phases[0];
  expect(p.requests.completed).toBe(PAGES * PATHS);
  expect(p.requests.errors).toBe(0);
  expect(p.options.page).toEqual(PAGE.split(','));
  const after = server.stats();
  return {
    page: p.metrics.page!,
    opened: p.connections.opened,
    serverConnections: after.connections - before.connections,
    serverRequests: after.requests - before.requests,
    peakStreamsPerSession: after.peakStreamsPerSession,
  };
}

function expectSerial(run: PageRun): void {
  expect(run.page.count).toBe(PAGES);
  expect(run.page.min).toBeGreaterThanOrEqual(PATHS * LATENCY_MS - TIMER_SLACK_MS);
}

function expectParallel(run: PageRun): void {
  expect(run.page.count).toBe(PAGES);
  expect(run.page.min).toBeGreaterThanOrEqual(2 * LATENCY_MS - TIMER_SLACK_MS); // the HTML came before the images
  expect(run.page.p50).toBeLessThan(PATHS * LATENCY_MS); // the images came together
}

describe('--page', () => {
  it('-c 1 new-connection takes longer per page than persistent with 4 connections', async () => {
    const serial = await runPage(['-s', 'new-connection', '-c', '1']);
    const persistent = await runPage(['-s', 'persistent', '-c', '4']);
    expect(serial.page.p50).toBeGreaterThan(persistent.page.p50);
    expect(serial.page.min).toBeGreaterThan(persistent.page.min);
  });

  describe('fetches the page serially with -c 1', () => {
    it.each(['new-connection', 'http10-keepalive', 'persistent'])('%s', async (strategy) => {
      const run = await runPage(['-s', strategy, '-c', '1']);
      expectSerial(run);
      expect(run.serverRequests).toBe(PAGES * PATHS);
      expect(run.serverConnections).toBe(strategy === 'new-connection' ? PAGES * PATHS : 1);
      expect(run.opened).toBe(run.serverConnections);
    });
  });

  describe('fetches the images in parallel, after the HTML', () => {
    it('new-connection -c 4: a connection per request, three at once', async () => {
      const run = await runPage(['-s', 'new-connection', '-c', '4']);
      expectParallel(run);
      expect(run.serverConnections).toBe(PAGES * PATHS);
    });

    it.each(['persistent', 'http10-keepalive'])('%s -c 4: a pool, of which three connections are needed', async (strategy) => {
      const run = await runPage(['-s', strategy, '-c', '4']);
      expectParallel(run);
      expect(run.serverConnections).toBe(3);
      expect(run.opened).toBe(3);
    });

    it('pipeline -c 1 --depth 4: the images pipelined on one connection', async () => {
      const run = await runPage(['-s', 'pipeline', '-c', '1', '--depth', '4']);
      expectParallel(run);
      expect(run.serverConnections).toBe(1);
    });

    it('multiplex -c 1: the images as concurrent streams of one HTTP/2 session', async () => {
      const sessionsBefore = server.stats().sessions;
      const run = await runPage(['-s', 'multiplex', '-c', '1']);
      expectParallel(run);
      expect(server.stats().sessions - sessionsBefore).toBe(1);
      expect(run.peakStreamsPerSession).toBe(PATHS - 1);
    });
  });

  it('counts every request of a page and no partial page: -n is rounded down to whole pages', async () => {
    const { code, result } = await runJson(['run', `${server.url}/`, '--page', PAGE, '-n', '10', '-s', 'persistent', '-c', '2']);
    expect(code).toBe(0);
    const p = result.phases[0];
    expect(p.metrics.page!.count).toBe(2);
    expect(p.requests.completed).toBe(8);
  });

  it('refuses --page with --rate (page mode is a closed-model loop), before sending anything', async () => {
    const before = server.stats().requests;
    const { code, stderr } = await runCli(['run', `${server.url}/`, '--page', PAGE, '--rate', '10']);
    expect(code).toBe(2);
    expect(stderr).toContain('--page');
    expect(server.stats().requests).toBe(before);
  });
});
