// Runs the built CLI (bin/connload.js -> dist/) as a user would: a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultDocument } from '../../src/metrics/result.js';

export const BIN = fileURLToPath(new URL('../../bin/connload.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Called once the child started, e.g. to send it a signal later. */
  onSpawn?: (child: ChildProcess) => void;
  /** Prefix command, e.g. ['ip', 'netns', 'exec', 'ns1'] to run inside a namespace. */
  prefix?: string[];
  /** Hard stop for a hung child (safety only; tests bound runs by request count). */
  killAfterMs?: number;
}

const NO_PROXY_ENV = Object.fromEntries(['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'].map((k) => [k, undefined]));

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const prefix = options.prefix ?? [];
  const argv = [...prefix.slice(1), ...(prefix.length ? [process.execPath] : []), BIN, ...args];
  const command = prefix.length ? prefix[0]! : process.execPath;
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, {
      cwd: options.cwd,
      // Proxy variables of the machine never reach a test's run: a test that wants one sets it.
      env: { ...process.env, ...NO_PROXY_ENV, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    options.onSpawn?.(child);
  });
}

/** Runs the CLI with `--json -` and parses the result document from stdout. */
export async function runJson(args: string[], options: CliOptions = {}): Promise<CliResult & { result: ResultDocument }> {
  const r = await runCli([...args, '--json', '-', '--quiet'], options);
  let result: ResultDocument;
  try {
    result = JSON.parse(r.stdout) as ResultDocument;
  } catch {
    throw new Error(`connload ${args.join(' ')} did not print JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, result };
}

/**
 * A temporary folder for scenario files (and what a run writes beside them), whose removal goes on
 * `cleanups`. `write` puts a document there as JSON under a name and returns the file's path.
 */
export async function scenarioFolder(cleanups: Array<() => Promise<unknown>>): Promise<{ dir: string; write: (name: string, doc: unknown) => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'connload-scenario-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, doc: unknown): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(doc));
    return file;
  };
  return { dir, write };
}
