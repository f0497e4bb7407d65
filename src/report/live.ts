// Live progress while a phase runs: on a terminal one line redrawn at most 4
// times a second; otherwise a plain line every 5 s; nothing with --quiet.
import type { Progress } from '../metrics/progress.js';
import { fmtInt, fmtMs } from './style.js';

export interface LiveDisplay {
  update(p: Progress): void;
  /** A warning line that stays (e.g. ports running out). */
  warn(line: string): void;
  clear(): void;
}

export function formatProgress(p: Progress): string {
  // Workers start a little after the plan is made and stop a little after the end: keep 0..total.
  const elapsedMs = Math.min(Math.max(p.elapsedMs, 0), p.totalMs);
  const elapsed = `${(elapsedMs / 1000).toFixed(0)}s/${(p.totalMs / 1000).toFixed(0)}s`;
  return [
    `${p.phase} ${elapsed}${p.counting ? '' : ' (warmup)'}`,
    `${fmtInt(p.completed)} done`,
    `${fmtInt(p.requestsPerSecond)} req/s`,
    `p99 ${fmtMs(p.p99Ms)}`,
    `open ${fmtInt(p.openConnections)}`,
    `new ${fmtInt(p.newConnectionsPerSecond)}/s`,
    `TIME_WAIT ${p.timeWait === null ? '-' : fmtInt(p.timeWait)}`,
    `errors ${fmtInt(p.errors)}`,
  ].join('  ');
}

export function createLiveDisplay(stream: NodeJS.WriteStream, options: { quiet: boolean }): LiveDisplay {
  if (options.quiet) return { update() {}, warn() {}, clear() {} };
  const tty = stream.isTTY === true;
  let lastWriteMs = 0;
  let shown = false;
  // Snapshots arrive about once a second; allow them to be a little early so "every 5 s" is not 6.
  const minGapMs = tty ? 250 : 5000 - 200;
  return {
    update(p) {
      const now = Date.now();
      if (now - lastWriteMs < minGapMs) return;
      lastWriteMs = now;
      const line = formatProgress(p);
      if (tty) {
        // One column less than the terminal, so the line never wraps (a wrapped line cannot be redrawn
        // with \r); a terminal that reports no size (0 columns) gets the whole line.
        const columns = stream.columns > 0 ? stream.columns : Infinity;
        stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`);
        shown = true;
      } else {
        stream.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      }
    },
    warn(line) {
      if (tty && shown) stream.write('\r\x1b[2K');
      stream.write(`warning: ${line}\n`);
    },
    clear() {
      if (tty && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
