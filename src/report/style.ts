// Colour and table styling shared by the terminal reporters. Colour follows
// NO_COLOR, FORCE_COLOR and whether the output is a terminal.
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';

export function colorLevel(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    const n = Number(force);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  return stream.isTTY ? 2 : 0;
}

export function makeChalk(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({ level });
}

export function table(head: string[], c: ChalkInstance, align: Array<'left' | 'right'> = []): Table.Table {
  return new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [], compact: false },
    colAligns: head.map((_, i) => align[i] ?? (i === 0 ? 'left' : 'right')),
  }) as Table.Table;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 100) return `${ms.toFixed(0)}ms`;
  if (ms >= 10) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtRatio(x: number | null | undefined): string {
  return x === null || x === undefined ? '-' : x.toFixed(2);
}
