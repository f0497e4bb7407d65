// The live display of the built CLI: on a terminal (a pseudo-terminal from `script`)
// one line redrawn in place and cleared before the tables; without a terminal a plain
// line every 5 s; with --quiet nothing. Runs are bounded: --rate 50 for a few seconds.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { TOOL_VERSION } from '../../src/version.js';
import { BIN, runCli } from '../helpers/cli.js';

const REDRAW = '\r\x1b[2K';
/** What every progress line shows, in order. */
const PROGRESS_RE =
  /persistent (\d+)s\/(\d+)s {2}[\d,]+ done {2}[\d,]+ req\/s {2}p99 (?:[\d.]+m?s|-) {2}open [\d,]+ {2}new [\d,]+\/s {2}TIME_WAIT (?:[\d,]+|-) {2}errors [\d,]+/;

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({});
});

afterAll(async () => {
  await server?.close();
});

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI under `script`, which gives it a pseudo-terminal as stdin, stdout and stderr. */
function runOnTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    // -q no banner, -f flush at once, -e the child's exit code; the typescript goes to /dev/null.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, COLUMNS: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    });
  });
}

describe('live progress', () => {
  it.concurrent('redraws one line in place on a terminal and clears it before the tables', async () => {
    const { code, output } = await runOnTerminal(['run', `${server.url}/`, '--rate', '50', '-d', '4s', '-c', '2']);
    expect(code, output).toBe(0);
    const tablesAt = output.indexOf(`connload ${TOOL_VERSION}`);
    expect(tablesAt, output).toBeGreaterThan(0);
    const live = output.slice(0, tablesAt);
    // Each redraw returns to the start of the line and erases it; no newline between redraws.
    const frames = live.split(REDRAW).slice(1);
    expect(frames.length, JSON.stringify(live)).toBeGreaterThanOrEqual(3);
    const shown = frames.slice(0, -1);
    for (const frame of shown) {
      expect(frame, JSON.stringify(frame)).toMatch(new RegExp(`^${PROGRESS_RE.source}$`));
      expect(Number(PROGRESS_RE.exec(frame)![2])).toBe(4);
    }
    // Updated: the elapsed time moves on between redraws.
    const elapsed = shown.map((frame) => Number(PROGRESS_RE.exec(frame)![1]));
    expect(new Set(elapsed).size, JSON.stringify(shown)).toBeGreaterThan(1);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    // Cleared: the last erase is followed by the tables, not by a progress line.
    expect(frames.at(-1)).toBe('');
    expect(output.slice(tablesAt)).not.toMatch(PROGRESS_RE);
    // At most 4 redraws a second over a 4 s run (plus the clear).
    expect(frames.length).toBeLessThanOrEqual(4 * 4 + 2);
  });

  it.concurrent('prints a plain line every 5 s without a terminal', async () => {
    const r = await runCli(['run', `${server.url}/`, '--rate', '50', '-d', '6s', '-c', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b');
    const lines = r.stderr.split('\n').filter((line) => PROGRESS_RE.test(line));
    expect(lines.length, r.stderr).toBeGreaterThanOrEqual(1);
    expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${PROGRESS_RE.source}$`));
    if (lines.length === 2) {
      const [a, b] = lines.map((line) => Number(PROGRESS_RE.exec(line)![1]));
      expect(b! - a!).toBeGreaterThanOrEqual(4);
    }
    // The tables still go to stdout, untouched by the live display.
    expect(r.stdout).toContain('Phase persistent');
    expect(r.stdout).not.toMatch(PROGRESS_RE);
  });

  it.concurrent('shows nothing with --quiet', async () => {
    const r = await runCli(['run', `${server.url}/`, '--rate', '50', '-d', '2s', '-c', '2', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Phase persistent');
  });
});
