// `connload serve` as a user runs it: the built CLI in a child process.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => resolve(res.resume().statusCode!)).on('error', reject);
  });
}

describe('connload serve', () => {
  it('prints the real port, serves, and prints its totals after SIGINT', async () => {
    let child: ChildProcess | undefined;
    let firstLine: (line: string) => void = () => {};
    const listening = new Promise<string>((resolve) => (firstLine = resolve));
    const done = runCli(['serve', '--port', '0', '--keepalive-max', '2'], {
      killAfterMs: 30_000,
      onSpawn: (c) => {
        child = c;
        let out = '';
        c.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) firstLine(out.split('\n')[0]!);
        });
      },
    });
    const line = await Promise.race([listening, done.then((r) => `exited early: ${r.code} ${r.stderr}`)]);
    const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match, line).not.toBeNull();
    expect(Number(match![2])).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) expect(await get(`${match![1]}/`)).toBe(200);
    child!.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^accepted 3 connections, answered 3 requests, peak [1-3] open$/);
  });

  it('refuses an unknown fault with exit 2, naming the option', async () => {
    const result = await runCli(['serve', '--port', '0', '--fault', 'explode=0.1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('connload: --fault: unknown fault "explode", expected one of truncate, reset, stall, malformed');
    expect(result.stdout).toBe('');
  });

  it('refuses --tls without a certificate with exit 2', async () => {
    const result = await runCli(['serve', '--port', '0', '--tls']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--tls: expected both --cert <file> and --key <file>');
  });
});
