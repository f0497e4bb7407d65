// --stage-connections (and `connectionStages` in a scenario) ramp the closed
// model's open connections. A raw server on loopback records when each connection
// was accepted and when the client closed it; the open count it sees at each
// moment must follow the line, and so must the per-second series in the JSON.
// Bounded by the ramp itself (a few seconds) and by the server's 10 ms answers
// (at most 100 requests per second per connection).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { runCli, runJson, scenarioFolder } from '../helpers/cli.js';
import { okResponse, rawServer, type RawServer } from '../helpers/raw-server.js';
import { assertValidResult } from '../helpers/schema.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

interface Recorded {
  server: RawServer;
  /** when each connection was accepted and when it closed (ms, monotonic) */
  accepted: number[];
  closed: number[];
}

/** Answers each request after 10 ms; records each connection's accept and close. */
async function recordingServer(): Promise<Recorded> {
  const accepted: number[] = [];
  const closed: number[] = [];
  const server = await rawServer((socket, ctx) => {
    accepted.push(performance.now());
    socket.once('close', () => closed.push(performance.now()));
    ctx.onRequest(() => {
      setTimeout(() => {
        if (!socket.destroyed) ctx.answer(okResponse());
      }, 10);
    });
  });
  closers.push(() => server.close());
  return { server, accepted, closed };
}

/** Connections open on the server at `t` (ms, monotonic). */
function openAt(r: { accepted: number[]; closed: number[] }, t: number): number {
  return r.accepted.filter((a) => a <= t).length - r.closed.filter((c) => c <= t).length;
}

/** `expected` within max(`fraction` of it, `slack` connections). */
function near(actual: number, expected: number, what: string, fraction = 0.2, slack = 3): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} open, expected about ${expected}`).toBeLessThanOrEqual(Math.max(expected * fraction, slack));
}

describe('--stage-connections', () => {
  it('2s:40,2s:40,2s:0: about 20 open at 1 s, 40 from 2 s to 4 s, falling to 0 by 6 s, closed by the client; the series shows it', async () => {
    const target = await recordingServer();
    const r = await runJson(['run', `${target.server.url}/`, '-s', 'persistent', '--stage-connections', '2s:40,2s:40,2s:0']);
    expect(r.code, r.stderr).toBe(0);
    expect(target.accepted).toHaveLength(40);
    // Connection k (0-based) is due when the line 20 t crosses k + 0.5: each accept guesses the
    // ramp's start on the server's clock; the median is not moved by a late one.
    const guesses = target.accepted.map((t, k) => t - ((k + 0.5) / 20) * 1000).sort((a, b) => a - b);
    const startMs = guesses[Math.floor(guesses.length / 2)]!;
    const open = (s: number): number => openAt(target, startMs + s * 1000);
    const seen = [0.5, 1, 1.5, 2.5, 3, 3.5, 4.5, 5, 5.5, 6.5].map((s) => `${s}s:${open(s)}`).join(' ');
    near(open(0.5), 10, `0.5 s (${seen})`);
    near(open(1), 20, `1 s (${seen})`);
    near(open(1.5), 30, `1.5 s (${seen})`);
    for (const s of [2.5, 3, 3.5]) near(open(s), 40, `${s} s (${seen})`, 0.1);
    near(open(4.5), 30, `4.5 s (${seen})`);
    near(open(5), 20, `5 s (${seen})`);
    near(open(5.5), 10, `5.5 s (${seen})`);
    expect(open(6.5), seen).toBe(0);
    // The fall retired connections one by one: the client closed (nearly) all of them before the end.
    const phase = r.result.phases[0]!;
    assertValidResult(r.result);
    expect(phase.connections.opened).toBe(40);
    expect(phase.connections.closedByClient + phase.connections.stoppedAtEnd!).toBe(40);
    expect(phase.connections.closedByClient, JSON.stringify(phase.connections)).toBeGreaterThanOrEqual(36);
    expect(phase.connections.peakOpen).toBe(40);
    expect(phase.options['connections']).toBe(40);
    expect(phase.options['connectionRamp']).toEqual({
      startConnections: 0,
      stages: [
        { durationMs: 2000, target: 40 },
        { durationMs: 2000, target: 40 },
        { durationMs: 2000, target: 0 },
      ],
    });
    expect(phase.durationMs).toBeGreaterThan(5_900);
    // series[t].openConnections: the open connections t seconds in (none at the start).
    const series = phase.series.map((p) => p.openConnections);
    expect(series[0], `series ${series.join(' ')}`).toBe(0);
    near(series[1]!, 20, `series ${series.join(' ')}`);
    near(series[3]!, 40, `series ${series.join(' ')}`, 0.1);
    near(series[5]!, 20, `series ${series.join(' ')}`);
    expect(phase.series.slice(0, 6).reduce((n, p) => n + p.newConnections, 0)).toBe(40);
    expect(
      phase.series.slice(2, 6).reduce((n, p) => n + p.newConnections, 0),
      'no connection opens after the rise',
    ).toBeLessThanOrEqual(2);
  });

  it('a scenario phase with connectionStages: from its connections, over 2 workers, echoed in the result', async () => {
    const target = await recordingServer();
    const { dir, write } = await scenarioFolder(closers);
    const file = await write('ramp.json', {
      name: 'ramp',
      target: target.server.url,
      phases: [
        {
          name: 'grow and shrink',
          connections: 4,
          workers: 2,
          connectionStages: [
            { duration: '1s', target: 12 },
            { duration: '1s', target: 12 },
            { duration: '1s', target: 2 },
          ],
        },
      ],
      thresholds: { '*': ['errors == 0', 'connections.opened == 12'] },
    });
    const r = await runCli(['run', file, '--json', join(dir, 'result.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('ramp 4 1s→12 1s→12 1s→2 connections, 3s, 2 workers');
    expect(target.accepted).toHaveLength(12);
    // The 4 starting connections open at once: the first accept is the start.
    const startMs = target.accepted[0]!;
    const open = (s: number): number => openAt(target, startMs + s * 1000);
    const seen = [0.5, 1.5, 2.5, 2.9].map((s) => `${s}s:${open(s)}`).join(' ');
    near(open(0.5), 8, `0.5 s (${seen})`, 0.2, 2);
    near(open(1.5), 12, `1.5 s (${seen})`, 0.2, 1);
    near(open(2.5), 7, `2.5 s (${seen})`, 0.2, 2);
    near(open(2.9), 3, `2.9 s (${seen})`, 0.2, 2);
    const doc = JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as ResultDocument;
    assertValidResult(doc);
    const phase = doc.phases[0]!;
    expect(phase.options['connectionRamp']).toEqual({
      startConnections: 4,
      stages: [
        { durationMs: 1000, target: 12 },
        { durationMs: 1000, target: 12 },
        { durationMs: 1000, target: 2 },
      ],
    });
    expect(phase.thresholds.every((t) => t.ok)).toBe(true);
    expect(phase.connections.closedByClient).toBeGreaterThanOrEqual(9);
  });

  it.each([
    [
      ['--stage-connections', '10s:100', '--rate', '50'],
      '--stage-connections: a connection ramp runs the closed model; drop --rate (the open model) or --stage-connections',
    ],
    [
      ['--stage-connections', '10s:100', '--stage', '10s:50'],
      '--stage-connections: a connection ramp runs the closed model; drop --stage (the open model) or --stage-connections',
    ],
    [['--stage-connections', '10s:0'], '--stage-connections: the ramp never rises above 0 connections: expected a target > 0'],
    [['--stage-connections', '10s:2.5'], '--stage-connections: stage 1 "10s:2.5": expected a whole number of connections, got "2.5"'],
    [['--stage-connections', '100'], '--stage-connections: stage 1 "100" has no duration: expected DURATION:TARGET, e.g. 30s:2000'],
    [['--stage-connections', '10s:-1'], '--stage-connections: stage 1 "10s:-1" has a negative target: expected connections >= 0'],
  ])('refuses %j with one line naming it, exit 2, nothing sent', async (args, message) => {
    const target = await recordingServer();
    const result = await runCli(['run', `${target.server.url}/`, ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`connload: ${message}`);
    expect(target.accepted).toHaveLength(0);
  });

  it('a scenario target that is not a whole number: the JSON path, exit 2', async () => {
    const target = await recordingServer();
    const { write } = await scenarioFolder(closers);
    const file = await write('bad.json', { name: 'bad', target: target.server.url, phases: [{ name: 'p', connectionStages: [{ duration: '1s', target: 2.5 }] }] });
    const result = await runCli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('phases[0].connectionStages[0].target: expected a whole number >= 0, got 2.5');
    expect(target.accepted).toHaveLength(0);
  });
});
