// Small process helpers for the network lab: run a command to completion,
// and wait for a line on a long-running child's stdout.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  /** Safety stop for a hung child; callers bound their work by count. */
  killAfterMs?: number;
  env?: NodeJS.ProcessEnv;
  onSpawn?: (child: ChildProcess) => void;
}

export function exec(command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdin = options.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(command, args, { stdio: [stdin, 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.stdin) {
      // A child that exits without reading its input must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
    options.onSpawn?.(child);
  });
}

/** Runs a command and throws, with its stderr, when it does not exit 0. */
export async function execOk(command: string, args: string[], options: ExecOptions = {}): Promise<string> {
  const result = await exec(command, args, options);
  if (result.code !== 0) {
    const why = result.stderr.trim() || result.stdout.trim() || `signal ${result.signal}`;
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code}): ${why}`);
  }
  return result.stdout;
}

/**
 * Resolves with the first stdout line matching `pattern`. Rejects when the
 * child exits first or `timeoutMs` passes, quoting what it printed.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let printed = '';
    const onErr = (d: Buffer | string) => (printed += d.toString());
    const onData = (d: Buffer | string) => {
      pending += d.toString();
      printed += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = line.match(pattern);
        if (match) {
          done();
          resolve(match);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      done();
      reject(new Error(`process exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${printed}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${printed}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
