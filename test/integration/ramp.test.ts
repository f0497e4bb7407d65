// --stage ramps the open model's arrival rate: against a server that timestamps
// every arrival, `--stage 10s:1000` must send the integral of the line (5,000
// requests) and each second the area under it, 50 (2i + 1). Bounded by the
// schedule itself (the phase lasts as long as its stages: about 10 s).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { runCli, scenarioFolder } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A server that answers at once and records when each request arrived (ms, monotonic). */
async function arrivalCounter(): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    res.end('ok');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, arrivals };
}

describe('--stage', () => {
  it('10s:1000 sends 5,000 requests (within 1%), each second within 5% of the line, over 2 workers', async () => {
    const target = await arrivalCounter();
    const result = await runCli(['run', target.url, '--stage', '10s:1000', '-c', '40', '-w', '2', '--json', '-', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    const { arrivals } = target;
    expect(Math.abs(arrivals.length - 5000)).toBeLessThanOrEqual(50);
    // The ramp's start on the server's clock: the k-th arrival is due at sqrt(2k / 100) s, so each
    // arrival gives a guess of the start; their median is not moved by one late request (the first
    // one waits for a connection to open).
    const sorted = [...arrivals].sort((a, b) => a - b);
    const guesses = sorted.map((t, k) => t - Math.sqrt((2 * k) / 100) * 1000).sort((a, b) => a - b);
    const firstMs = guesses[Math.floor(guesses.length / 2)]!;
    const perSecond = Array.from({ length: 10 }, () => 0);
    for (const t of arrivals) {
      const s = Math.floor((t - firstMs) / 1000);
      if (s >= 0 && s < 10) perSecond[s]!++;
    }
    perSecond.forEach((n, i) => {
      const line = 50 * (2 * i + 1); // the integral of 100 t over [i, i + 1]
      expect(Math.abs(n - line), `second ${i}: ${n} against ${line} (${perSecond.join(' ')})`).toBeLessThanOrEqual(line * 0.05);
    });

    const doc = JSON.parse(result.stdout) as ResultDocument;
    assertValidResult(doc);
    const phase = doc.phases[0]!;
    expect(phase.options['rate']).toBe(1000);
    expect(phase.durationMs).toBeGreaterThan(9_900);
    expect(phase.requests.dropped).toBe(0);
    // The per-second series (responses by the second they ended) shows the ramp too.
    const series = phase.series.slice(0, 10).map((s) => s.requests);
    for (let i = 1; i < 9; i++) expect(Math.abs(series[i]! - 50 * (2 * i + 1)), series.join(' ')).toBeLessThanOrEqual(50 * (2 * i + 1) * 0.1);
  });

  it('with --warmup the warmup holds the starting rate and the counted part is the whole ramp', async () => {
    const target = await arrivalCounter();
    // 1 s at 100/s, then 2 s from 100/s to 300/s: 100 + 400 arrivals; 400 of them counted.
    const result = await runCli(['run', target.url, '--rate', '100', '--stage', '2s:300', '--warmup', '1s', '-c', '20', '--json', '-', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    expect(Math.abs(target.arrivals.length - 500)).toBeLessThanOrEqual(10);
    const phase = (JSON.parse(result.stdout) as ResultDocument).phases[0]!;
    expect(Math.abs(phase.requests.completed - 400)).toBeLessThanOrEqual(8);
    expect(phase.requests.dropped).toBe(0);
  });

  it('scenario stages: refused with the JSON path of the bad stage, exit 2, nothing sent', async () => {
    const target = await arrivalCounter();
    const { write } = await scenarioFolder(closers);
    const file = await write('ramp.json', {
      name: 'ramp',
      target: target.url,
      phases: [{ name: 'up', stages: [{ duration: '1s', target: 10 }, { target: 5 }, { duration: '1s', target: -1, bogus: 1 }] }],
    });
    const result = await runCli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('phases[0].stages[1].duration: missing');
    expect(result.stderr).toContain('phases[0].stages[2].target: expected a number >= 0, got -1');
    expect(result.stderr).toContain('phases[0].stages[2].bogus: unknown key');
    expect(target.arrivals).toHaveLength(0);
  });

  it.each([
    [['--stage', ':100'], '--stage: stage 1 ":100" has no duration: expected DURATION:TARGET, e.g. 30s:2000'],
    [['--stage', '10s:-100'], '--stage: stage 1 "10s:-100" has a negative target: expected requests per second >= 0'],
    [['--stage', '100:10s'], '--stage: stage 1 "100:10s" is written backwards: expected DURATION:TARGET, e.g. 30s:2000'],
    [['--stage', '10s:100', '--stage-connections', '10s:100'], '--stage-connections: a connection ramp runs the closed model; drop --stage (the open model)'],
  ])('refuses %j with one line naming it, exit 2', async (args, message) => {
    const result = await runCli(['run', 'http://127.0.0.1:9/', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});
