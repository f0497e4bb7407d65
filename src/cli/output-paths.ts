// Output files are checked before the load is sent: a path that cannot be written would otherwise
// be found after the run, and every output after it lost.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, ValidationError } from '../errors.js';

export interface OutputPaths {
  json?: string;
  html?: string;
  hgrm?: string;
  junit?: string;
}

/** Why `file` cannot be written (created or replaced), or null when it can. */
async function fileProblem(file: string, append = false): Promise<string | null> {
  const existing = await stat(file).catch(() => null);
  if (existing?.isDirectory()) return 'is a directory; expected a file path';
  if (existing !== null) return (await writable(file)) ? null : `cannot be ${append ? 'appended to' : 'replaced'} (permission denied)`;
  return dirProblem(path.dirname(path.resolve(file)), 'its directory');
}

/** Why files cannot be created in `dir` (made with its parents if missing), or null. */
async function dirProblem(dir: string, what: string): Promise<string | null> {
  // the nearest part of the path that exists decides: mkdir -p makes the rest
  let existing = dir;
  for (;;) {
    const s = await stat(existing).catch((err: NodeJS.ErrnoException) => err);
    if (!(s instanceof Error)) {
      if (!s.isDirectory()) return `cannot be created: ${JSON.stringify(existing)} is not a directory`;
      return (await writable(existing)) ? null : `cannot be created: ${what} ${JSON.stringify(existing)} is not writable`;
    }
    if (s.code !== 'ENOENT' && s.code !== 'ENOTDIR') return `cannot be checked: ${s.code}`;
    const parent = path.dirname(existing);
    if (parent === existing) return `cannot be created: no part of ${JSON.stringify(dir)} exists`;
    existing = parent;
  }
}

async function writable(p: string): Promise<boolean> {
  return access(p, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** One message per output that cannot be written, naming the option and the path. */
export async function outputPathProblems(out: OutputPaths, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const checks: Array<[string, string | undefined, () => Promise<string | null>]> = [
    ['--json', out.json === '-' ? undefined : out.json, () => fileProblem(out.json!)],
    ['--html', out.html, () => fileProblem(out.html!)],
    ['--junit', out.junit, () => fileProblem(out.junit!)],
    [
      '--hgrm',
      out.hgrm,
      async () => {
        const s = await stat(out.hgrm!).catch(() => null);
        if (s !== null && !s.isDirectory()) return 'is a file; expected a directory';
        return dirProblem(path.resolve(out.hgrm!), 'the directory');
      },
    ],
    ['GITHUB_STEP_SUMMARY', env.GITHUB_STEP_SUMMARY || undefined, () => fileProblem(env.GITHUB_STEP_SUMMARY!, true)],
  ];
  const problems: string[] = [];
  for (const [name, file, check] of checks) {
    if (file === undefined) continue;
    if (file === '') {
      problems.push(`${name}: expected a path, got ""`);
      continue;
    }
    const problem = await check();
    if (problem !== null) problems.push(`${name}: ${JSON.stringify(file)} ${problem}`);
  }
  return problems;
}

/** For commands that send nothing (report, merge) or check nothing else first: exit 2 when an output cannot be written. */
export async function assertOutputsWritable(out: OutputPaths): Promise<void> {
  const problems = await outputPathProblems(out);
  if (problems.length === 1) throw new UsageError(problems[0]!);
  if (problems.length > 1) throw new ValidationError('invalid options', problems);
}
