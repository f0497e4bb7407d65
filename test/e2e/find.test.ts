// `connload find` against a server of known capacity (`serve --latency 10ms --capacity 4`):
// the capacity it reports is checked against what the server's queue allows.
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { startServer } from '../../src/server/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

// The server and the client run at a higher scheduling priority than the rest of the machine: a
// latency threshold of 50 ms is about the queue, not about other processes holding the cores.
// (Without root, nice only warns and runs them as they are.)
const PRIORITY = ['nice', '-n', '-10'];

interface ServeCli {
  url: string;
  /** SIGINT, then the server's exit summary */
  stop(): Promise<CliResult>;
}

/** `connload serve --port 0 ...args` as a user runs it, until stop(). */
async function serveCli(args: string[]): Promise<ServeCli> {
  let child: ChildProcess | undefined;
  let onLine: (line: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (onLine = resolve));
  const done = runCli(['serve', '--port', '0', ...args], {
    prefix: PRIORITY,
    killAfterMs: 300_000,
    onSpawn: (c) => {
      child = c;
      let out = '';
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) onLine(out.split('\n')[0]!);
      });
    },
  });
  const line = await Promise.race([listening, done.then((r) => `exited early: ${r.code} ${r.stderr}`)]);
  const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1];
  if (url === undefined) throw new Error(line);
  return {
    url,
    stop: async () => {
      child!.kill('SIGINT');
      return done;
    },
  };
}

/** The built-in server as a D/D/4 queue (--latency 10ms --capacity 4), what `find` made of it, and what the queue allows. */
interface QueueFind {
  result: CliResult;
  doc: ResultDocument;
  capacity: NonNullable<ResultDocument['capacity']>;
  /** the server's exit summary */
  summary: string;
  peakInService: number;
  /** lambda*: the highest arrival rate at which latency.p99 < 50ms holds (see below) */
  allowed: number;
  mu: number;
}

const QUEUE_WARMUP_S = 1;
const QUEUE_DURATION_S = 3;

/**
 * Runs `find` with `latency.p99 < 50ms` against the queue, `load` naming the dimension. The server's
 * model: 4 slots, each request holds one for its service time s (10 ms of latency plus the timer's
 * lateness, measured by the server itself), arrivals evenly spaced (the open model's fixed schedule,
 * or the connect pacer's even spacing): a D/D/4 queue. It serves mu = 4 / s requests per second.
 *  - Below mu no request waits (deterministic arrivals never bunch up): latency = s, p99 < 50 ms.
 *  - Above mu the queue grows without end: a request arriving t seconds into the step (warmup
 *    included: the queue builds from the first request) waits (lambda / mu - 1) t. The counted
 *    window is [W, W + D]; its p99 is the request at about t = W + 0.99 D, so p99 < 50 ms holds
 *    while (lambda / mu - 1)(W + 0.99 D) < 0.05 - s, that is up to
 *      lambda* = mu (1 + (0.05 - s) / (W + 0.99 D))      (about 404 req/s at s = 10 ms, W 1 s, D 3 s).
 */
async function findOnQueue(load: string[]): Promise<QueueFind> {
  const server = await serveCli(['--latency', '10ms', '--capacity', '4']);
  let summary = '';
  try {
    const result = await runCli(
      [
        'find',
        `${server.url}/`,
        ...load,
        '--threshold',
        'latency.p99 < 50ms',
        '--start',
        '50',
        '--warmup',
        `${QUEUE_WARMUP_S}s`,
        '--duration',
        `${QUEUE_DURATION_S}s`,
        '--precision',
        '0.02',
        '--max-steps',
        '12',
        '--json',
        '-',
        '--quiet',
      ],
      { prefix: PRIORITY },
    );
    summary = (await server.stop()).stdout;
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as ResultDocument;
    assertValidResult(doc);
    // e.g. "capacity 4 at once: peak in service 4, peak queue 812, 3120 requests waited (...); mean service 10.3 ms"
    const service = /capacity 4 at once: peak in service (\d+),.*; mean service ([\d.]+) ms/.exec(summary);
    expect(service, summary).not.toBeNull();
    const s = Number(service![2]) / 1000;
    expect(s).toBeGreaterThanOrEqual(0.01 - 0.001);
    const mu = 4 / s;
    const allowed = mu * (1 + (0.05 - s) / (QUEUE_WARMUP_S + 0.99 * QUEUE_DURATION_S));
    return { result, doc, capacity: doc.capacity!, summary, peakInService: Number(service![1]), allowed, mu };
  } finally {
    if (summary === '') await server.stop();
  }
}

describe('connload find', () => {
  it('finds the rate at which latency.p99 < 50ms stops holding, within 10% of what the queue allows', async () => {
    const { result, doc, capacity, peakInService, allowed, mu } = await findOnQueue(['-c', '64']);
    const curve = capacity.curve.map((p) => `${p.load}:${p.latencyP99Ms}`).join(' ');
    expect(
      Math.abs(capacity.value! - allowed),
      `capacity ${capacity.value} req/s against ${allowed.toFixed(1)} (mu ${mu.toFixed(1)}); p99 by load ${curve}`,
    ).toBeLessThanOrEqual(allowed * 0.1);

    expect(capacity.by).toBe('rate');
    expect(capacity.failedAt).toBeGreaterThan(capacity.value!);
    expect(capacity.failedThreshold).toBe('latency.p99 < 50ms');
    expect(capacity.thresholds).toEqual(['latency.p99 < 50ms']);
    // Every step is a phase, and the curve has one point per step, by load.
    expect(capacity.curve.map((p) => p.phase).sort()).toEqual(doc.phases.map((p) => p.name).sort());
    const loads = capacity.curve.map((p) => p.load);
    expect(loads).toEqual([...loads].sort((a, b) => a - b));
    for (const point of capacity.curve) expect(point.ok).toBe(point.load <= capacity.value!);
    expect(capacity.curve[0]).toMatchObject({ load: 50, ok: true, errors: 0 });
    expect(peakInService).toBe(4);
    expect(doc.ok).toBe(true);
    // The table on stderr (stdout has the JSON) ends with the verdict.
    expect(result.stderr).toContain('Capacity curve (by rate)');
    expect(result.stderr).toContain(`Capacity: ${capacity.value} req/s`);
  }, 120_000);

  it('--by connections: with c connections every request takes c / 4 services, so latency.p50 < 50ms holds up to 19 at most', async () => {
    const server = await serveCli(['--latency', '10ms', '--capacity', '4']);
    try {
      const result = await runCli(
        [
          'find',
          `${server.url}/`,
          '--by',
          'connections',
          '--start',
          '2',
          '--max-connections',
          '64',
          '-t',
          'latency.p50 < 50ms',
          '--warmup',
          '0.5s',
          '--duration',
          '1s',
          '--json',
          '-',
          '--quiet',
        ],
        { prefix: PRIORITY },
      );
      expect(result.code, result.stderr).toBe(0);
      const doc = JSON.parse(result.stdout) as ResultDocument;
      assertValidResult(doc);
      const capacity = doc.capacity!;
      expect(capacity.by).toBe('connections');
      // Closed model: c connections keep c requests at the server, 4 in service: each request takes
      // c / 4 services of s >= 10 ms. At c >= 20 every request takes >= 50 ms; at c = 16, 4 s (about
      // 43 ms at s = 10.7 ms). The median is the queue's, not a stall's: p50 is not moved by a rare one.
      const curve = capacity.curve.map((p) => `${p.load}:${p.latencyP50Ms}`).join(' ');
      expect(capacity.value, curve).toBeGreaterThanOrEqual(12);
      expect(capacity.value, curve).toBeLessThan(20);
      for (const p of capacity.curve) if (p.load >= 20) expect(p.ok, curve).toBe(false);
      expect(capacity.failedAt).toBeLessThanOrEqual(32);
      expect(doc.phases.map((p) => p.name)).toContain('connections 2');
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('--by connect-rate: a connection per request, so the same queue allows the same rate as --by rate', async () => {
    const { result, doc, capacity, summary, allowed, mu } = await findOnQueue(['--by', 'connect-rate', '--max-connect-rate', '2000']);
    expect(capacity.by).toBe('connect-rate');
    // Without -s, every request opens its own connection (new-connection): the server answered one
    // request per connection it accepted (but those cut by a step's end, opened and stopped before an
    // answer). Without -c, the lanes are --max-connect-rate / 10 = 200, so the pacer sets the rate:
    // near the knee at most (0.05 - s) * mu = 16 requests queue, far from 200 connections in flight.
    const accepted = /accepted (\d+) connections, answered (\d+) requests/.exec(summary);
    expect(accepted, summary).not.toBeNull();
    const [connections, answered] = [Number(accepted![1]), Number(accepted![2])];
    expect(answered).toBeLessThanOrEqual(connections);
    expect(answered).toBeGreaterThanOrEqual(0.99 * connections);
    for (const phase of doc.phases) expect(phase).toMatchObject({ strategy: 'new-connection', options: { connections: 200 } });

    // Connection k opens at k / lambda (the pacer's even spacing) and carries one request, so the
    // server sees the D/D/4 queue of the rate test with lambda = the connect rate. Each request also
    // pays its connect (about 0.1 ms on loopback), inside its latency: the same lambda* holds.
    const curve = capacity.curve.map((p) => `${p.load}:${p.latencyP99Ms}:${p.connectionsPerSecond?.toFixed(0)}/s`).join(' ');
    expect(
      Math.abs(capacity.value! - allowed),
      `capacity ${capacity.value} connections/s against ${allowed.toFixed(1)} (mu ${mu.toFixed(1)}); load:p99:reached ${curve}`,
    ).toBeLessThanOrEqual(allowed * 0.1);
    expect(capacity.failedThreshold).toBe('latency.p99 < 50ms');
    // Each step ran at its load: a passing step opened at least 90% of its rate (its own threshold).
    for (const point of capacity.curve) {
      expect(point.phase).toBe(`connect-rate ${point.load}/s`);
      if (point.ok) expect(point.connectionsPerSecond!, curve).toBeGreaterThanOrEqual(0.9 * point.load);
    }
    expect(doc.phases[0]!.thresholds.map((t) => t.expression)).toEqual(['latency.p99 < 50ms', 'connections.perSecond >= 45']);
    expect(result.stderr).toContain('Capacity curve (by connect-rate)');
    expect(result.stderr).toContain(`Capacity: ${capacity.value} connections/s`);
  }, 120_000);

  it('--by connect-rate: a step whose lanes cannot reach its connect rate does not pass that load', async () => {
    // One lane against 20 ms responses opens at most 1 / 20 ms = 50 connections a second, whatever is
    // asked; latency stays at 20 ms, so only the reached rate can fail a step.
    const server = await startServer({ latencyMs: 20 });
    try {
      const result = await runCli(
        [
          'find',
          `${server.url}/`,
          '--by',
          'connect-rate',
          '-c',
          '1',
          '--start',
          '10',
          '-t',
          'latency.p99 < 1s',
          '--warmup',
          '0.5s',
          '--duration',
          '1s',
          '--json',
          '-',
          '--quiet',
        ],
        { prefix: PRIORITY },
      );
      expect(result.code, result.stderr).toBe(0);
      const doc = JSON.parse(result.stdout) as ResultDocument;
      assertValidResult(doc);
      const capacity = doc.capacity!;
      const curve = capacity.curve.map((p) => `${p.load}:${p.connectionsPerSecond?.toFixed(1)}/s:${p.ok}`).join(' ');
      // A step passes only if it reached 90% of its load: at most 50 / 0.9 = 55.6 connections/s.
      expect(capacity.value, curve).toBeLessThanOrEqual(55);
      expect(capacity.value, curve).toBeGreaterThanOrEqual(20);
      expect(capacity.failedThreshold, curve).toMatch(/^connections\.perSecond >= [\d.]+$/);
      for (const p of capacity.curve) {
        expect(p.ok, curve).toBe(p.connectionsPerSecond! >= 0.9 * p.load);
        expect(p.latencyP99Ms!, curve).toBeLessThan(1000);
      }
      for (const phase of doc.phases) expect(phase.options.connections).toBe(1);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('exits 1 when even the first step fails, with the failing threshold in the JSON', async () => {
    const server = await startServer({ latencyMs: 10 });
    try {
      const result = await runCli(['find', `${server.url}/`, '-t', 'latency.p99 < 1ms', '--warmup', '0', '--duration', '0.5s', '--json', '-', '--quiet']);
      expect(result.code).toBe(1);
      const doc = JSON.parse(result.stdout) as ResultDocument;
      assertValidResult(doc);
      expect(doc.ok).toBe(false);
      expect(doc.capacity).toMatchObject({ by: 'rate', value: null, failedAt: 50, failedThreshold: 'latency.p99 < 1ms', stoppedBy: 'first-step-failed' });
      expect(doc.phases).toHaveLength(1);
      expect(result.stderr).toContain('find: even the first step failed (rate 50/s: latency.p99 < 1ms): no capacity found');
    } finally {
      await server.close();
    }
  });

  it.each([
    [[], 'find: expected at least one --threshold saying what must hold'],
    [
      ['-t', 'latency.p99 < 50ms', '--by', 'connect-rate', '--connect-rate', '100'],
      '--connect-rate: find sets the load of each step itself; expected --start, --step-factor and --max-connect-rate instead',
    ],
    [['-t', 'latency.p99 < 50ms', '--by', 'connect-rate', '-s', 'persistent'], '--by connect-rate: --strategy persistent reuses its connections'],
    [['-t', 'latency.p99 < 50ms', '--by', 'connect-rate', '--max-connect-rate', '0'], '--max-connect-rate: expected a positive integer, got 0'],
    [['-t', 'latency.p99 < 50ms', '--max-connect-rate', '500'], '--max-connect-rate: bounds --by connect-rate only; expected --max-rate with --by rate'],
    [['-t', 'latency.p99 < 50ms', '--by', 'connect-rates'], '--by: expected rate, connections or connect-rate, got "connect-rates"'],
    [['-t', 'latency.p99 < 50ms', '--rate', '100'], '--rate: find sets the load of each step itself'],
    [['-t', 'latency.p99 <'], '--threshold'],
    [['-t', 'latency.p99 < 50ms', '--step-factor', '1'], '--step-factor: expected a number > 1, got 1'],
  ])('refuses %j with one line, exit 2, nothing sent', async (args, message) => {
    const server = await startServer({});
    try {
      const result = await runCli(['find', `${server.url}/`, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toContain(message);
      expect(server.stats().connections).toBe(0);
    } finally {
      await server.close();
    }
  });
});
