// Connection lifecycles drawn per connection (--max-requests-per-connection 5-15,
// --max-connection-age 300ms-900ms), checked against what servers saw: a raw HTTP/1.x server
// that counts the requests on each accepted connection and times its life, and a node:http2
// server that counts streams per session. Runs are bounded by request count.
import http2 from 'node:http2';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runJson, scenarioFolder } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

interface SeenConnection {
  requests: number;
  /** the client asked the server to close on its last request (Connection: close, or HTTP/1.0 without Keep-Alive) */
  retiredByClient: boolean;
  acceptedMs: number;
  closedMs: number | null;
}

interface Counting {
  url: string;
  connections: SeenConnection[];
  close(): Promise<void>;
}

/** Answers each request after `latencyMs`; closes when the request asks for it (4.5.2, 4.5.8). */
async function countingServer(latencyMs = 0): Promise<Counting> {
  const connections: SeenConnection[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const seen: SeenConnection = { requests: 0, retiredByClient: false, acceptedMs: performance.now(), closedMs: null };
    connections.push(seen);
    sockets.add(socket);
    socket.on('close', () => {
      seen.closedMs = performance.now();
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end).toLowerCase();
        buffered = buffered.slice(end + 4);
        seen.requests++;
        const http10 = head.split('\r\n')[0]!.endsWith('http/1.0');
        const close = http10 ? !head.includes('\r\nconnection: keep-alive') : head.includes('\r\nconnection: close');
        if (close) seen.retiredByClient = true;
        const answer = `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${close ? 'Connection: close\r\n' : http10 ? 'Connection: Keep-Alive\r\n' : ''}\r\nok`;
        const send = (): void => {
          if (socket.destroyed) return;
          socket.write(answer);
          if (close) socket.end();
        };
        if (latencyMs > 0) setTimeout(send, latencyMs);
        else send();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((f) => f()));
});

async function counting(latencyMs = 0): Promise<Counting> {
  const s = await countingServer(latencyMs);
  cleanups.push(() => s.close());
  return s;
}

/** At least 8 distinct counts, the low and the high end reached: the draws spread over 5-15. */
function expectSpread(counts: number[]): void {
  const shown = counts.join(' ');
  expect(new Set(counts).size, shown).toBeGreaterThanOrEqual(8);
  expect(Math.min(...counts), shown).toBeLessThanOrEqual(7);
  expect(Math.max(...counts), shown).toBeGreaterThanOrEqual(13);
}

describe('--max-requests-per-connection 5-15: each connection draws its own count', () => {
  it.each([
    ['persistent', [], 3000],
    ['pipeline', ['--depth', '4'], 2000],
    ['http10-keepalive', [], 1500],
  ] as const)('%s: every connection the client retired carried 5 to 15 requests, spread over the range', async (strategy, extra, requests) => {
    const s = await counting();
    const { code, result } = await runJson(['run', s.url, '-s', strategy, ...extra, '-c', '8', '--max-requests-per-connection', '5-15', '-n', String(requests)]);
    expect(code).toBe(0);
    const p = result.phases[0]!;
    expect(p.requests.completed).toBe(requests);
    expect(p.options.maxRequestsPerConnection).toEqual({ min: 5, max: 15 });
    // The client asked the server to close each on its last request (--close server); those still
    // open when the run stopped (at most one per connection slot) carried what they had.
    const retired = s.connections.filter((c) => c.retiredByClient).map((c) => c.requests);
    const cut = s.connections.filter((c) => !c.retiredByClient);
    expect(cut.length).toBeLessThanOrEqual(8);
    for (const c of cut) expect(c.requests).toBeLessThanOrEqual(15);
    for (const n of retired) expect(n).toBeGreaterThanOrEqual(5);
    for (const n of retired) expect(n).toBeLessThanOrEqual(15);
    expectSpread(retired);
    // The counters say who closed: the server, as asked, for every retired connection.
    expect(p.connections.opened).toBe(s.connections.length);
    expect(p.connections.closedByServer).toBe(retired.length);
    expect(p.connections.closedByServer + p.connections.stoppedAtEnd!).toBe(p.connections.opened);
    expect(p.connections.requestsPerConnection.max).toBeLessThanOrEqual(15);
  });

  it.each([
    ['client', 'closedByClient'],
    ['reset', 'resetByClient'],
  ] as const)('--close %s: the client closes each at its drawn count, and the counters say so', async (close, counter) => {
    const s = await counting();
    const { code, result } = await runJson(['run', s.url, '-c', '8', '--max-requests-per-connection', '5-15', '--close', close, '-n', '1500']);
    expect(code).toBe(0);
    const p = result.phases[0]!;
    const counts = s.connections.map((c) => c.requests);
    // Only a connection cut by the end of the run (one per slot at most) may carry fewer than 5.
    expect(counts.filter((n) => n < 5).length).toBeLessThanOrEqual(8);
    for (const n of counts) expect(n).toBeLessThanOrEqual(15);
    expectSpread(counts);
    expect(p.connections.opened).toBe(s.connections.length);
    expect(p.connections[counter] + p.connections.stoppedAtEnd!).toBe(p.connections.opened);
    expect(p.connections.stoppedAtEnd).toBeLessThanOrEqual(8);
  });

  it('multiplex: each HTTP/2 session draws its own number of streams', async () => {
    const streamsPerSession: number[] = [];
    const server = http2.createServer();
    server.on('session', (session) => {
      const index = streamsPerSession.push(0) - 1;
      session.on('stream', (stream) => {
        streamsPerSession[index]!++;
        stream.respond({ ':status': 200, 'content-length': 2 });
        stream.end('ok');
      });
      session.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const { port } = server.address() as net.AddressInfo;
    const { code, result } = await runJson([
      'run',
      `http://127.0.0.1:${port}/`,
      '-s',
      'multiplex',
      '-c',
      '4',
      '--streams',
      '4',
      '--max-requests-per-connection',
      '5-15',
      '-n',
      '1500',
    ]);
    expect(code).toBe(0);
    const p = result.phases[0]!;
    expect(p.requests.completed).toBe(1500);
    expect(p.connections.opened).toBe(streamsPerSession.length);
    for (const n of streamsPerSession) expect(n).toBeLessThanOrEqual(15);
    // Sessions cut by the end of the run (one per slot at most) may carry fewer.
    const full = streamsPerSession.filter((n) => n >= 5);
    expect(streamsPerSession.length - full.length).toBeLessThanOrEqual(4);
    expectSpread(full);
    expect(p.connections.closedByClient + p.connections.stoppedAtEnd!).toBe(p.connections.opened);
  });
});

describe('--max-connection-age 300ms-900ms: each connection draws its own age', () => {
  it('the lifetimes the server sees spread over the range', async () => {
    const s = await counting(10);
    const { code, result } = await runJson(['run', s.url, '-c', '8', '--max-connection-age', '300ms-900ms', '-d', '4s', '-n', '20000']);
    expect(code).toBe(0);
    const p = result.phases[0]!;
    expect(p.options.maxConnectionAgeMs).toEqual({ min: 300, max: 900 });
    // Retired at the first request at or past its age: a request (10 ms) and the close later.
    const lifetimes = s.connections.filter((c) => c.retiredByClient && c.closedMs !== null).map((c) => Math.round(c.closedMs! - c.acceptedMs));
    const shown = lifetimes.join(' ');
    expect(lifetimes.length, shown).toBeGreaterThanOrEqual(30);
    for (const ms of lifetimes) expect(ms, shown).toBeGreaterThanOrEqual(290);
    for (const ms of lifetimes) expect(ms, shown).toBeLessThanOrEqual(900 + 200);
    // Spread: each third of the range holds some (uniform: about a third each).
    for (const [low, high] of [
      [300, 500],
      [500, 700],
      [700, 1100],
    ]) {
      expect(lifetimes.filter((ms) => ms >= low! && ms < high!).length, shown).toBeGreaterThanOrEqual(4);
    }
    // The client counts them as the server's closes, but for those the run's end caught closing (stopped).
    expect(p.connections.closedByServer).toBeLessThanOrEqual(lifetimes.length);
    expect(p.connections.closedByServer + p.connections.stoppedAtEnd!).toBeGreaterThanOrEqual(lifetimes.length);
  });
});

describe('bad ranges', () => {
  it.each([
    [['--max-requests-per-connection', '120-80'], '--max-requests-per-connection: range "120-80" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 80-120'],
    [['--max-requests-per-connection', '0'], '--max-requests-per-connection: expected a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120, got 0'],
    [['--max-requests-per-connection', 'abc'], '--max-requests-per-connection: expected a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120, got "abc"'],
    [
      ['--max-requests-per-connection', '1.5-3'],
      '--max-requests-per-connection: expected a positive integer or a range MIN-MAX of them, e.g. 100 or 80-120, got "1.5-3"',
    ],
    [['--max-connection-age', '40s-20s'], '--max-connection-age: range "40s-20s" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 20s-40s'],
    [['--max-connection-age', '0'], '--max-connection-age: expected a duration > 0 or a range MIN-MAX of them, e.g. 30s or 20s-40s, got 0'],
    [['--max-connection-age', 'abc'], '--max-connection-age: expected a duration > 0 or a range MIN-MAX of them, e.g. 30s or 20s-40s, got "abc"'],
  ])('%j: one line naming it, exit 2, nothing sent', async (args, line) => {
    const s = await counting();
    const r = await runCli(['run', s.url, '-n', '10', ...args]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toContain(line);
    expect(s.connections).toHaveLength(0);
  });
});

describe('in a scenario file', () => {
  it('takes "5-15" and "20s-40s", and names a backwards range by its JSON path', async () => {
    const { write } = await scenarioFolder(cleanups);
    const s = await counting();
    const good = await write('good.json', {
      name: 'ranges',
      target: s.url,
      defaults: { connections: 4, maxConnectionAge: '20s-40s' },
      phases: [{ name: 'drawn', maxRequestsPerConnection: '5-15', requests: 800 }],
    });
    const { code, result } = await runJson(['run', good]);
    expect(code).toBe(0);
    assertValidResult(result);
    expect(result.phases[0]!.options).toMatchObject({ maxRequestsPerConnection: { min: 5, max: 15 }, maxConnectionAgeMs: { min: 20_000, max: 40_000 } });
    const retired = s.connections.filter((c) => c.retiredByClient).map((c) => c.requests);
    for (const n of retired) expect(n).toBeGreaterThanOrEqual(5);
    for (const n of retired) expect(n).toBeLessThanOrEqual(15);
    expectSpread(retired);

    const bad = await write('bad.json', { name: 'ranges', target: s.url, phases: [{ name: 'drawn', maxRequestsPerConnection: '120-80', maxConnectionAge: 'soon' }] });
    const before = s.connections.length;
    const r = await runCli(['run', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('phases[0].maxConnectionAge: expected a duration or a range "MIN-MAX" of them, e.g. "30s" or "20s-40s", got "soon"');
    const fixed = await write('backwards.json', { name: 'ranges', target: s.url, phases: [{ name: 'drawn', maxRequestsPerConnection: '120-80' }] });
    const r2 = await runCli(['run', fixed]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('phases[0].maxRequestsPerConnection: range "120-80" is written backwards: expected MIN-MAX with MIN <= MAX, e.g. 80-120');
    expect(s.connections).toHaveLength(before);
  });
});
