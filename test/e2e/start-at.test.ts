// --start-at: the run plans, connects nothing, waits for the given wall-clock time,
// then starts; the phase records that start so merge can align runners.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultDocument } from '../../src/metrics/result.js';
import { runCli } from '../helpers/cli.js';
import { assertValidResult } from '../helpers/schema.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A server that records the wall-clock time of every accepted connection. */
async function acceptClock(): Promise<{ url: string; acceptedAtMs: number[] }> {
  const acceptedAtMs: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  server.on('connection', () => acceptedAtMs.push(Date.now()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, acceptedAtMs };
}

describe('--start-at', () => {
  it('connects nothing before the start time, then runs and records it', async () => {
    const target = await acceptClock();
    const startAt = Date.now() + 3000;
    const result = await runCli(['run', target.url, '-c', '2', '-n', '20', '--start-at', new Date(startAt).toISOString(), '--json', '-', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    expect(target.acceptedAtMs.length).toBeGreaterThan(0);
    // Date.now() on both sides of loopback: one clock, so no skew; timers never fire early by more than a ms.
    expect(Math.min(...target.acceptedAtMs)).toBeGreaterThanOrEqual(startAt - 1);
    const doc = JSON.parse(result.stdout) as ResultDocument;
    assertValidResult(doc);
    expect(doc.phases[0]!.startedAtEpochMs).toBe(startAt);
    expect(doc.phases[0]!.requests.completed).toBe(20);
  });

  it('Ctrl-C while waiting for the start stops at once (exit 130), nothing sent', async () => {
    const target = await acceptClock();
    const startAt = Date.now() + 60_000;
    const result = await runCli(['run', target.url, '-n', '5', '--start-at', String(startAt), '--quiet'], {
      onSpawn: (child) => setTimeout(() => child.kill('SIGINT'), 1000),
    });
    expect(result.code).toBe(130);
    expect(Date.now()).toBeLessThan(startAt); // it did not sit out the wait
    expect(target.acceptedAtMs).toHaveLength(0);
  });

  it('takes epoch milliseconds too', async () => {
    const target = await acceptClock();
    const startAt = Date.now() + 1500;
    const result = await runCli(['run', target.url, '-c', '1', '-n', '5', '--start-at', String(startAt), '--json', '-', '--quiet']);
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as ResultDocument).phases[0]!.startedAtEpochMs).toBe(startAt);
  });

  it.each([
    [() => new Date(Date.now() - 60_000).toISOString(), 's in the past: expected a time at most 5 s ago'],
    [() => String(Date.now() + 25 * 3_600_000), 'is more than 24 h ahead: expected a time within 24 h'],
    [() => 'tomorrow', 'expected an ISO time (2026-12-03T12:00:00Z) or epoch milliseconds, got "tomorrow"'],
  ])('refuses a bad time with one line, exit 2, nothing sent (%#)', async (value, message) => {
    const target = await acceptClock();
    const result = await runCli(['run', target.url, '-n', '5', '--start-at', value()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--start-at: ');
    expect(result.stderr).toContain(message);
    expect(target.acceptedAtMs).toHaveLength(0);
  });
});
